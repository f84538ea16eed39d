// What must hold after any fault, read from the database, the SMTP server and the client's own ledger:
// every case where it should be; every step recorded once, numbered 1..n like the case view; the audit
// chain whole; every email in the outbox sent and received exactly once; every 2xx step on the trail.
import { asc, isNotNull } from 'drizzle-orm';
import { verifyAuditChain } from '../../db/audit';
import { auditEvents, cases, outbox } from '../../db/schema';
import type { Stage } from '../../workflows/types';
import { eventually } from './client';
import type { System } from './system';

const MAIL_SETTLE_MS = 90_000;

/** What the checks read: the API (its ledger, the dashboard), the SMTP server and the database. */
export type Checked = Pick<System, 'api' | 'smtp' | 'inspect'>;

/**
 * Waits until no email waits: nothing pending or failed, and the SMTP server holds one message per sent row,
 * the same on two looks in a row (the dashboard does not count a row while it is being sent).
 */
export async function mailSettled(system: Checked): Promise<void> {
  let last = 'no dashboard yet';
  await eventually('every email to be sent', async () => {
    const answer = await system.api.get('/dashboard', 'officer', 10_000);
    if (answer.status !== 200) return undefined;
    const { pending, sent, failed } = answer.body.emails as { pending: number; sent: number; failed: number };
    const received = new Set(system.smtp.received.map((m) => m.messageId)).size;
    const before = last;
    last = `outbox pending ${pending}, sent ${sent}, failed ${failed}; SMTP received ${received} distinct` +
      (received > sent ? ' (a row the server took is still marked sending)' : '');
    return pending === 0 && failed === 0 && received === sent && last === before ? true : undefined;
  }, MAIL_SETTLE_MS, { describe: () => last, intervalMs: 500 });
}

export interface Figures { cases: number; steps: number; emails: number; acknowledged: number }

/** expected: the stage each listed case must be in. Every case of the system is checked for the rest. */
export async function checkInvariants(system: Checked, expected: { caseIds: string[]; stage: Stage }): Promise<Figures> {
  await mailSettled(system);
  const snapshot = await system.inspect(async (db) => ({
    cases: await db.select({ id: cases.id, stage: cases.stage, seq: cases.seq }).from(cases),
    audit: await db.select({ caseId: auditEvents.caseId, caseSeq: auditEvents.caseSeq, action: auditEvents.action })
      .from(auditEvents).where(isNotNull(auditEvents.caseId)).orderBy(asc(auditEvents.seq)),
    rows: (await db.select({ seq: auditEvents.seq }).from(auditEvents)).length,
    chain: await verifyAuditChain(db),
    outbox: await db.select({ messageId: outbox.messageId, status: outbox.status }).from(outbox),
  }));
  // After the snapshot: a row is marked sent only once the server has accepted it.
  const received = [...system.smtp.received];

  const stageOf = new Map(snapshot.cases.map((c) => [c.id, c.stage]));
  const wrongStage = expected.caseIds.filter((id) => stageOf.get(id) !== expected.stage).map((id) => `${id}: ${stageOf.get(id) ?? 'missing'}`);

  const stepsOf = new Map<string, number[]>();
  for (const row of snapshot.audit) stepsOf.set(row.caseId as string, [...(stepsOf.get(row.caseId as string) ?? []), row.caseSeq as number]);
  const badNumbering = snapshot.cases.flatMap((c) => {
    const seqs = [...(stepsOf.get(c.id) ?? [])].sort((a, b) => a - b);
    const whole = seqs.length === c.seq && seqs.every((s, i) => s === i + 1);
    return whole ? [] : [`${c.id}: view at seq ${c.seq}, audit case_seq ${seqs.join(',')}`];
  });

  const unsent = snapshot.outbox.filter((r) => r.status !== 'sent').map((r) => `${r.messageId}: ${r.status}`);
  const timesReceived = new Map<string, number>();
  for (const m of received) timesReceived.set(m.messageId, (timesReceived.get(m.messageId) ?? 0) + 1);
  const duplicates = [...timesReceived].filter(([, n]) => n > 1).map(([id, n]) => `${id} ×${n}`);
  const inOutbox = new Set(snapshot.outbox.map((r) => r.messageId));
  const missing = [...inOutbox].filter((id) => !timesReceived.has(id));
  const unexpected = [...timesReceived.keys()].filter((id) => !inOutbox.has(id));

  const recorded = new Set(snapshot.audit.map((r) => `${r.caseId}#${r.caseSeq}:${r.action}`));
  const unrecorded = system.api.successes.filter((s) => !recorded.has(`${s.caseId}#${s.seq}:${s.action}`))
    .map((s) => `${s.caseId}#${s.seq}:${s.action}`);

  expect({ wrongStage, badNumbering, chain: snapshot.chain, unsent, duplicates, missing, unexpected, unrecorded }).toEqual({
    // The chain holds the cases' steps and the changes of reference data; all of it verifies.
    wrongStage: [], badNumbering: [], chain: { ok: true, checked: snapshot.rows, firstBrokenSeq: null, reason: null, checkpoints: expect.any(Number), from: 1, signedHead: null },
    unsent: [], duplicates: [], missing: [], unexpected: [], unrecorded: [],
  });
  return { cases: snapshot.cases.length, steps: snapshot.audit.length, emails: snapshot.outbox.length, acknowledged: system.api.successes.length };
}
