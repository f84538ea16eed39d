// The engine's histories hold only ciphertext; Temporal's own CLI and UI read them through the service's codec
// endpoints, for officers and auditors: the real Temporal CLI shows a case's history decrypted through them.
// Anyone else is refused, another namespace is refused, and only the UI's origin may call them from a page.
import { execFile } from 'node:child_process';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import request from 'supertest';
import { resolveTemporalCli } from '../../tooling/binaries';
import { expectProblem, apiHarness, type ApiHarness } from './support';

const run = promisify(execFile);
let h: ApiHarness;
let server: Server;
let codecEndpoint: string;
let caseId: string;
const SECRET_TEXT = 'Elevhälsans journaler skannas för hand';

beforeAll(async () => {
  h = await apiHarness({ worker: true });
  const res = await h.post('/api/v1/cases', 'applicant', { title: 'Digital elevhälsa', need: SECRET_TEXT, idea: 'En e-tjänst' });
  caseId = res.body.id;
  server = h.app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  codecEndpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/codec`;
}, 120_000);
afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  await h?.close();
});

/** `temporal workflow show` as an auditor runs it, with or without the codec endpoint. */
async function show(codec: string[]): Promise<string> {
  const { stdout } = await run(resolveTemporalCli(), [
    'workflow', 'show', '--workflow-id', caseId, '--output', 'json', '--address', h.env.address, '--namespace', 'default', ...codec,
  ], { maxBuffer: 64 * 1024 * 1024 });
  return stdout;
}

test("the Temporal CLI shows the case's history decrypted through the codec endpoint, for an auditor and an officer", async () => {
  expect(await show([])).not.toContain(SECRET_TEXT);
  for (const who of ['auditor', 'officer'] as const) {
    const decoded = JSON.stringify(JSON.parse(await show(['--codec-endpoint', codecEndpoint, '--codec-auth', await h.auth(who)])));
    // The CLI shows decoded payloads' data in base64 or as JSON, by its version: look in both.
    const texts = decoded.replace(/"([A-Za-z0-9+/]{8,}={0,2})"/g, (_, b64: string) => JSON.stringify(Buffer.from(b64, 'base64').toString('utf8')));
    expect(texts).toContain(SECRET_TEXT);
    expect(texts).not.toContain('binary/encrypted');
  }
});

test('others are refused; a foreign namespace is refused; a payload the keys cannot open is a 422 naming the rule', async () => {
  const payloads = { payloads: [{ metadata: { encoding: Buffer.from('binary/encrypted').toString('base64'), 'encryption-key-id': Buffer.from('unknown').toString('base64') }, data: 'AAAA' }] };
  for (const who of ['applicant', 'council', 'admin'] as const) {
    expectProblem(await h.post('/api/v1/codec/decode', who, payloads), 403, 'forbidden');
  }
  expectProblem(await request(h.app).post('/api/v1/codec/decode').send(payloads), 401, 'unauthenticated');
  expectProblem(await h.post('/api/v1/codec/decode', 'auditor', payloads, { 'X-Namespace': 'another' }), 403, 'forbidden');
  const refused = await h.post('/api/v1/codec/decode', 'auditor', payloads, { 'X-Namespace': 'default' });
  expectProblem(refused, 422, 'rule-violation');
  expect(refused.body.rule).toBe('payload-undecryptable');
});

test('encode and decode round-trip; the UI\'s origin may call from its page, another origin may not', async () => {
  const plain = { payloads: [{ metadata: { encoding: Buffer.from('json/plain').toString('base64') }, data: Buffer.from('{"a":1}').toString('base64') }] };
  const encoded = await h.post('/api/v1/codec/encode', 'officer', plain);
  expect(encoded.status).toBe(200);
  expect(Buffer.from(encoded.body.payloads[0].metadata.encoding, 'base64').toString()).toBe('binary/encrypted');
  expect((await h.post('/api/v1/codec/decode', 'officer', encoded.body)).body).toEqual(plain);

  const preflight = (origin: string) => request(h.app).options('/api/v1/codec/decode').set('Origin', origin)
    .set('Access-Control-Request-Method', 'POST').set('Access-Control-Request-Headers', 'authorization,content-type,x-namespace');
  const ui = await preflight('http://localhost:8233');
  expect(ui.status).toBe(204);
  expect(ui.headers['access-control-allow-origin']).toBe('http://localhost:8233');
  expect(ui.headers['access-control-allow-headers']).toMatch(/Authorization/i);
  expect((await preflight('https://angripare.example')).headers['access-control-allow-origin']).toBeUndefined();
});
