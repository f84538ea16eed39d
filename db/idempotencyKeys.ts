// The rows behind Idempotency-Key (api/idempotency.ts): one per caller and key, claimed by the first
// request with a placeholder and then holding that request's answer.
import { and, eq, sql } from 'drizzle-orm';
import type { Db } from './client';
import { idempotencyKeys } from './schema';

/** Status of a claimed key whose request is still running. */
export const IN_PROGRESS = 0;
/** A claim this old belongs to a request that died with its process; a retry may take it over. */
const ABANDONED_AFTER = '5 minutes';

export interface StoredAnswer { status: number; body: unknown }

const keyRow = (principal: string, key: string) => and(eq(idempotencyKeys.principal, principal), eq(idempotencyKeys.key, key));

/** True when this request now holds the key: it is the first, or the earlier claim was abandoned. */
export async function claimIdempotencyKey(db: Db, principal: string, key: string, requestHash: string): Promise<boolean> {
  const inserted = await db.insert(idempotencyKeys)
    .values({ principal, key, requestHash, status: IN_PROGRESS, body: {} })
    .onConflictDoNothing()
    .returning({ key: idempotencyKeys.key });
  if (inserted.length > 0) return true;
  const takenOver = await db.update(idempotencyKeys)
    .set({ requestHash, createdAt: sql`now()` })
    .where(and(keyRow(principal, key), eq(idempotencyKeys.status, IN_PROGRESS), sql`${idempotencyKeys.createdAt} < now() - interval '${sql.raw(ABANDONED_AFTER)}'`))
    .returning({ key: idempotencyKeys.key });
  return takenOver.length > 0;
}

/** The earlier request with this key: its hash and its answer (status IN_PROGRESS while it runs). */
export async function earlierRequest(db: Db, principal: string, key: string): Promise<(StoredAnswer & { requestHash: string }) | undefined> {
  const [earlier] = await db.select({ requestHash: idempotencyKeys.requestHash, status: idempotencyKeys.status, body: idempotencyKeys.body })
    .from(idempotencyKeys).where(keyRow(principal, key));
  return earlier;
}

export async function storeAnswer(db: Db, principal: string, key: string, answer: StoredAnswer): Promise<void> {
  await db.update(idempotencyKeys).set({ status: answer.status, body: answer.body ?? null }).where(keyRow(principal, key));
}

/** Frees the key, so that a retry runs the request again. */
export async function releaseIdempotencyKey(db: Db, principal: string, key: string): Promise<void> {
  await db.delete(idempotencyKeys).where(keyRow(principal, key));
}
