// Limits against abuse, counted in the database so that every API process shares them (rate-limiter-flexible's
// Drizzle store: one atomic upsert per request, on PostgreSQL and on embedded PGlite alike): POSTs per user
// and minute, and receipts (new cases, each answered by email) per user and hour, so that no one can flood
// an address with them. Per user, not per address: counted per address, one applicant could use up the
// organisation's notice address and block every colleague. Over a limit: a 429 problem with Retry-After.
import type { Response } from 'express';
import { RateLimiterDrizzle, RateLimiterRes } from 'rate-limiter-flexible';
import type { Config } from '../config';
import type { Db } from '../db/client';
import { rateLimits as rateLimitTable } from '../db/schema';
import { HttpProblem } from './problems';

export interface RateLimits {
  /** Counts a POST of this user; throws the 429 problem (and sets Retry-After) when over the limit. */
  post(res: Response, userId: string): Promise<void>;
  /** Counts a receipt this user causes, likewise. */
  receipt(res: Response, userId: string): Promise<void>;
}

export function rateLimits(db: Db, limits: Config['rateLimits']): RateLimits {
  const limiter = (keyPrefix: string, points: number, duration: number) => (points > 0
    ? new RateLimiterDrizzle({ storeClient: db, schema: rateLimitTable, keyPrefix, points, duration })
    : undefined);
  const posts = limiter('post', limits.postsPerMinute, 60);
  const receipts = limiter('receipt', limits.receiptsPerHour, 3600);

  async function consume(l: RateLimiterDrizzle | undefined, key: string, res: Response, what: string): Promise<void> {
    if (!l) return;
    try {
      await l.consume(key);
    } catch (rejection) {
      if (!(rejection instanceof RateLimiterRes)) throw rejection;
      const seconds = Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
      res.setHeader('Retry-After', String(seconds));
      throw new HttpProblem('too-many-requests', `${what}; try again in ${seconds} s`);
    }
  }

  return {
    post: (res, userId) => consume(posts, userId, res, `At most ${limits.postsPerMinute} requests a minute that change something`),
    receipt: (res, userId) => consume(receipts, userId, res, `At most ${limits.receiptsPerHour} new cases (each answered with a receipt) an hour for one user`),
  };
}
