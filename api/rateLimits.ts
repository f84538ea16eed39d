// Limits against abuse, counted in the database so that every API process shares them (db/requestCounts.ts:
// one atomic upsert per request, on PostgreSQL and on embedded PGlite alike; with an Idempotency-Key, in the
// same statement as the key's claim): POSTs per user and minute, and receipts (new cases, each answered by
// email) per user and hour, so that no one can flood an address with them. Per user, not per address:
// counted per address, one applicant could use up the organisation's notice address and block every
// colleague. Over a limit: a 429 problem with Retry-After.
import type { Response } from 'express';
import type { Config } from '../config';
import type { Db } from '../db/client';
import { countRequest, type Window } from '../db/requestCounts';
import { HttpProblem } from './problems';

export interface RateLimits {
  /** The window a user's POSTs are counted in; undefined when they are not limited. */
  postWindow(userId: string): Window | undefined;
  /** Counts a POST of this user; throws the 429 problem (and sets Retry-After) when over the limit. */
  post(res: Response, userId: string): Promise<void>;
  /** The 429 problem for a POST the count refused (with Retry-After set). */
  postRefused(res: Response, msBeforeNext: number): HttpProblem;
  /** Counts a receipt this user causes, likewise. */
  receipt(res: Response, userId: string): Promise<void>;
}

export function rateLimits(db: Db, limits: Config['rateLimits']): RateLimits {
  const window = (kind: string, points: number, durationMs: number) => (userId: string): Window | undefined =>
    (points > 0 ? { key: `${kind}:${userId}`, points, durationMs } : undefined);
  const postWindow = window('post', limits.postsPerMinute, 60_000);
  const receiptWindow = window('receipt', limits.receiptsPerHour, 3_600_000);

  function refused(res: Response, msBeforeNext: number, what: string): HttpProblem {
    const seconds = Math.max(1, Math.ceil(msBeforeNext / 1000));
    res.setHeader('Retry-After', String(seconds));
    return new HttpProblem('too-many-requests', `${what}; try again in ${seconds} s`);
  }
  const postsWhat = `At most ${limits.postsPerMinute} requests a minute that change something`;

  async function count(w: Window | undefined, res: Response, what: string): Promise<void> {
    if (!w) return;
    const counted = await countRequest(db, w);
    if (!counted.allowed) throw refused(res, counted.msBeforeNext, what);
  }

  return {
    postWindow,
    post: (res, userId) => count(postWindow(userId), res, postsWhat),
    postRefused: (res, msBeforeNext) => refused(res, msBeforeNext, postsWhat),
    receipt: (res, userId) => count(receiptWindow(userId), res, `At most ${limits.receiptsPerHour} new cases (each answered with a receipt) an hour for one user`),
  };
}
