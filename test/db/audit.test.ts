// The audit trail: a hash chain over every recorded step that the database will not let anyone change,
// and that names the first broken row when someone changes it anyway.
import { asc, sql } from 'drizzle-orm';
import { createPersistenceActivities } from '../../activities/persistence';
import { canonicalHash, contentOfRow, GENESIS_HASH, verifyAuditChain } from '../../db/audit';
import { caseHistory } from '../../db/readModel';
import { auditEvents, councilMeetings } from '../../db/schema';
import { freshDatabase, type TestDatabase } from '../support/db';
import { application, CaseStory, planOneEmailPerIntent } from '../support/steps';

let database: TestDatabase;
let recordStep: ReturnType<typeof createPersistenceActivities>['recordStep'];

beforeAll(async () => {
  database = await freshDatabase();
  ({ recordStep } = createPersistenceActivities({ db: database.db, planEmails: planOneEmailPerIntent }));
  await database.db.insert(councilMeetings).values({ id: 'ur-2026-03', date: '2026-03-10' });
  // Two cases whose steps interleave in the chain; inputs with nested objects, unicode and fractions.
  const a = new CaseStory('PK-2026-0001');
  const b = new CaseStory('PK-2026-0002', { organisation: 'stokab', title: 'Fiberkarta för grävtillstånd' });
  const aSteps = a.toExecution({ app: application({ benefits: { citizenBenefit: 1, businessBenefit: 2, developmentCost: 3, operationCost: 4, qualitative: 'Färre fel, “snabbare” besked ✓' } }) });
  const bSteps = [b.started(), b.screen('reject', 'Ryms i bolagets egen budget för grundläggande it.')];
  for (let i = 0; i < aSteps.length; i++) {
    await recordStep(aSteps[i]);
    if (bSteps[i]) await recordStep(bSteps[i]);
  }
  await recordStep(b.step('submit-report', { input: { ratio: 0.1, reasons: ['cost'] }, motivation: 'Prognos 12,5 % över beviljat belopp' }));
});

afterAll(() => database.close());

async function chain() {
  return database.db.select().from(auditEvents).orderBy(asc(auditEvents.seq));
}

test('every step becomes one row linked to the row before it', async () => {
  const rows = await chain();
  expect(rows).toHaveLength(11);
  expect(rows[0].prevHash).toBe(GENESIS_HASH);
  rows.slice(1).forEach((row, i) => expect(row.prevHash).toBe(rows[i].hash));
  expect(new Set(rows.map((r) => r.hash)).size).toBe(rows.length);
  expect(await verifyAuditChain(database.db)).toEqual({ ok: true, checked: 11, firstBrokenSeq: null, reason: null, checkpoints: 0, from: 1, signedHead: null });
});

test('a row records who, when, what and why', async () => {
  const history = await caseHistory(database.db, 'PK-2026-0002');
  expect(history.map((h) => [h.caseSeq, h.action, h.stageBefore, h.stageAfter])).toEqual([
    [1, 'case-started', null, 'idea'],
    [2, 'screen-idea', 'idea', 'rejected'],
    [3, 'submit-report', 'rejected', 'rejected'],
  ]);
  expect(history[1]).toMatchObject({
    at: '2026-02-03T09:00:00.000Z', actorId: 'olof', actorName: 'Olof Lind', actorRoles: ['officer'], actorOrg: null,
    input: { outcome: 'reject', reason: 'Ryms i bolagets egen budget för grundläggande it.' },
  });
  expect(history[2].motivation).toBe('Prognos 12,5 % över beviljat belopp');
});

/** The database's own error for a statement that must fail (drizzle wraps it as the cause). */
async function refusal(statement: ReturnType<typeof sql>): Promise<{ code?: string; message: string }> {
  try {
    await database.db.execute(statement);
  } catch (e) {
    const cause = (e as { cause?: { code?: string; message: string } }).cause;
    return { code: cause?.code, message: cause?.message ?? (e as Error).message };
  }
  throw new Error('the statement was not refused');
}

test('the database refuses to update, delete or truncate audit rows', async () => {
  const before = await chain();
  const seq = before[3].seq;
  expect(await refusal(sql`UPDATE audit_events SET motivation = 'efterhandskonstruktion' WHERE seq = ${seq}`))
    .toEqual({ code: '42501', message: 'audit_events is append-only: UPDATE refused' });
  expect(await refusal(sql`DELETE FROM audit_events WHERE seq = ${seq}`))
    .toEqual({ code: '42501', message: 'audit_events is append-only: DELETE refused' });
  expect(await refusal(sql`TRUNCATE audit_events`))
    .toEqual({ code: '42501', message: 'audit_events is append-only: TRUNCATE refused' });
  expect(await chain()).toEqual(before);
});

describe('someone who switches the trigger off', () => {
  // Superuser-only; re-enabled at once so the other tests see the table as it normally is.
  async function withoutTrigger(statement: ReturnType<typeof sql>) {
    await database.db.execute(sql`ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only`);
    try { await database.db.execute(statement); } finally {
      await database.db.execute(sql`ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only`);
    }
  }

  test('and rewrites a motivation is named by the row they changed', async () => {
    const rows = await chain();
    const target = rows[5];
    await withoutTrigger(sql`UPDATE audit_events SET motivation = 'Beslutet var enhälligt' WHERE seq = ${target.seq}`);
    const broken = { ok: false, checked: 6, firstBrokenSeq: target.seq, reason: 'row-hash', checkpoints: 0, from: 1, signedHead: null };
    expect(await verifyAuditChain(database.db)).toEqual(broken);
    // Read in batches smaller than the chain, the break is found at the same row.
    expect(await verifyAuditChain(database.db, { batchSize: 2 })).toEqual(broken);
    await withoutTrigger(sql`UPDATE audit_events SET motivation = ${target.motivation} WHERE seq = ${target.seq}`);
    expect((await verifyAuditChain(database.db)).ok).toBe(true);
  });

  test('and recomputes the row\'s own hash is named by the row after it', async () => {
    const rows = await caseHistory(database.db, 'PK-2026-0001');
    const target = rows[2];
    // The row is consistent in itself, but the next row in the chain still holds its old hash.
    const forged = canonicalHash({ ...contentOfRow(target), actor: { ...contentOfRow(target).actor, name: 'Någon annan' } }, target.prevHash);
    await withoutTrigger(sql`UPDATE audit_events SET actor_name = 'Någon annan', hash = ${forged} WHERE seq = ${target.seq}`);
    const next = (await chain()).find((r) => r.seq > target.seq)!;
    const result = await verifyAuditChain(database.db);
    expect(result).toMatchObject({ ok: false, firstBrokenSeq: next.seq, reason: 'link' });
    await withoutTrigger(sql`UPDATE audit_events SET actor_name = ${target.actorName}, hash = ${target.hash} WHERE seq = ${target.seq}`);
    expect((await verifyAuditChain(database.db)).ok).toBe(true);
  });

  test('and deletes a row is named by the row after the gap', async () => {
    // Run last in this file: the chain stays broken.
    const rows = await chain();
    await withoutTrigger(sql`DELETE FROM audit_events WHERE seq = ${rows[1].seq}`);
    const result = await verifyAuditChain(database.db);
    expect(result).toEqual({ ok: false, checked: 2, firstBrokenSeq: rows[2].seq, reason: 'link', checkpoints: 0, from: 1, signedHead: null });
  });
});
