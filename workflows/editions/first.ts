// Edition 1, as first released: every way it differs from the rules at the edges (rulesAtTheEdges.ts), in
// this one file, kept so that the histories of cases that ran on it replay as they ran. Delete it (and its
// entry in index.ts, the upgrade in case.ts and the first bodies in inputs.ts) once no retained history
// starts on edition 1.
import { addDuration, endOfStockholmDay, parseDuration, stockholmDate, type Deadlines } from '../calendar';
import { dueAtFor, makeReport } from '../reportCalendar';
import type { Edition } from './edition';

/** True when the duration is shorter than a day: then deadlines were exact instants. */
function isSubDay(iso: string): boolean {
  const d = parseDuration(iso);
  return !d.years && !d.months && !d.weeks && !d.days && d.hours < 24;
}

/**
 * Deadlines as they were computed before the Stockholm calendar rule: durations added to the instant on the
 * UTC calendar, day-sized deadlines then rounded to the end of their Stockholm day.
 */
const earlierDeadlines: Deadlines = {
  after: (from, duration) => {
    const at = addDuration(from, duration);
    return isSubDay(duration) ? at : endOfStockholmDay(stockholmDate(at));
  },
  afterDeadline: (deadline, duration) => addDuration(deadline, duration),
  beforeDeadline: (deadline, duration) => addDuration(deadline, duration, -1),
  reminderAfter: (from, duration) => addDuration(from, duration),
};

export const firstEdition: Edition = {
  number: 1,
  deadlines: earlierDeadlines,
  isExact: isSubDay,
  /** Intervals added to the start instant on the UTC calendar; the series never restarted. */
  sixWeekReport(k, series, plannedEnd, rules) {
    const subDay = isSubDay(rules.reportInterval);
    let periodStart = series.startAt;
    for (let i = 1; i < k; i++) periodStart = addDuration(periodStart, rules.reportInterval);
    const periodEnd = addDuration(periodStart, rules.reportInterval);
    if (periodEnd > plannedEnd) return null;
    return makeReport(`S${k}`, 'sixWeek', periodStart, periodEnd, dueAtFor(periodEnd, subDay), subDay);
  },
  keepsDelegation: false,
  booksSavingsClaims: false,
  checksDecidedStart: false,
  budgetChecksRaisingChange: false,
  followsDecidedChange: false,
  terminationKeepsSpendByYear: false,
  closesUnfiledReports: false,
  closureRules: false,
  effectReportsAnswerSavings: false,
  statusFollowsStage: false,
  awaitsOnlyOpenReports: false,
  firstBodies: true,
  boundsSize: false,
};
