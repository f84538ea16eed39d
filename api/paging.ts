// Keyset paging for every list: the cursor is the last row's sort key, opaque to clients.
import { isoDate } from '../workflows/inputs';
import { HttpProblem } from './problems';

function encodeCursor(key: (string | number)[]): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

type Shape = 'string' | 'number' | 'date';

/** What a cursor member must be for the database to compare its column with it (a forged one is refused, not a 500). */
const FITS: Record<Shape, (v: unknown) => boolean> = {
  string: (v) => typeof v === 'string' && !v.includes('\u0000'),
  number: (v) => Number.isInteger(v) && Math.abs(v as number) <= 2_147_483_647,
  date: (v) => isoDate.safeParse(v).success,
};

export function decodeCursor(cursor: string, shape: Shape[]): (string | number)[] {
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    key = undefined;
  }
  if (!Array.isArray(key) || key.length !== shape.length || key.some((v, i) => !FITS[shape[i]](v))) {
    throw new HttpProblem('validation-failed', 'The cursor is not one this list gave out', { errors: [{ path: 'query.cursor', message: 'invalid cursor' }] });
  }
  return key as (string | number)[];
}

/** rows: up to limit + 1 rows in list order; the extra row only tells that there is a next page. */
export function page<T>(rows: T[], limit: number, key: (row: T) => (string | number)[]): { items: T[]; nextCursor: string | null } {
  const items = rows.slice(0, limit);
  return { items, nextCursor: rows.length > limit ? encodeCursor(key(items[items.length - 1])) : null };
}
