// Requests counted per user in fixed windows (the rate limits, api/rateLimits.ts), in the database's
// rate_limits table so that every API process shares them. One statement counts a request and answers
// whether it is within the limit; countIn() is the same count as a part of a larger statement, so that a POST
// with an Idempotency-Key is counted and claims its key in one round trip (db/idempotencyKeys.ts).
import { sql, type SQL } from 'drizzle-orm';
import type { Db } from './client';

/** A limit on one user's requests of a kind: at most `points` in a window of `durationMs`. */
export interface Window { key: string; points: number; durationMs: number }

/** Within the limit, or refused until the window ends. */
export type Count = { allowed: true } | { allowed: false; msBeforeNext: number };

/** INSERT … RETURNING the window's count after this request (`points`) and the ms until it ends (`ms_left`). */
export const countIn = (w: Window): SQL => sql`INSERT INTO rate_limits AS r (key, points, expire)
  VALUES (${w.key}, 1, now() + make_interval(secs => ${w.durationMs / 1000}))
  ON CONFLICT (key) DO UPDATE SET
    points = CASE WHEN r.expire > now() THEN r.points + 1 ELSE 1 END,
    expire = CASE WHEN r.expire > now() THEN r.expire ELSE excluded.expire END
  RETURNING r.points, greatest(0, ceil(extract(epoch FROM r.expire - now()) * 1000))::int AS ms_left`;

/** What a counted row says of the request. */
export const verdict = (w: Window, row: { points: number; ms_left: number }): Count =>
  (row.points <= w.points ? { allowed: true } : { allowed: false, msBeforeNext: row.ms_left });

/** Counts one request in its window. */
export async function countRequest(db: Db, w: Window): Promise<Count> {
  const { rows } = (await db.execute(countIn(w))) as unknown as { rows: { points: number; ms_left: number }[] };
  return verdict(w, rows[0]);
}
