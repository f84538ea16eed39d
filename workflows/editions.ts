// Editions of the case rules. A change that alters what running cases do is a new edition, switched on with
// patched(): a case takes it at its first step or deadline on code that knows it, and the history it made
// before replays on the edition it ran on. A new case starts on the latest edition.
//
// 1: as first released.
// 2: rules at the edges: deadlines on the Stockholm calendar, reports filed from the first day of their period
//    and closed as not received when execution ends, start-date, closure, effect-report and delegation rules,
//    reservations by the decided dates and the years money was spent, light reporting after a change, the
//    budget check of a change that raises the total, savings claims booked atomically.
import { EARLIER_DEADLINES, isExact, isSubDay, STOCKHOLM_DEADLINES, type Deadlines } from './calendar';

export const EDGES_PATCH = 'rules-at-the-edges';
export const LATEST_EDITION = 2;

/** The edition a case state runs on; states carried from before editions existed are edition 1. */
export const editionOf = (state: { edition?: number }): number => state.edition ?? 1;

export const deadlinesOf = (state: { edition?: number }): Deadlines => (editionOf(state) >= 2 ? STOCKHOLM_DEADLINES : EARLIER_DEADLINES);

/** Whether a duration counts exactly (an instant) rather than in Stockholm days, as the case's edition reads it. */
export const isExactIn = (state: { edition?: number }, duration: string): boolean => (editionOf(state) >= 2 ? isExact(duration) : isSubDay(duration));
