// Savings claims and the double-count check: a claim whose key another live or granted case has booked is
// flagged, and the case goes no further until the officer resolves each flag (keep, or remove the claim).
// A case that ended without money frees its claims; a granted one keeps them booked for good, so a saving
// realised is never booked twice.
import type { CaseView, Stage } from './types';

/** Stages where a case ended without money: its savings claims no longer block anyone. */
const ENDED_UNGRANTED: readonly Stage[] = ['rejected', 'withdrawn', 'lapsed', 'redirected'];

/** Whether a flag still waits for the officer, for any key or the one given. */
export const unresolvedFlag = (view: CaseView, key?: string): boolean =>
  view.doubleCount.some((d) => d.resolution === undefined && (key === undefined || d.key === key));

/** What the double-count check says of each flagged claim, as far as which claims a case kept. */
export type ClaimsOfCase = Pick<CaseView, 'application'> & { doubleCount: Pick<CaseView['doubleCount'][number], 'key' | 'resolution'>[] };

/** The savings claims the case kept: those of its application not removed in the double-count check. */
export function keptClaims(view: ClaimsOfCase): string[] {
  const removed = new Set(view.doubleCount.filter((d) => d.resolution === 'removed').map((d) => d.key));
  return (view.application?.savingsClaims ?? []).map((c) => c.key).filter((k) => !removed.has(k));
}

/** How a claim stands in the register of bookings: live (it blocks others), removed, or closed with its case. */
export function claimStatus(view: CaseView, key: string): 'live' | 'removed' | 'closed' {
  if (!keptClaims(view).includes(key)) return 'removed';
  return ENDED_UNGRANTED.includes(view.stage) ? 'closed' : 'live';
}
