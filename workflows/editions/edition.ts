// What an edition of the case rules decides, named by what it means. A step asks the edition its case runs
// on instead of comparing edition numbers; each edition is one object (index.ts lists them), and the first
// edition's differences stand in first.ts alone, to be deleted with it once no retained history needs them.
import type { Deadlines } from '../calendar';
import type { SixWeekSeries } from '../reportCalendar';
import type { Report, RuleSet } from '../types';

export interface Edition {
  readonly number: number;
  /** How the rule set's durations become deadlines. */
  readonly deadlines: Deadlines;
  /** Whether a duration counts exactly (an instant) rather than in Stockholm days. */
  isExact(duration: string): boolean;
  /** The k-th six-week report, or null when its period would run past the planned end. */
  sixWeekReport(k: number, series: SixWeekSeries, plannedEnd: number, rules: RuleSet): Report | null;
  /** Keeps the delegation ladder in the view from the start, so later rule sets do not change who decides. */
  readonly keepsDelegation: boolean;
  /** Books savings claims atomically at the application (else only looks for conflicts). */
  readonly booksSavingsClaims: boolean;
  /** A decided start lies between the decision date and the planned end. */
  readonly checksDecidedStart: boolean;
  /** A change that raises the total passes the budget check before it is decided. */
  readonly budgetChecksRaisingChange: boolean;
  /**
   * A decided change is followed through: reporting follows the new grant, the applicant hears the outcome,
   * and a change decided past the planned end ends execution.
   */
  readonly followsDecidedChange: boolean;
  /** A termination reserves what was spent in the years it was spent, and closes open change requests. */
  readonly terminationKeepsSpendByYear: boolean;
  /** Execution's end closes periodic reports never filed as not received. */
  readonly closesUnfiledReports: boolean;
  /** Closure needs the owner's confirmed handover; a terminated project's spend is reserved at closure too. */
  readonly closureRules: boolean;
  /** An effect report answers for each savings claim the case kept. */
  readonly effectReportsAnswerSavings: boolean;
  /** The applicant's status names only the reports its stage asks for, and tells a decided change's outcome. */
  readonly statusFollowsStage: boolean;
  /** A closed case, and a report closed as not received, await nothing. */
  readonly awaitsOnlyOpenReports: boolean;
  /** Bodies as first released (an effect report without development cost): see inputs.ts. */
  readonly firstBodies: boolean;
  /** Bounds on the case's size (caseSize.ts): the project's length, texts in bytes, what the workflow holds. */
  readonly boundsSize: boolean;
}
