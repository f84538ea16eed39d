// The rows behind Idempotency-Key (api/idempotency.ts): one per caller and key, claimed by the first
// request with a placeholder and then holding that request's answer. Each claim carries its holder's id:
// a process that lost its lease (it stalled, and a retry took the request over) can no longer renew,
// answer or release it, so it cannot overwrite its successor's answer.
import { randomUUID } from 'node:crypto';
import { and, eq, sql } from 'drizzle-orm';
import type { Db } from './client';
import { countIn, verdict, type Count, type Window } from './requestCounts';
import { idempotencyKeys } from './schema';

/** Status of a claimed key whose request is still running. */
export const IN_PROGRESS = 0;

export interface StoredAnswer { status: number; body: unknown }

const keyRow = (principal: string, key: string) => and(eq(idempotencyKeys.principal, principal), eq(idempotencyKeys.key, key));

/** The key's row while this holder's claim on it is running. */
const heldBy = (principal: string, key: string, holder: string) => and(keyRow(principal, key), eq(idempotencyKeys.status, IN_PROGRESS), eq(idempotencyKeys.holder, holder));

const leaseFromNow = (leaseMs: number) => sql`now() + make_interval(secs => ${leaseMs / 1000})`;

/**
 * Claims the key for this request, leased for leaseMs, after counting the request in its user's window
 * (`limit`), all in one statement: `holder` when this request now holds the key (it is the first, or the
 * earlier claim's lease lapsed, its process dead or stalled, and this one takes over); none when it does not
 * (an earlier request with the key holds or answered it); `refused` when the count is over the limit, and
 * then nothing is claimed. A takeover is for the same request hash only: another body is refused.
 */
export async function claimIdempotencyKey(
  db: Db, principal: string, key: string, requestHash: string, leaseMs: number, limit?: Window,
): Promise<{ holder?: string; refused?: Extract<Count, { allowed: false }> }> {
  const holder = randomUUID();
  if (limit) {
    const { rows } = (await db.execute(sql`WITH counted AS (${countIn(limit)}),
      claimed AS (INSERT INTO idempotency_keys (principal, key, request_hash, status, body, lease_until, holder)
        SELECT ${principal}, ${key}, ${requestHash}, ${IN_PROGRESS}, '{}'::jsonb, ${leaseFromNow(leaseMs)}, ${holder}
        WHERE (SELECT points FROM counted) <= ${limit.points}
        ON CONFLICT DO NOTHING RETURNING key)
      SELECT counted.points, counted.ms_left, EXISTS (SELECT FROM claimed) AS claimed FROM counted`)) as unknown as { rows: { points: number; ms_left: number; claimed: boolean }[] };
    const count = verdict(limit, rows[0]);
    if (!count.allowed) return { refused: count };
    if (rows[0].claimed) return { holder };
  } else {
    const inserted = await db.insert(idempotencyKeys)
      .values({ principal, key, requestHash, status: IN_PROGRESS, body: {}, leaseUntil: leaseFromNow(leaseMs), holder }).onConflictDoNothing().returning({ key: idempotencyKeys.key });
    if (inserted.length > 0) return { holder };
  }
  const takenOver = await db.update(idempotencyKeys)
    .set({ leaseUntil: leaseFromNow(leaseMs), holder })
    .where(and(
      keyRow(principal, key), eq(idempotencyKeys.status, IN_PROGRESS), eq(idempotencyKeys.requestHash, requestHash),
      sql`coalesce(${idempotencyKeys.leaseUntil}, ${idempotencyKeys.createdAt}) < now()`,
    ))
    .returning({ key: idempotencyKeys.key });
  return takenOver.length > 0 ? { holder } : {};
}

/** Keeps a running request's claim: true while this holder still holds it. */
export async function renewIdempotencyLease(db: Db, principal: string, key: string, holder: string, leaseMs: number): Promise<boolean> {
  const renewed = await db.update(idempotencyKeys).set({ leaseUntil: leaseFromNow(leaseMs) })
    .where(heldBy(principal, key, holder))
    .returning({ key: idempotencyKeys.key });
  return renewed.length > 0;
}

/**
 * The earlier request with this key: its hash and its answer (status IN_PROGRESS while it runs), and while
 * it runs the seconds left on its lease.
 */
export async function earlierRequest(db: Db, principal: string, key: string): Promise<(StoredAnswer & { requestHash: string; leaseSeconds: number }) | undefined> {
  const [earlier] = await db.select({
    requestHash: idempotencyKeys.requestHash, status: idempotencyKeys.status, body: idempotencyKeys.body,
    leaseSeconds: sql<string>`greatest(0, extract(epoch from coalesce(${idempotencyKeys.leaseUntil}, now()) - now()))`,
  }).from(idempotencyKeys).where(keyRow(principal, key));
  return earlier && { ...earlier, leaseSeconds: Number(earlier.leaseSeconds) };
}

/** Keeps the answer as the key's, if this holder still holds the claim: true when it did. */
export async function storeAnswer(db: Db, principal: string, key: string, holder: string, answer: StoredAnswer): Promise<boolean> {
  const stored = await db.update(idempotencyKeys).set({ status: answer.status, body: answer.body ?? null, leaseUntil: null })
    .where(heldBy(principal, key, holder))
    .returning({ key: idempotencyKeys.key });
  return stored.length > 0;
}

/** Frees the key, if this holder still holds it, so that a retry runs the request again. */
export async function releaseIdempotencyKey(db: Db, principal: string, key: string, holder: string): Promise<void> {
  await db.delete(idempotencyKeys).where(heldBy(principal, key, holder));
}
