// Editions of the case rules. A change that alters what running cases do is a new edition, switched on with
// patched(): a case takes it at its first step or deadline on code that knows it, and the history it made
// before replays on the edition it ran on. A new case starts on the latest edition.
//
// 1: as first released.
// 2: rules at the edges: deadlines on the Stockholm calendar, reports filed from the first day of their period
//    and closed as not received when execution ends, start-date, closure, effect-report and delegation rules,
//    reservations by the decided dates and the years money was spent, light reporting after a change, the
//    budget check of a change that raises the total, savings claims booked atomically.
// 3: bounds on a case's size (caseSize.ts): the project's length by the rule set, texts counted in bytes,
//    each step checked against what the workflow would then hold.
import { EARLIER_DEADLINES, isExact, isSubDay, STOCKHOLM_DEADLINES, type Deadlines } from './calendar';

export const EDGES_PATCH = 'rules-at-the-edges';
export const SIZE_BOUNDS_PATCH = 'case-size-bounds';
export const LATEST_EDITION = 3;

/**
 * The edition a new case starts on: the latest, unless its history was made by code that knew only earlier
 * ones (each edition's patch is recorded when a case starts on it, so the history replays on the same).
 */
export function startingEdition(patched: (id: string) => boolean): number {
  if (!patched(EDGES_PATCH)) return 1;
  return patched(SIZE_BOUNDS_PATCH) ? 3 : 2;
}

/** The edition a case state runs on; states carried from before editions existed are edition 1. */
export const editionOf = (state: { edition?: number }): number => state.edition ?? 1;

export const deadlinesOf = (state: { edition?: number }): Deadlines => (editionOf(state) >= 2 ? STOCKHOLM_DEADLINES : EARLIER_DEADLINES);

/** Whether a duration counts exactly (an instant) rather than in Stockholm days, as the case's edition reads it. */
export const isExactIn = (state: { edition?: number }, duration: string): boolean => (editionOf(state) >= 2 ? isExact(duration) : isSubDay(duration));
