// What an applicant reads of a case: the one projection every path an applicant reaches goes through (the
// case view, the list, every action's answer, the effect evaluation). The applicant sees their own
// application, reports, deadlines, the decision and its grounds, and where the case stands; never the
// internal assessments (the central valuation, the preparation group's recommendation, the council's opinion
// and priority, the budget check's remarks, the double-count check's findings beyond whether each of their
// own savings claims was kept) and never who among the officials took a step. The coach stays: the office's
// contact person the applicant works with.
import type { CaseView } from '../workflows/types';

/** A copy without the fields named. */
function omit<T extends object, K extends keyof T>(record: T, ...fields: K[]): Omit<T, K> {
  const copy = { ...record };
  for (const field of fields) delete copy[field];
  return copy;
}

/** A step's record without who took it. */
const anonymous = <T extends { by?: string }>(step: T) => omit(step, 'by');

export type ApplicantCaseView = ReturnType<typeof applicantView>;

export function applicantView(view: CaseView) {
  const { screening } = view.idea;
  const decided = view.decision && view.decision.outcome !== 'return' ? anonymous(view.decision) : null;
  return {
    ...view,
    idea: { ...view.idea, screening: screening && anonymous(screening) },
    valuation: null,
    // Whether each of their savings claims stands, not which other cases booked it or the officer's comment.
    doubleCount: view.doubleCount.map(({ key, resolution }) => ({ key, ...(resolution ? { resolution } : {}) })),
    completionRequests: view.completionRequests.map(anonymous),
    preparation: null,
    // Which meeting the case is on, not what the council thought of it.
    council: view.council && { meetingId: view.council.meetingId },
    budgetCheck: null,
    // A return to preparation is the office's own routing: the applicant sees the case in handling again.
    decision: decided,
    terminated: view.terminated && anonymous(view.terminated),
    changeRequests: view.changeRequests.map((change) => omit(change, 'budgetCheck', 'decidedBy', 'requestedBy')),
    finalReportReturns: view.finalReportReturns?.map(anonymous),
    closure: view.closure && anonymous(view.closure),
  };
}
