// Edition 2, the rules at the edges: deadlines on the Stockholm calendar, reports filed from the first day of
// their period and closed as not received when execution ends, start-date, closure, effect-report and
// delegation rules, reservations by the decided dates and the years money was spent, light reporting after a
// change, the budget check of a change that raises the total, savings claims booked atomically.
import { isExact, STOCKHOLM_DEADLINES } from '../calendar';
import { sixWeekReport } from '../reportCalendar';
import type { Edition } from './edition';

export const rulesAtTheEdges: Edition = {
  number: 2,
  deadlines: STOCKHOLM_DEADLINES,
  isExact,
  sixWeekReport,
  keepsDelegation: true,
  booksSavingsClaims: true,
  checksDecidedStart: true,
  budgetChecksRaisingChange: true,
  followsDecidedChange: true,
  terminationKeepsSpendByYear: true,
  closesUnfiledReports: true,
  closureRules: true,
  effectReportsAnswerSavings: true,
  statusFollowsStage: true,
  awaitsOnlyOpenReports: true,
  firstBodies: false,
  boundsSize: false,
};
