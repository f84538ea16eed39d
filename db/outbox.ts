// The outbox counted: rows by delivery status (a step's, for deliverEmails; all, for the dashboard), the
// oldest row not yet sent and the latest failures. Sending itself is in activities/notifications.ts.
import { asc, desc, eq, inArray, sql, type SQL } from 'drizzle-orm';
import type { Db } from './client';
import { outbox } from './schema';

/** The channel the outbox notifies whenever rows are inserted (a trigger, migration 0008): the relay listens on it. */
export const OUTBOX_CHANNEL = 'outbox';

export type OutboxCounts = Record<'pending' | 'sending' | 'sent' | 'failed', number>;

/** Rows by status among those in scope (every row when scope is undefined). */
export async function outboxCounts(db: Db, scope?: SQL): Promise<OutboxCounts> {
  const rows = await db.select({ status: outbox.status, n: sql<number>`count(*)::int` }).from(outbox).where(scope).groupBy(outbox.status);
  const n = (status: string) => rows.find((r) => r.status === status)?.n ?? 0;
  return { pending: n('pending'), sending: n('sending'), sent: n('sent'), failed: n('failed') };
}

export interface OutboxHealth {
  counts: OutboxCounts;
  /** When the oldest unsent row (pending or sending) was written, ISO 8601: a long wait means mail is not going out. */
  oldestPendingAt: string | null;
  /** Newest first; no addresses (the error texts are masked when stored). */
  latestFailures: { caseId: string; seq: number; template: string; lastError: string | null; at: string }[];
}

const iso = (instant: string) => new Date(instant).toISOString();

/** Emails not yet sent (pending or being sent) and when the oldest was queued: readiness reports it (by the status index). */
export async function queuedEmails(db: Db): Promise<{ queued: number; oldestQueuedAt: string | null }> {
  const [row] = await db.select({ queued: sql<number>`count(*)::int`, oldest: sql<string | null>`min(${outbox.createdAt})` })
    .from(outbox).where(inArray(outbox.status, ['pending', 'sending']));
  return { queued: row?.queued ?? 0, oldestQueuedAt: row?.oldest ? iso(row.oldest) : null };
}

export async function outboxHealth(db: Db, { latest = 20 }: { latest?: number } = {}): Promise<OutboxHealth> {
  const counts = await outboxCounts(db);
  const [oldest] = await db.select({ createdAt: outbox.createdAt }).from(outbox)
    .where(inArray(outbox.status, ['pending', 'sending'])).orderBy(asc(outbox.createdAt)).limit(1);
  const failures = await db.select({
    caseId: outbox.caseId, seq: outbox.seq, template: outbox.template, lastError: outbox.lastError, sentAt: outbox.sentAt, createdAt: outbox.createdAt,
  }).from(outbox)
    .where(eq(outbox.status, 'failed'))
    .orderBy(desc(sql`coalesce(${outbox.sentAt}, ${outbox.createdAt})`), desc(outbox.id))
    .limit(latest);
  return {
    counts,
    oldestPendingAt: oldest ? iso(oldest.createdAt) : null,
    latestFailures: failures.map(({ sentAt, createdAt, ...f }) => ({ ...f, at: iso(sentAt ?? createdAt) })),
  };
}
