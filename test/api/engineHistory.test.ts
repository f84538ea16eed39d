// Personal data in the workflow engine: every payload is encrypted before it leaves the service, so the
// engine's history read directly (the Temporal CLI, as a Temporal UI user without the key would see it) holds
// only ciphertext, while the API's engine-history endpoint decrypts it for those allowed to read it.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { resolveTemporalCli } from '../../tooling/binaries';
import { ENCRYPTED_ENCODING } from '../../platform/payloadCodec';
import { apiHarness, type ApiHarness } from './support';

const run = promisify(execFile);
let h: ApiHarness;
let caseId: string;
const SECRET_TEXT = 'Elevens diagnos enligt Anna Anderssons journal';

beforeAll(async () => {
  h = await apiHarness({ worker: true });
  const res = await h.post('/api/v1/cases', 'applicant', {
    title: 'Journalstöd för elevhälsan', need: SECRET_TEXT, idea: 'En e-tjänst', language: 'sv',
    contact: { name: 'Anna Andersson', email: 'anna@utbildning.example' },
  });
  expect(res.status).toBe(201);
  caseId = res.body.id;
  expect((await h.post(`/api/v1/cases/${caseId}/actions/screen-idea`, 'officer', { outcome: 'approve' })).status).toBe(200);
}, 120_000);
afterAll(() => h?.close());

test('read from the engine directly, the history holds no name, address or case text, only encrypted payloads', async () => {
  const { stdout } = await run(resolveTemporalCli(), [
    'workflow', 'show', '--workflow-id', caseId, '--output', 'json', '--address', h.env.address, '--namespace', 'default',
  ], { maxBuffer: 64 * 1024 * 1024 });
  const history = JSON.parse(stdout) as { events: unknown[] };
  expect(history.events.length).toBeGreaterThan(3);
  // The CLI shows payload data and metadata as base64; nothing decodes to the plain text.
  const decoded = JSON.stringify(history).replace(/"([A-Za-z0-9+/]{8,}={0,2})"/g, (_, b64: string) => JSON.stringify(Buffer.from(b64, 'base64').toString('latin1')));
  for (const plain of [SECRET_TEXT, 'Anna Andersson', 'anna@utbildning.example', 'Journalstöd']) {
    expect(stdout).not.toContain(plain);
    expect(decoded).not.toContain(plain);
  }
  expect(decoded).toContain(ENCRYPTED_ENCODING);
});

test('read through the API, the same history is decrypted, for officers and auditors', async () => {
  for (const who of ['auditor', 'officer'] as const) {
    const res = await h.get(`/api/v1/cases/${caseId}/history?source=engine`, who);
    expect(res.status).toBe(200);
    const started = res.body.items.find((e: { type: string }) => e.type === 'WorkflowExecutionStarted');
    expect(started.payloads[0]).toMatchObject({ caseId, idea: { need: SECRET_TEXT, contact: { name: 'Anna Andersson', email: 'anna@utbildning.example' } } });
    const update = res.body.items.find((e: { type: string; name?: string }) => e.type === 'WorkflowExecutionUpdateAccepted' && e.name === 'screen-idea');
    expect(update.payloads).toEqual(expect.arrayContaining([expect.objectContaining({ input: { outcome: 'approve' } })]));
    // Local activities' markers are named again once decrypted.
    expect(res.body.items.some((e: { type: string; name?: string }) => e.type === 'MarkerRecorded' && e.name === 'recordStep')).toBe(true);
    expect(JSON.stringify(res.body)).not.toContain(ENCRYPTED_ENCODING);
  }
});
