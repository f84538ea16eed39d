// Editions of the case rules. A change that alters what running cases do is a new edition, switched on with
// patched(): a case takes it at its first step or deadline on code that knows it, and the history it made
// before replays on the edition it ran on. A new case starts on the latest edition.
//
// 1: as first released (first.ts).
// 2: the rules at the edges (rulesAtTheEdges.ts).
// 3: bounds on a case's size (sizeBounds.ts).
import type { Edition } from './edition';
import { firstEdition } from './first';
import { rulesAtTheEdges } from './rulesAtTheEdges';
import { sizeBounds } from './sizeBounds';

export type { Edition } from './edition';

export const EDGES_PATCH = 'rules-at-the-edges';
export const SIZE_BOUNDS_PATCH = 'case-size-bounds';

const EDITIONS: readonly Edition[] = [firstEdition, rulesAtTheEdges, sizeBounds];
export const LATEST: Edition = EDITIONS[EDITIONS.length - 1];

/** The edition numbered n. */
export const edition = (n: number): Edition => EDITIONS[n - 1];

/**
 * The edition a new case starts on: the latest, unless its history was made by code that knew only earlier
 * ones (each edition's patch is recorded when a case starts on it, so the history replays on the same).
 */
export function startingEdition(patched: (id: string) => boolean): Edition {
  if (!patched(EDGES_PATCH)) return firstEdition;
  return patched(SIZE_BOUNDS_PATCH) ? sizeBounds : rulesAtTheEdges;
}

/** The edition a case state runs on; states carried from before editions existed are edition 1. */
export const editionOf = (state: { edition?: number }): Edition => edition(state.edition ?? 1);
