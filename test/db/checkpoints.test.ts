// Signed checkpoints of the audit chain, and what they catch that the chain alone cannot: someone who owns
// the table rewrites rows and recomputes every hash after them, or removes the newest rows. Also: changes of
// reference data and retention purges are rows of the same chain, and rows written before subjects existed
// keep their hashes.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { asc, desc, eq, gt, sql } from 'drizzle-orm';
import { createPersistenceActivities } from '../../activities/persistence';
import { auditColumns, canonicalHash, contentOfRow, listCheckpoints, signCheckpoint, verifyAuditChain, type AuditContent } from '../../db/audit';
import { searchAuditEvents } from '../../db/readModel';
import { addRuleSet, createOrganisation, setPortfolioFrame } from '../../db/referenceData';
import { purgeExpired } from '../../db/retention';
import { auditCheckpoints, auditEvents, caseRequests, councilMeetings, idempotencyKeys, outbox } from '../../db/schema';
import { seedReferenceData } from '../../db/seed';
import { loadCheckpointSigner, type CheckpointSigner } from '../../audit/chain';
import { keepSignedHead, readSignedHead } from '../../audit/signedHead';
import { DEFAULT_RULES } from '../../workflows/defaults';
import { freshDatabase, type TestDatabase } from '../support/db';
import { CaseStory, planOneEmailPerIntent } from '../support/steps';

let database: TestDatabase;
let signer: CheckpointSigner;
let keyDir: string;
const admin = { id: 'adam', name: 'Adam Admin', roles: ['admin'] };

beforeAll(async () => {
  database = await freshDatabase();
  keyDir = fs.mkdtempSync(path.join(os.tmpdir(), 'audit-key-'));
  signer = loadCheckpointSigner(path.join(keyDir, 'key.pem'), { generate: true });
  await seedReferenceData(database.db);
  await database.db.insert(councilMeetings).values({ id: 'ur-2026-03', date: '2026-03-10' });
  const { recordStep } = createPersistenceActivities({ db: database.db, planEmails: planOneEmailPerIntent });
  for (const step of new CaseStory('PK-2026-0001').toExecution()) await recordStep(step);
});
afterAll(async () => {
  await database.close();
  fs.rmSync(keyDir, { recursive: true, force: true });
});

const keys = () => ({ publicKeys: [signer.publicKey.publicKey] });
/** Where the newest signed checkpoint is kept outside the database. */
const headFile = () => path.join(keyDir, 'audit-head.json');
const rows = () => database.db.select().from(auditEvents).orderBy(asc(auditEvents.seq));

/** As someone who owns the table: the append-only trigger off for one statement. */
async function asOwner(statement: ReturnType<typeof sql>) {
  await database.db.execute(sql`ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only`);
  try { await database.db.execute(statement); } finally {
    await database.db.execute(sql`ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only`);
  }
}

/** As someone who owns the table: every row after this one rehashed so that each links to the one before. */
async function relinkAfter(from: { seq: number; hash: string }) {
  let prevHash = from.hash;
  for (const row of await database.db.select(auditColumns).from(auditEvents).where(gt(auditEvents.seq, from.seq)).orderBy(asc(auditEvents.seq))) {
    const hash = canonicalHash(contentOfRow(row), prevHash);
    await asOwner(sql`UPDATE audit_events SET prev_hash = ${prevHash}, hash = ${hash} WHERE seq = ${row.seq}`);
    prevHash = hash;
  }
}

/** As someone who owns the table: a checkpoint removed, its append-only trigger off for the one statement. */
async function removeCheckpoint(signature: string) {
  await database.db.execute(sql`ALTER TABLE audit_checkpoints DISABLE TRIGGER audit_checkpoints_append_only`);
  try { await database.db.delete(auditCheckpoints).where(eq(auditCheckpoints.signature, signature)); } finally {
    await database.db.execute(sql`ALTER TABLE audit_checkpoints ENABLE TRIGGER audit_checkpoints_append_only`);
  }
}

test('a case row hashes as it did before rows could have a subject', () => {
  const content: AuditContent = {
    caseId: 'PK-2026-0001', caseSeq: 1, at: '2026-02-02T09:00:00.000Z', actor: { id: 'anna', name: 'Anna Berg', roles: ['applicant'], org: 'utbildning' },
    action: 'case-started', stageBefore: null, stageAfter: 'idea', input: { title: 'Skolval' }, outcome: null, motivation: null,
  };
  // Computed by the code that wrote the rows before this change; a row stored then must verify now.
  expect(canonicalHash(content, '0'.repeat(64))).toBe('f96cfcad72c2cf217c17465f480f642711cf4e45b59b7e288784e5788d1339ad');
});

test('changes of reference data are rows of the chain: who, when, the subject, before and after', async () => {
  await setPortfolioFrame(database.db, 'p2', 2031, 12_000_000, admin);
  await setPortfolioFrame(database.db, 'p2', 2031, 15_000_000, admin);
  await createOrganisation(database.db, { id: 'kulturforvaltningen', name: 'Kulturförvaltningen', type: 'forvaltning', email: null }, admin);
  const { version } = await addRuleSet(database.db, { ...DEFAULT_RULES, completionDeadline: 'P30D' }, admin);

  const page = await searchAuditEvents(database.db, { subject: 'portfolio:p2' });
  expect(page.items.map((r) => [r.action, r.actorId, r.caseId, r.outcome])).toEqual([
    ['set-portfolio-frame', 'adam', null, { before: null, after: { year: 2031, amount: 12_000_000 } }],
    ['set-portfolio-frame', 'adam', null, { before: { year: 2031, amount: 12_000_000 }, after: { year: 2031, amount: 15_000_000 } }],
  ]);
  const [organisation] = (await searchAuditEvents(database.db, { subject: 'organisation:kulturforvaltningen' })).items;
  expect(organisation).toMatchObject({ action: 'create-organisation', actorName: 'Adam Admin', outcome: { before: null, after: { name: 'Kulturförvaltningen' } } });
  const [rules] = (await searchAuditEvents(database.db, { subject: `rule-set:${version}` })).items;
  expect(rules.outcome).toMatchObject({ before: { version: version - 1 }, after: { version, rules: { completionDeadline: 'P30D' } } });
  const [seeded] = (await searchAuditEvents(database.db, { subject: 'reference-data' })).items;
  expect(seeded).toMatchObject({ action: 'seed-reference-data', actorId: 'system', outcome: { after: { portfolios: ['p1', 'p2', 'p3', 'p4', 'p5'] } } });
  // A refused change records nothing.
  const before = (await rows()).length;
  expect(await createOrganisation(database.db, { id: 'kulturforvaltningen', name: 'Dubblett', type: 'forvaltning', email: null }, admin)).toBeUndefined();
  expect(await rows()).toHaveLength(before);
  expect(await verifyAuditChain(database.db, keys())).toMatchObject({ ok: true, checked: before });
});

test('a retention purge removes old keys, requests and sent email bodies, and is recorded; one that finds nothing is not', async () => {
  const old = '2020-01-01T00:00:00Z';
  await database.db.insert(idempotencyKeys).values([
    { principal: 'anna', key: 'gammal', requestHash: 'x', status: 201, body: { title: 'Personligt' }, createdAt: old },
    { principal: 'anna', key: 'ny', requestHash: 'y', status: 201, body: {} },
  ]);
  await database.db.insert(caseRequests).values([{ requestId: 'r-old', caseId: 'PK-2020-0001', createdAt: old }, { requestId: 'r-new', caseId: 'PK-2026-0009' }]);
  const [sent] = await database.db.select().from(outbox).limit(1);
  await database.db.update(outbox).set({ status: 'sent', sentAt: old }).where(eq(outbox.id, sent.id));

  expect(await purgeExpired(database.db, 90)).toEqual({ idempotencyKeys: 1, caseRequests: 1, emailBodies: 1 });
  expect((await database.db.select().from(idempotencyKeys)).map((k) => k.key)).toEqual(['ny']);
  expect((await database.db.select().from(caseRequests)).map((r) => r.requestId)).toEqual(['r-new']);
  const [purged] = await database.db.select().from(outbox).where(eq(outbox.id, sent.id));
  expect({ text: purged.text, html: purged.html, status: purged.status, messageId: purged.messageId }).toEqual({ text: '', html: '', status: 'sent', messageId: sent.messageId });
  const [recorded] = (await searchAuditEvents(database.db, { subject: 'retention' })).items;
  expect(recorded).toMatchObject({ action: 'retention-purge', actorId: 'system', input: { retentionDays: 90 }, outcome: { after: { idempotencyKeys: 1, caseRequests: 1, emailBodies: 1 } } });

  expect(await purgeExpired(database.db, 90)).toEqual({ idempotencyKeys: 0, caseRequests: 0, emailBodies: 0 });
  expect((await searchAuditEvents(database.db, { subject: 'retention' })).items).toHaveLength(1);
});

describe('checkpoints', () => {
  test('sign the head: on demand always, periodically only when the head has moved; the signature verifies', async () => {
    const [head] = await database.db.select().from(auditEvents).orderBy(desc(auditEvents.seq)).limit(1);
    const first = await signCheckpoint(database.db, signer, { headFile: headFile() });
    expect(first).toMatchObject({ seq: head.seq, hash: head.hash, keyId: signer.keyId });
    expect(await signCheckpoint(database.db, signer, { onlyIfMoved: true, headFile: headFile() })).toBeNull();
    expect(await listCheckpoints(database.db)).toEqual([first]);
    expect(await verifyAuditChain(database.db, keys())).toMatchObject({ ok: true, checkpoints: 1 });
    // The table refuses changes like the chain does.
    await expect(database.db.execute(sql`DELETE FROM audit_checkpoints`)).rejects.toMatchObject({ cause: { code: '42501' } });
  });

  test('someone who rewrites a row and recomputes every hash after it is caught by the checkpoint', async () => {
    const { recordStep } = createPersistenceActivities({ db: database.db, planEmails: planOneEmailPerIntent });
    const story = new CaseStory('PK-2026-0002');
    await recordStep(story.started());
    await signCheckpoint(database.db, signer, { headFile: headFile() });
    const chain = await rows();
    const target = chain.findIndex((r) => r.action === 'decide');
    // Forge the decider's motivation, then rebuild the chain from there so that every link holds.
    await asOwner(sql`UPDATE audit_events SET motivation = 'Beviljas utan villkor' WHERE seq = ${chain[target].seq}`);
    await relinkAfter(chain[target - 1]);
    // Without checkpoints the forgery is a whole chain.
    await database.db.execute(sql`ALTER TABLE audit_checkpoints RENAME TO audit_checkpoints_hidden`);
    await database.db.execute(sql`CREATE TABLE audit_checkpoints (LIKE audit_checkpoints_hidden)`);
    expect(await verifyAuditChain(database.db, keys())).toMatchObject({ ok: true });
    await database.db.execute(sql`DROP TABLE audit_checkpoints`);
    await database.db.execute(sql`ALTER TABLE audit_checkpoints_hidden RENAME TO audit_checkpoints`);
    // With them, the first checkpoint after the rewrite no longer matches; the first row it covers is named.
    const [firstCheckpoint] = await listCheckpoints(database.db);
    expect(firstCheckpoint.seq).toBeGreaterThan(chain[target].seq);
    expect(await verifyAuditChain(database.db, keys())).toMatchObject({ ok: false, reason: 'checkpoint-mismatch', firstBrokenSeq: chain[0].seq });
    // Put back as it was.
    for (const row of chain.slice(target)) {
      await asOwner(sql`UPDATE audit_events SET motivation = ${row.motivation}, prev_hash = ${row.prevHash}, hash = ${row.hash} WHERE seq = ${row.seq}`);
    }
    expect(await verifyAuditChain(database.db, keys())).toMatchObject({ ok: true, checkpoints: 2 });
  });

  test('a checkpoint not signed with the key is caught', async () => {
    const other = loadCheckpointSigner(path.join(keyDir, 'other.pem'), { generate: true });
    const [head] = await database.db.select().from(auditEvents).orderBy(desc(auditEvents.seq)).limit(1);
    const fake = { ...other.sign({ seq: head.seq, hash: head.hash, at: '2026-03-01T00:00:00.000Z' }), keyId: signer.keyId };
    await database.db.insert(auditCheckpoints).values(fake);
    expect(await verifyAuditChain(database.db, keys())).toMatchObject({ ok: false, reason: 'checkpoint-signature', firstBrokenSeq: head.seq });
    await removeCheckpoint(fake.signature);
    expect((await verifyAuditChain(database.db, keys())).ok).toBe(true);
  });

  test('from the newest checkpoint: only the rows after it are walked, and its own row must still give the signed hash', async () => {
    const { recordStep } = createPersistenceActivities({ db: database.db, planEmails: planOneEmailPerIntent });
    const story = new CaseStory('PK-2026-0003');
    await recordStep(story.started());
    const anchor = (await signCheckpoint(database.db, signer, { headFile: headFile() }))!;
    await recordStep(story.screen('approve'));
    const chain = await rows();
    const head = chain[chain.length - 1].seq;
    const incremental = { ...keys(), fromLastCheckpoint: true };
    expect(await verifyAuditChain(database.db, incremental)).toMatchObject({ ok: true, from: anchor.seq, checked: head - anchor.seq + 1 });
    expect(await verifyAuditChain(database.db, keys())).toMatchObject({ ok: true, from: 1, checked: chain.length });

    // The anchor's own row changed: its content no longer gives the signed hash.
    const row = chain.find((r) => r.seq === anchor.seq)!;
    await asOwner(sql`UPDATE audit_events SET motivation = 'Ändrad i efterhand' WHERE seq = ${anchor.seq}`);
    expect(await verifyAuditChain(database.db, incremental)).toMatchObject({ ok: false, reason: 'row-hash', firstBrokenSeq: anchor.seq });
    await asOwner(sql`UPDATE audit_events SET motivation = ${row.motivation} WHERE seq = ${anchor.seq}`);

    // A row before it changed in place (hashes left): vouched for by the checkpoint, found by the full walk.
    const earlier = chain.find((r) => r.seq < anchor.seq && r.caseId !== null)!;
    await asOwner(sql`UPDATE audit_events SET motivation = 'Ändrad i efterhand' WHERE seq = ${earlier.seq}`);
    expect(await verifyAuditChain(database.db, incremental)).toMatchObject({ ok: true });
    expect(await verifyAuditChain(database.db, keys())).toMatchObject({ ok: false, reason: 'row-hash', firstBrokenSeq: earlier.seq });
    await asOwner(sql`UPDATE audit_events SET motivation = ${earlier.motivation} WHERE seq = ${earlier.seq}`);
    expect(await verifyAuditChain(database.db, incremental)).toMatchObject({ ok: true });
  });

  test('someone who removes the newest checkpoints from the table and then rewrites the rows after the last one left is caught by the head kept outside', async () => {
    const { recordStep } = createPersistenceActivities({ db: database.db, planEmails: planOneEmailPerIntent });
    const story = new CaseStory('PK-2026-0004');
    await recordStep(story.started());
    const remaining = (await signCheckpoint(database.db, signer, { headFile: headFile() }))!;
    await recordStep(story.screen('approve'));
    const newest = (await signCheckpoint(database.db, signer, { headFile: headFile() }))!;
    expect(JSON.parse(fs.readFileSync(headFile(), 'utf8'))).toEqual(newest);
    const withHead = { ...keys(), headFile: headFile() };
    expect(await verifyAuditChain(database.db, withHead)).toMatchObject({ ok: true, signedHead: newest.seq });

    // The screening's motivation forged, the hashes after the remaining checkpoint recomputed, the newest checkpoint removed.
    const chain = await rows();
    const after = chain.filter((r) => r.seq > remaining.seq);
    const screening = after.find((r) => r.action === 'screen-idea')!;
    await asOwner(sql`UPDATE audit_events SET motivation = 'Ändrad i efterhand' WHERE seq = ${screening.seq}`);
    await relinkAfter(remaining);
    await removeCheckpoint(newest.signature);

    // What the table holds now vouches for the forgery; the head kept outside does not.
    expect(await verifyAuditChain(database.db, keys())).toMatchObject({ ok: true, signedHead: null });
    expect(await verifyAuditChain(database.db, withHead))
      .toMatchObject({ ok: false, reason: 'checkpoint-mismatch', firstBrokenSeq: remaining.seq + 1, signedHead: newest.seq });
    // Walked from the newest signed head: its row no longer gives the hash it signed.
    expect(await verifyAuditChain(database.db, { ...withHead, fromLastCheckpoint: true }))
      .toMatchObject({ ok: false, reason: 'checkpoint-mismatch', firstBrokenSeq: newest.seq });

    // Put back as it was.
    await database.db.insert(auditCheckpoints).values(newest);
    for (const row of after) await asOwner(sql`UPDATE audit_events SET motivation = ${row.motivation}, prev_hash = ${row.prevHash}, hash = ${row.hash} WHERE seq = ${row.seq}`);
    expect(await verifyAuditChain(database.db, { ...withHead, fromLastCheckpoint: true })).toMatchObject({ ok: true, signedHead: newest.seq });
  });

  test('only a newer checkpoint replaces the head kept outside: a slower signer does not set it back', async () => {
    const newest = (await signCheckpoint(database.db, signer, { headFile: headFile() }))!;
    const older = { ...newest, seq: newest.seq - 1 };
    keepSignedHead(headFile(), older);
    expect(readSignedHead(headFile())).toEqual(newest);
    expect(fs.statSync(headFile()).mode & 0o777).toBe(0o600);
  });

  test('someone who removes the newest rows leaves a whole but shorter chain: the last checkpoint names the missing row', async () => {
    // Run last in this file: the chain stays short.
    const chain = await rows();
    await signCheckpoint(database.db, signer, { headFile: headFile() });
    await asOwner(sql`DELETE FROM audit_events WHERE seq >= ${chain[chain.length - 2].seq}`);
    // Named: the first row a checkpoint signed that the chain no longer reaches.
    const beyond = (await listCheckpoints(database.db)).find((c) => c.seq > chain[chain.length - 3].seq);
    expect(await verifyAuditChain(database.db)).toMatchObject({ ok: false, reason: 'rows-missing-at-end', firstBrokenSeq: beyond!.seq, checked: chain.length - 2 });
    expect(await verifyAuditChain(database.db, { fromLastCheckpoint: true })).toMatchObject({ ok: false, reason: 'rows-missing-at-end', firstBrokenSeq: beyond!.seq });
  });
});
