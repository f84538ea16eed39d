// The outbox counted: rows by delivery status (a step's, for deliverEmails; all, for the dashboard), the
// oldest row not yet sent and the latest failures. Sending itself is in activities/notifications.ts.
import { and, asc, desc, eq, inArray, lt, ne, sql, type SQL } from 'drizzle-orm';
import type { Db } from './client';
import { outbox } from './schema';
import type { StepRecord } from '../workflows/types';

/** The channel the outbox notifies whenever rows are inserted (a trigger, migration 0008): the relay listens on it. */
/** One email ready for the outbox; unique per (case, step, template, recipient). */
export interface OutboxDraft {
  template: string;
  recipient: string;
  language: 'sv' | 'en';
  subject: string;
  text: string;
  html: string;
  /** Deterministic, so a resend is recognisable as the same message. */
  messageId: string;
}

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

/** A step's emails into the outbox, in the step's transaction; the relay sends them once it commits. Keyed by the step. */
export async function queueEmails(tx: Db, step: StepRecord, drafts: OutboxDraft[]): Promise<void> {
  if (drafts.length === 0) return;
  await tx.insert(outbox)
    .values(drafts.map((d) => ({ caseId: step.caseId, seq: step.seq, ...d })))
    .onConflictDoNothing({ target: [outbox.caseId, outbox.seq, outbox.template, outbox.recipient] });
}

type OutboxRow = typeof outbox.$inferSelect;

/** The rows of one step. */
export const ofStep = (caseId: string, seq: number): SQL => and(eq(outbox.caseId, caseId), eq(outbox.seq, seq)) as SQL;

/** The next pending rows in scope (all when undefined) past the cursor over (attempts, id), fewest attempts first. */
export async function pendingAfter(db: Db, scope: SQL | undefined, after: { attempts: number; id: number } | undefined, limit: number) {
  return db.select({ id: outbox.id, attempts: outbox.attempts }).from(outbox)
    .where(and(scope, eq(outbox.status, 'pending'), after ? sql`(${outbox.attempts}, ${outbox.id}) > (${after.attempts}, ${after.id})` : undefined))
    .orderBy(asc(outbox.attempts), asc(outbox.id))
    .limit(limit);
}

/** Claims a pending row for sending (one attempt more); undefined when another caller has claimed or finished it. */
export async function claimForSending(db: Db, id: number): Promise<OutboxRow | undefined> {
  const [row] = await db.update(outbox)
    .set({ status: 'sending', attempts: sql`${outbox.attempts} + 1`, sentAt: sql`now()` })
    .where(and(eq(outbox.id, id), eq(outbox.status, 'pending')))
    .returning();
  return row;
}

/**
 * A send's outcome, written only by the claim that made it: after a stale release and a new claim the attempts
 * differ, and the older claim writes nothing.
 */
export async function settleSending(db: Db, claim: Pick<OutboxRow, 'id' | 'attempts'>, outcome: { status: 'sent' } | { status: 'failed' | 'pending'; lastError: string }): Promise<void> {
  const set = outcome.status === 'sent' ? { status: 'sent' as const, sentAt: sql`now()`, lastError: null }
    : outcome.status === 'failed' ? { status: 'failed' as const, lastError: outcome.lastError, sentAt: sql`now()` }
      : { status: 'pending' as const, lastError: outcome.lastError, sentAt: null };
  await db.update(outbox).set(set).where(and(eq(outbox.id, claim.id), eq(outbox.status, 'sending'), eq(outbox.attempts, claim.attempts)));
}

/** A step's refused emails, alerts aside, in the order they were written. */
export async function refusedOfStep(db: Db, caseId: string, seq: number) {
  return db.select({ template: outbox.template, recipient: outbox.recipient, lastError: outbox.lastError })
    .from(outbox)
    .where(and(eq(outbox.caseId, caseId), eq(outbox.seq, seq), eq(outbox.status, 'failed'), ne(outbox.template, 'delivery-failed')))
    .orderBy(asc(outbox.id));
}

/** The office's alert of a step's refused emails: one row per step, rewritten while it is still pending. */
export async function queueOfficeAlert(db: Db, alert: typeof outbox.$inferInsert): Promise<void> {
  await db.insert(outbox).values(alert).onConflictDoUpdate({
    target: [outbox.caseId, outbox.seq, outbox.template, outbox.recipient],
    set: { subject: sql`excluded.subject`, text: sql`excluded.text`, html: sql`excluded.html` },
    setWhere: eq(outbox.status, 'pending'),
  });
}

/** Rows a process left 'sending' longer ago than `ms` (it died mid-send) go back to pending, to be sent again. */
export async function releaseStaleSending(db: Db, ms: number): Promise<void> {
  await db.update(outbox)
    .set({ status: 'pending', lastError: 'interrupted while sending; sent again' })
    .where(and(eq(outbox.status, 'sending'), lt(outbox.sentAt, sql`now() - ${Math.max(0, Math.round(ms))}::integer * interval '1 millisecond'`)));
}
