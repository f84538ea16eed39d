// The audit trail's hash chain. Each row's hash covers its own content and the previous row's hash,
// so changing, removing or reordering any row breaks every hash after it; verifyAuditChain finds
// the first row where that happens. The database trigger (migration 0001) refuses UPDATE, DELETE and
// TRUNCATE; the chain is what still catches a tamper by someone able to switch that trigger off.
import { createHash } from 'node:crypto';
import { and, asc, desc, eq, gt, sql } from 'drizzle-orm';
import { canonicalJson } from '../platform/canonicalJson';
import type { Actor, StepRecord } from '../workflows/types';
import type { Db } from './client';
import { lockAuditChain } from './locks';
import { auditEvents } from './schema';

/** prevHash of the first row. */
export const GENESIS_HASH = '0'.repeat(64);

/** What a row's hash covers: everything recorded about the step, in JSON-safe form. */
export interface AuditContent {
  caseId: string;
  caseSeq: number;
  /** ISO 8601 UTC with milliseconds, exactly as the database returns it (see AT_ISO). */
  at: string;
  actor: { id: string; name: string; roles: string[]; org: string | null };
  action: string;
  stageBefore: string | null;
  stageAfter: string;
  input: unknown;
  outcome: unknown;
  motivation: string | null;
}

/** sha256 (hex) over the canonical JSON of the row's content together with the previous row's hash. */
export function canonicalHash(content: AuditContent, prevHash: string): string {
  return createHash('sha256').update(canonicalJson({ ...content, prevHash })).digest('hex');
}

/** Plain JSON data, as jsonb will store it: no undefined, Dates as strings, toJSON applied. */
function jsonData(value: unknown): unknown {
  return value === undefined ? null : JSON.parse(JSON.stringify(value));
}

function actorOf(actor: Actor): AuditContent['actor'] {
  return { id: actor.id, name: actor.name, roles: [...actor.roles], org: actor.org ?? null };
}

export function auditContent(step: StepRecord): AuditContent {
  return {
    caseId: step.caseId,
    caseSeq: step.seq,
    at: new Date(step.at).toISOString(),
    actor: actorOf(step.actor),
    action: step.action,
    stageBefore: step.stageBefore,
    stageAfter: step.stageAfter,
    input: jsonData(step.input),
    outcome: jsonData(step.outcome),
    motivation: step.motivation ?? null,
  };
}

/**
 * Appends one row at the end of the chain; does nothing when (caseId, caseSeq) is already recorded.
 * Must run inside a transaction: the advisory lock is held until it commits.
 */
export async function appendAuditEvent(tx: Db, content: AuditContent): Promise<{ appended: boolean }> {
  await lockAuditChain(tx);
  const [last] = await tx.select({ hash: auditEvents.hash }).from(auditEvents).orderBy(desc(auditEvents.seq)).limit(1);
  const prevHash = last?.hash ?? GENESIS_HASH;
  const inserted = await tx.insert(auditEvents).values({
    caseId: content.caseId,
    caseSeq: content.caseSeq,
    at: content.at,
    actorId: content.actor.id,
    actorName: content.actor.name,
    actorRoles: content.actor.roles,
    actorOrg: content.actor.org,
    action: content.action,
    stageBefore: content.stageBefore,
    stageAfter: content.stageAfter,
    input: content.input,
    outcome: content.outcome,
    motivation: content.motivation,
    prevHash,
    hash: canonicalHash(content, prevHash),
  }).onConflictDoNothing({ target: [auditEvents.caseId, auditEvents.caseSeq] }).returning({ seq: auditEvents.seq });
  return { appended: inserted.length > 0 };
}

export async function isRecorded(db: Db, caseId: string, caseSeq: number): Promise<boolean> {
  const rows = await db.select({ seq: auditEvents.seq }).from(auditEvents)
    .where(and(eq(auditEvents.caseId, caseId), eq(auditEvents.caseSeq, caseSeq))).limit(1);
  return rows.length > 0;
}

/** The instant as the hash saw it (JavaScript's toISOString), whatever the session's time zone. */
const AT_ISO = sql<string>`to_char(${auditEvents.at} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/** Columns of a stored row, with `at` rendered as the hash saw it. */
export const auditColumns = {
  seq: auditEvents.seq,
  caseId: auditEvents.caseId,
  caseSeq: auditEvents.caseSeq,
  at: AT_ISO,
  actorId: auditEvents.actorId,
  actorName: auditEvents.actorName,
  actorRoles: auditEvents.actorRoles,
  actorOrg: auditEvents.actorOrg,
  action: auditEvents.action,
  stageBefore: auditEvents.stageBefore,
  stageAfter: auditEvents.stageAfter,
  input: auditEvents.input,
  outcome: auditEvents.outcome,
  motivation: auditEvents.motivation,
  prevHash: auditEvents.prevHash,
  hash: auditEvents.hash,
};

export type AuditRow = { [K in keyof typeof auditColumns]: K extends 'at' ? string : (typeof auditEvents.$inferSelect)[Exclude<K, 'at'>] };

/** The content a stored row's hash covers. */
export function contentOfRow(row: AuditRow): AuditContent {
  return {
    caseId: row.caseId,
    caseSeq: row.caseSeq,
    at: row.at,
    actor: { id: row.actorId, name: row.actorName, roles: row.actorRoles, org: row.actorOrg },
    action: row.action,
    stageBefore: row.stageBefore,
    stageAfter: row.stageAfter,
    input: row.input,
    outcome: row.outcome,
    motivation: row.motivation,
  };
}

export interface AuditVerification {
  ok: boolean;
  /** Rows examined: all of them when ok, else up to and including the first broken one. */
  checked: number;
  firstBrokenSeq: number | null;
}

/**
 * Walks the chain in seq order, a batch at a time (keyset on seq, so memory stays flat), and stops at
 * the first row whose prevHash is not the previous row's hash or whose hash does not match its content.
 * A removed row shows as a break at the row after it. Removing the newest rows leaves a shorter
 * chain that is still whole; catching that needs the head hash kept elsewhere.
 */
export async function verifyAuditChain(db: Db, opts: { batchSize?: number } = {}): Promise<AuditVerification> {
  const batchSize = opts.batchSize ?? 1000;
  let prevHash = GENESIS_HASH;
  let after = 0;
  let checked = 0;
  for (;;) {
    const rows: AuditRow[] = await db.select(auditColumns).from(auditEvents)
      .where(gt(auditEvents.seq, after)).orderBy(asc(auditEvents.seq)).limit(batchSize);
    for (const row of rows) {
      checked += 1;
      if (row.prevHash !== prevHash || canonicalHash(contentOfRow(row), row.prevHash) !== row.hash) {
        return { ok: false, checked, firstBrokenSeq: row.seq };
      }
      prevHash = row.hash;
      after = row.seq;
    }
    if (rows.length < batchSize) return { ok: true, checked, firstBrokenSeq: null };
  }
}
