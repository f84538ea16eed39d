// The audit trail in the database: appending steps of cases and changes of reference data to one hash
// chain, signing its head (checkpoints), and verifying both. What a hash covers and the walk that checks
// it are in audit/chain.ts, shared with the offline verification of an export. The database
// trigger (migrations 0001, 0004) refuses UPDATE, DELETE and TRUNCATE of rows and checkpoints, and in
// production the application's role may only insert and read rows and only read checkpoints, which the
// signer's role writes; the chain, the checkpoints and the newest one kept outside the database are what
// still catch a tamper by someone who owns the tables.
import { and, asc, desc, eq, gt, lte, sql } from 'drizzle-orm';
import {
  ChainCheck, canonicalHash, checkpointSignatureValid, GENESIS_HASH, publicKeysFrom, type AuditContent, type ChainVerdict, type Checkpoint, type CheckpointSigner,
} from '../audit/chain';
import type { Actor, StepRecord } from '../workflows/types';
import type { Db } from './client';
import { keepSignedHead, readSignedHead } from '../audit/signedHead';
import { lockAuditChain } from './locks';
import { auditCheckpoints, auditEvents } from './schema';

export { canonicalHash, GENESIS_HASH, type AuditContent } from '../audit/chain';

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

/** A change that is not a case's step: who changed which subject, what they asked, and the state before and after. */
export interface SubjectChange {
  subject: string;
  action: string;
  actor: Actor;
  input?: unknown;
  before: unknown;
  after: unknown;
}

export function subjectContent(change: SubjectChange, at: Date = new Date()): AuditContent {
  return {
    caseId: null,
    caseSeq: null,
    subject: change.subject,
    at: at.toISOString(),
    actor: actorOf(change.actor),
    action: change.action,
    stageBefore: null,
    stageAfter: null,
    input: jsonData(change.input ?? null),
    outcome: jsonData({ before: change.before ?? null, after: change.after ?? null }),
    motivation: null,
  };
}

/**
 * Appends one row at the end of the chain; a case's step only once (nothing when (caseId, caseSeq) is already
 * recorded). Must run inside a transaction: the advisory lock is held until it commits.
 */
export async function appendAuditEvent(tx: Db, content: AuditContent): Promise<{ appended: boolean }> {
  await lockAuditChain(tx);
  const [last] = await tx.select({ hash: auditEvents.hash }).from(auditEvents).orderBy(desc(auditEvents.seq)).limit(1);
  const prevHash = last?.hash ?? GENESIS_HASH;
  const inserted = await tx.insert(auditEvents).values({
    caseId: content.caseId,
    caseSeq: content.caseSeq,
    subject: content.subject ?? null,
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

/** Records a change of reference data (or a system event) in the chain; call it in the change's own transaction. */
export async function recordSubjectChange(tx: Db, change: SubjectChange): Promise<void> {
  await appendAuditEvent(tx, subjectContent(change));
}

/** An instant as the hash and the signature saw it (JavaScript's toISOString), whatever the session's time zone. */
const isoOf = (column: typeof auditEvents.at | typeof auditCheckpoints.at) =>
  sql<string>`to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/** Columns of a stored row, with `at` rendered as the hash saw it. */
export const auditColumns = {
  seq: auditEvents.seq,
  caseId: auditEvents.caseId,
  caseSeq: auditEvents.caseSeq,
  subject: auditEvents.subject,
  at: isoOf(auditEvents.at),
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
    ...(row.subject !== null ? { subject: row.subject } : {}),
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

// ---- checkpoints ---------------------------------------------------------------------------------

const checkpointColumns = {
  seq: auditCheckpoints.seq, hash: auditCheckpoints.hash, at: isoOf(auditCheckpoints.at),
  keyId: auditCheckpoints.keyId, signature: auditCheckpoints.signature,
};

/** The newest row's seq, or 0 for an empty chain; every row up to it is committed (appenders hold the chain's lock until they commit). */
export async function auditHead(db: Db): Promise<number> {
  const [last] = await db.select({ seq: auditEvents.seq }).from(auditEvents).orderBy(desc(auditEvents.seq)).limit(1);
  return last?.seq ?? 0;
}

/**
 * Signs the chain's head now, through the role that may write checkpoints, and keeps it in headFile once
 * committed. `onlyIfMoved`: nothing when the newest checkpoint already signs the head (the periodic
 * checkpoint), so a quiet trail does not fill with them. Null when the chain is empty.
 */
export async function signCheckpoint(db: Db, signer: CheckpointSigner, { onlyIfMoved = false, headFile }: { onlyIfMoved?: boolean; headFile: string }): Promise<Checkpoint | null> {
  const checkpoint = await db.transaction(async (tx) => {
    // Under the appenders' lock, so the head read is the chain's last row and stays so while it is signed.
    await lockAuditChain(tx);
    const [head] = await tx.select({ seq: auditEvents.seq, hash: auditEvents.hash }).from(auditEvents).orderBy(desc(auditEvents.seq)).limit(1);
    if (!head) return null;
    if (onlyIfMoved) {
      const [latest] = await tx.select(checkpointColumns).from(auditCheckpoints).orderBy(desc(auditCheckpoints.id)).limit(1);
      if (latest?.seq === head.seq && latest.hash === head.hash) return null;
    }
    // Milliseconds, as the database keeps them and as the signature covers them.
    const checkpoint = signer.sign({ seq: head.seq, hash: head.hash, at: new Date().toISOString() });
    await tx.insert(auditCheckpoints).values(checkpoint);
    return checkpoint;
  });
  if (checkpoint) keepSignedHead(headFile, checkpoint);
  return checkpoint;
}

/** Checkpoints up to a seq (all when omitted), ordered by seq. */
export async function listCheckpoints(db: Db, upToSeq?: number): Promise<Checkpoint[]> {
  return db.select(checkpointColumns).from(auditCheckpoints)
    .where(upToSeq === undefined ? undefined : lte(auditCheckpoints.seq, upToSeq))
    .orderBy(asc(auditCheckpoints.seq), asc(auditCheckpoints.id));
}

// ---- verification --------------------------------------------------------------------------------

/**
 * Walks the chain in seq order, a batch at a time (keyset on seq, so memory stays flat), against the
 * checkpoints, and stops at the first row that does not match (see ChainCheck). publicKeys (PEM): the keys
 * the checkpoints' signatures must verify with; without them only whether the chain still matches its
 * checkpoints is checked. fromLastCheckpoint: start at the newest signed checkpoint's row (its hash must still
 * be the signed one, and its content must still give it) instead of the first row: the rows before it are
 * vouched for by that signature, and rows removed from the end are still caught. Every checkpoint's
 * signature is checked either way. `from` is the first row walked. headFile: where the newest signed
 * checkpoint is kept outside the database (see audit/signedHead.ts); the chain must match it as well, so
 * checkpoints removed from the table do not leave the rows after the remaining ones unguarded.
 */
export async function verifyAuditChain(db: Db, opts: { batchSize?: number; publicKeys?: string[]; fromLastCheckpoint?: boolean; headFile?: string } = {}): Promise<Verification> {
  const batchSize = opts.batchSize ?? 1000;
  // The kept head first (it is written after its checkpoint commits), then the checkpoints, then the chain's
  // head: each then signs a row at or below the head read next, and one beyond it means rows were removed
  // from the end, not that rows arrived during the walk.
  const signedHead = opts.headFile ? readSignedHead(opts.headFile) : null;
  const stored = await listCheckpoints(db);
  const checkpoints = signedHead && !stored.some((c) => c.seq === signedHead.seq && c.signature === signedHead.signature)
    ? [...stored, signedHead].sort((a, b) => a.seq - b.seq)
    : stored;
  const verdict = await walkChain(db, checkpoints, batchSize, opts);
  return { ...verdict, signedHead: signedHead?.seq ?? null };
}

export type Verification = ChainVerdict & {
  /** The first row walked. */
  from: number;
  /** The seq of the signed head kept outside the database that the chain was compared with; null without one. */
  signedHead: number | null;
};

async function walkChain(db: Db, checkpoints: Checkpoint[], batchSize: number, opts: { publicKeys?: string[]; fromLastCheckpoint?: boolean }): Promise<ChainVerdict & { from: number }> {
  const head = await auditHead(db);
  const anchor = opts.fromLastCheckpoint ? checkpoints.filter((c) => c.seq <= head).at(-1) : undefined;
  const [anchorRow] = anchor ? await db.select({ prevHash: auditEvents.prevHash }).from(auditEvents).where(eq(auditEvents.seq, anchor.seq)) : [];
  const keys = opts.publicKeys ? publicKeysFrom(opts.publicKeys) : undefined;
  const from = anchor ? anchor.seq : 1;
  // The signatures of the checkpoints before the anchor too: a forged one is named wherever it lies.
  const forged = anchor && keys ? checkpoints.find((c) => c.seq < anchor.seq && !checkpointSignatureValid(c, keys)) : undefined;
  if (forged) return { ok: false, checked: 0, firstBrokenSeq: forged.seq, reason: 'checkpoint-signature', checkpoints: 0, from };
  const check = anchor
    ? new ChainCheck(checkpoints.filter((c) => c.seq >= anchor.seq), keys, true, anchorRow?.prevHash)
    : new ChainCheck(checkpoints, keys, true);
  let after = from - 1;
  for (;;) {
    const rows: AuditRow[] = await db.select(auditColumns).from(auditEvents)
      .where(and(gt(auditEvents.seq, after), lte(auditEvents.seq, head))).orderBy(asc(auditEvents.seq)).limit(batchSize);
    for (const row of rows) {
      if (!check.add({ seq: row.seq, content: contentOfRow(row), prevHash: row.prevHash, hash: row.hash })) return { ...check.finish(), from };
      after = row.seq;
    }
    if (rows.length < batchSize) return { ...check.finish(), from };
  }
}
