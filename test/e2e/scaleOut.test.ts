// The production build scaled out: two workers and two API processes (`node <build>/worker.js` and
// `node <build>/api/server.js`, as `npm run worker` and `npm run api` run them after `npm run build`) against one PostgreSQL and one Temporal dev server. During a
// burst of assign actions one worker and one API are killed with SIGKILL; every request that got no answer,
// a 5xx or "in progress" is retried with its Idempotency-Key on the surviving API. Each gets its own step's
// outcome, every step is recorded once, and every email is sent once.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import { loadConfig } from '../../config';
import { openDatabase, type Database } from '../../db/client';
import { auditEvents } from '../../db/schema';
import { seedReferenceData } from '../../db/seed';
import { resolveTemporalCli } from '../../tooling/binaries';
import { startDevServer } from '../../tooling/devServer';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp';
import { ApiClient, eventually, sleep, type Answer } from './client';
import { checkInvariants, mailSettled, type Checked } from './invariants';
import { AppProcess } from './processes';
import { freePort, JWT_SECRET, MACHINE_POSTGRES, Teardown, withAdmin } from './system';

const ROOT = path.resolve(__dirname, '../..');
/** Inside the project, so that the build finds node_modules; git-ignored. */
const BUILD = `test-artifacts/build-${randomBytes(4).toString('hex')}`;
const CASES = 30;
const ASSIGNS_PER_CASE = 3;
/** A retry gives up on a request after this long: well past the lease and the engine's call deadline. */
const RETRY_FOR_MS = 90_000;

const teardown = new Teardown();
let smtp: TestSmtpServer;
let direct: Database;
let survivor: ApiClient;
let doomed: ApiClient;
let doomedWorker: AppProcess;
let doomedApi: AppProcess;
const processes: AppProcess[] = [];
const output = () => processes.map((p) => p.output()).join('\n');

beforeAll(async () => {
  // What `npm run build` does, into a folder of the test's own (dist/ is the user's); the processes run it.
  execFileSync(process.execPath, [require.resolve('tsx/cli'), 'scripts/build.ts', BUILD], { cwd: ROOT, env: { ...process.env, NODE_OPTIONS: '' }, stdio: 'pipe' });
  teardown.add('build', async () => fs.rmSync(path.join(ROOT, BUILD), { recursive: true, force: true }));
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'e2e-scale-out-'));
  teardown.add('temporary directory', async () => fs.rmSync(tmp, { recursive: true, force: true }));
  smtp = await startSmtpServer();
  teardown.add('SMTP server', () => smtp.close());
  const temporal = { dbFile: path.join(tmp, 'temporal.db'), port: await freePort(), uiPort: await freePort(), namespace: 'default' };
  const devServer = await startDevServer(temporal);
  teardown.add('Temporal dev server', () => devServer.stop());

  const baseUrl = process.env.DATABASE_URL ?? MACHINE_POSTGRES;
  const dbName = `e2e_scale_out_${randomBytes(4).toString('hex')}`;
  await withAdmin(baseUrl, (c) => c.query(`CREATE DATABASE ${dbName}`));
  teardown.add(`database ${dbName}`, () => withAdmin(baseUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`)));
  const url = new URL(baseUrl);
  url.pathname = `/${dbName}`;
  direct = openDatabase({ url: url.toString() }, { poolSize: 2 });
  teardown.add('direct database handle', () => direct.close());
  await direct.migrate();
  await seedReferenceData(direct.db);

  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH, HOME: process.env.HOME, TMPDIR: process.env.TMPDIR,
    // One DATA_DIR: the processes share the audit signing key and the payload key the first one generates.
    DATA_DIR: path.join(tmp, 'data'), LOG_LEVEL: 'warn', DATABASE_URL: url.toString(), SMTP_URL: smtp.url, JWT_SECRET,
    TEMPORAL_ADDRESS: `127.0.0.1:${temporal.port}`, TEMPORAL_TASK_QUEUE: 'e2e-scale-out',
    TEMPORAL_CALL_TIMEOUT_SECONDS: '10', IDEMPOTENCY_LEASE_SECONDS: '3',
    RATE_LIMIT_POSTS_PER_MINUTE: '0', RATE_LIMIT_RECEIPTS_PER_HOUR: '0',
  };
  const worker = (n: number) => new AppProcess(`worker ${n}`, `${BUILD}/worker.js`, env, /^worker polling task queue/);
  const api = (n: number, port: number) => new AppProcess(`API ${n}`, `${BUILD}/api/server.js`, { ...env, PORT: String(port) }, /^API listening/);
  const [port1, port2] = [await freePort(), await freePort()];
  doomedWorker = worker(1);
  doomedApi = api(1, port1);
  processes.push(doomedWorker, worker(2), doomedApi, api(2, port2));
  for (const p of processes) teardown.add(p.name, () => p.stop());
  // The first generates the keys under DATA_DIR; then the others read them.
  await processes[0].start();
  await Promise.all(processes.slice(1).map((p) => p.start()));
  const { jwt } = loadConfig(env);
  doomed = new ApiClient(`http://127.0.0.1:${port1}/api/v1`, jwt);
  survivor = new ApiClient(`http://127.0.0.1:${port2}/api/v1`, jwt);
}, 240_000);

afterAll(() => teardown.run(), 120_000);

interface Sent { caseId: string; key: string; group: string; answer: Answer }

const needsRetry = (a: Answer) => a.status === 0 || a.status >= 500 || (a.status === 409 && String(a.body?.type).endsWith('/in-progress'));

/** Sends again with the same key on the surviving API, after Retry-After, until the outcome is known. */
async function retried(sent: Sent): Promise<Answer> {
  const deadline = Date.now() + RETRY_FOR_MS;
  let answer = sent.answer;
  while (needsRetry(answer) && Date.now() < deadline) {
    await sleep(1000 * Math.min(5, Number(answer.retryAfter ?? 1)));
    answer = await survivor.request('POST', `/cases/${sent.caseId}/actions/assign`, { who: 'officer', body: { preparationGroup: sent.group }, key: sent.key });
  }
  return answer;
}

const checked = (): Checked => ({ api: survivor, smtp, inspect: (fn) => fn(direct.db) });

test('the build finds the project\'s own tools, as the sources do, instead of installing a venv of its own', () => {
  const fromBuild = execFileSync(process.execPath, ['-e', `process.stdout.write(require('./${BUILD}/tooling/binaries.js').resolveTemporalCli())`], { cwd: ROOT, encoding: 'utf8' });
  expect(fromBuild).toBe(resolveTemporalCli());
  expect(fs.existsSync(path.join(ROOT, BUILD, '.tools'))).toBe(false);
});

test('two workers and two APIs on one PostgreSQL: one of each killed during a burst, every retried request gets its own step, taken once', async () => {
  try {
    const ids: string[] = [];
    for (let i = 0; i < CASES; i += 10) {
      ids.push(...(await Promise.all(Array.from({ length: Math.min(10, CASES - i) }, () => survivor.createCase()))).map((v) => v.id));
    }

    // The receipts out first: the burst's assigns send no email, so the kills cannot fall between the SMTP
    // server's acceptance and the 'sent' mark, the one window the outbox leaves (a row sent again after ten
    // minutes, with the same Message-ID; see activities/notifications.ts).
    await mailSettled(checked());

    let answered = 0;
    const burst = ids.flatMap((caseId, c) => Array.from({ length: ASSIGNS_PER_CASE }, (_, n) => {
      const group = `Beredningsgrupp ${c}-${n}`;
      const key = `assign-${caseId}-${n}`;
      const via = (c + n) % 2 === 0 ? doomed : survivor;
      return via.request('POST', `/cases/${caseId}/actions/assign`, { who: 'officer', body: { preparationGroup: group }, key })
        .then((answer): Sent => { answered++; return { caseId, key, group, answer }; });
    }));
    await eventually('a first answer of the burst', async () => (answered > 0 ? true : undefined), 60_000, { intervalMs: 10 });
    await Promise.all([doomedWorker.kill(), doomedApi.kill()]);
    const sent = await Promise.all(burst);
    const cut = sent.filter((s) => needsRetry(s.answer));
    // The kills hit requests in flight; otherwise this test would prove nothing.
    expect(cut.length).toBeGreaterThan(0);

    const finals = await Promise.all(sent.map(async (s) => ({ ...s, answer: needsRetry(s.answer) ? await retried(s) : s.answer })));
    // Every request answered with the step it took: 200, and the case view as that step left it.
    expect(finals.filter((f) => f.answer.status !== 200 || f.answer.body.assignment?.preparationGroup !== f.group)
      .map((f) => `${f.key}: ${f.answer.status} ${JSON.stringify(f.answer.body)}`)).toEqual([]);

    // Each step on the audit trail once, at the sequence number its answer gave.
    const trail = await direct.db.select({ caseId: auditEvents.caseId, caseSeq: auditEvents.caseSeq, input: auditEvents.input })
      .from(auditEvents).where(eq(auditEvents.action, 'assign'));
    expect(trail).toHaveLength(CASES * ASSIGNS_PER_CASE);
    const recorded = new Set(trail.map((t) => `${t.caseId}#${t.caseSeq}:${(t.input as { preparationGroup: string }).preparationGroup}`));
    expect(finals.filter((f) => !recorded.has(`${f.caseId}#${f.answer.body.seq}:${f.group}`)).map((f) => f.key)).toEqual([]);
    for (const f of finals) survivor.successes.push({ caseId: f.caseId, action: 'assign', seq: f.answer.body.seq });

    // Every case where it was (assign keeps the stage), numbered 1..n, the chain whole, every email sent once.
    await checkInvariants(checked(), { caseIds: ids, stage: 'idea' });
  } catch (error) {
    if (error instanceof Error) error.message += `\n\nLast output of the processes:\n${output()}`;
    throw error;
  }
}, 240_000);
