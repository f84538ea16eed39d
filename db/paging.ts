// Keyset paging for every list: a page's cursor is its last row's sort key as base64url JSON, opaque to
// clients, and the next page starts after that key (never at an OFFSET).

export interface Page<T> { items: T[]; nextCursor: string | null }

/** A page asked for: at most limit items, after the key in cursor (from the start without one). */
export interface PageRequest { limit: number; cursor?: string }

/** A cursor this service did not give out; the API answers it with a 400 naming query.cursor. */
export class BadCursorError extends Error {
  constructor() { super('cursor is not one this service gave out'); }
}

/**
 * The sort key a cursor holds. Each list checks every member of its key (members[i] for the i-th) for what
 * the database can compare its column with, so a forged cursor is refused rather than failing the query.
 */
export function decodeCursor<T extends unknown[]>(cursor: string, members: ((v: unknown) => boolean)[]): T {
  try {
    const key: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(key) && key.length === members.length && key.every((v, i) => members[i](v))) return key as T;
  } catch { /* falls through to the error below */ }
  throw new BadCursorError();
}

/** rows: up to limit + 1 rows in list order; the extra row only tells that there is a next page. */
export function toPage<T>(rows: T[], limit: number, key: (row: T) => (string | number)[]): Page<T> {
  const items = rows.slice(0, limit);
  const next = rows.length > limit ? Buffer.from(JSON.stringify(key(items[items.length - 1]))).toString('base64url') : null;
  return { items, nextCursor: next };
}

/** A cursor member compared with a text column: PostgreSQL text cannot hold NUL. */
export const isText = (v: unknown): boolean => typeof v === 'string' && !v.includes('\u0000');
