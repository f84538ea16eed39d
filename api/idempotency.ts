// Idempotency-Key on POSTs, per caller: the first request claims the key with a placeholder row, a repeat
// with the same body gets the stored answer, a repeat with another body is refused. A request that fails
// unexpectedly (5xx, a part that did not answer in time) releases the key so the client can retry; an
// action's retry then reaches the same Temporal update (retryId), and gets that step's own outcome.
//
// The claim is a lease the serving process renews while the request runs. When the process dies (SIGKILL,
// a lost machine) nothing renews it, and once it lapses a retry takes the request over; while it holds, a
// retry is told to come back (409 with Retry-After). A lease rather than an advisory lock: it needs no
// connection of its own, which embedded PGlite (one connection) could not spare.
import { createHash } from 'node:crypto';
import type { Request, Response } from 'express';
import type { Db } from '../db/client';
import {
  claimIdempotencyKey, earlierRequest, IN_PROGRESS, releaseIdempotencyKey, renewIdempotencyLease, storeAnswer, type StoredAnswer,
} from '../db/idempotencyKeys';
import { canonicalJson } from '../platform/canonicalJson';
import { HttpProblem, problemBody } from './problems';
import type { RateLimits } from './rateLimits';

export interface IdempotencyStore {
  /** limits: the caller's POST limit, counted in the same statement as the claim. */
  once(req: Request, res: Response, principal: string, key: string, successStatus: number, run: () => Promise<unknown>, limits: RateLimits): Promise<StoredAnswer>;
}

/** What makes a repeat the same request: method, URL and the body in canonical form. */
export function requestHash(req: Request): string {
  return createHash('sha256').update(`${req.method} ${req.originalUrl}\n${canonicalJson(req.body ?? null)}`).digest('hex');
}

/**
 * An id for the work a keyed request starts, the same on every retry of that request: an action's Temporal
 * update id. A retry after the answer was lost (a 5xx releases the key) then gets the step's own outcome
 * from the engine instead of a 409 from a case that has moved on. Undefined without an Idempotency-Key.
 */
export function retryId(req: Request, principal: string): string | undefined {
  const key = req.get('Idempotency-Key');
  return key === undefined ? undefined : createHash('sha256').update(`${principal}\n${key}\n${requestHash(req)}`).digest('hex');
}

/** Renewed three times a lease, so one slow renewal does not let it lapse. */
const RENEWALS_PER_LEASE = 3;

/** Renews the claim while run() runs; a failed renewal is tried again at the next tick (the lease outlives two). */
async function whileLeased<T>(db: Db, principal: string, key: string, holder: string, leaseMs: number, run: () => Promise<T>): Promise<T> {
  const timer = setInterval(() => { renewIdempotencyLease(db, principal, key, holder, leaseMs).catch(() => undefined); }, leaseMs / RENEWALS_PER_LEASE);
  timer.unref();
  try {
    return await run();
  } finally {
    clearInterval(timer);
  }
}

/** leaseMs: how long a claim holds without renewal, i.e. how soon a retry takes over from a dead process. */
export function idempotencyStore(db: Db, leaseMs: number): IdempotencyStore {
  return {
    async once(req, res, principal, key, successStatus, run, limits) {
      if (!/^[\x21-\x7e]{1,200}$/.test(key)) {
        throw new HttpProblem('validation-failed', 'Idempotency-Key must be 1-200 visible ASCII characters', { errors: [{ path: 'header.Idempotency-Key', message: 'invalid' }] });
      }
      const hash = requestHash(req);
      const { holder, refused } = await claimIdempotencyKey(db, principal, key, hash, leaseMs, limits.postWindow(principal));
      if (refused) throw limits.postRefused(res, refused.msBeforeNext);
      if (holder === undefined) {
        const earlier = await earlierRequest(db, principal, key);
        if (!earlier) throw new HttpProblem('in-progress', 'The request with this Idempotency-Key just finished; retry', {}, 1);
        if (earlier.requestHash !== hash) {
          throw new HttpProblem('idempotency-key-reused', 'This Idempotency-Key was used for a different request; use a new key');
        }
        if (earlier.status === IN_PROGRESS) {
          // Still running, or its process died and the lease has not lapsed yet: either way, try again then.
          throw new HttpProblem('in-progress', 'A request with this Idempotency-Key is still running; retry shortly', {}, Math.max(1, earlier.leaseSeconds));
        }
        res.setHeader('Idempotent-Replayed', 'true');
        return { status: earlier.status, body: earlier.body };
      }
      try {
        const answer = { status: successStatus, body: await whileLeased(db, principal, key, holder, leaseMs, run) };
        // Not stored when a retry took the request over meanwhile: the successor's answer is the key's.
        await storeAnswer(db, principal, key, holder, answer);
        return answer;
      } catch (err) {
        // A 429 says "not now", not what the request comes to: the key stays free for the retry.
        if (err instanceof HttpProblem && err.status < 500 && err.status !== 429) {
          await storeAnswer(db, principal, key, holder, { status: err.status, body: problemBody(req, err) });
        } else {
          // A database that does not answer cannot release it either; then the lease lapses on its own.
          await releaseIdempotencyKey(db, principal, key, holder).catch(() => undefined);
        }
        throw err;
      }
    },
  };
}
