// The API as it runs: startApi opens and migrates the database, seeds it, connects to Temporal and mail,
// and listens; `npm run token` signs with the secret the embedded default generates under data/.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { sql } from 'drizzle-orm';
import { startApi } from '../../api/server';
import { signToken } from '../../api/auth';
import { loadConfig } from '../../config';
import { seedReferenceData } from '../../db/seed';
import { freshDatabase, type TestDatabase } from '../support/db';
import { timeSkippingEnv } from '../support/temporal';

let env: TestWorkflowEnvironment;
let database: TestDatabase;
beforeAll(async () => { [env, database] = await Promise.all([timeSkippingEnv(), freshDatabase()]); });
afterAll(async () => { await Promise.all([env?.teardown(), database?.close()]); });

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close((err) => (err ? reject(err) : resolve(port)));
    });
  });
}

test('startApi serves a ready API; a token from `npm run token` is accepted', async () => {
  const dataDir = path.join(os.tmpdir(), `projektkontoret-server-${randomUUID()}`);
  const port = await freePort();
  const vars = {
    PORT: String(port), DATA_DIR: dataDir, TEMPORAL_ADDRESS: env.address, LOG_LEVEL: 'silent',
    // PostgreSQL when the run has one; else PGlite under DATA_DIR, as the embedded default.
    ...(database.url ? { DATABASE_URL: database.url } : {}),
  };
  const api = await startApi(loadConfig(vars));
  try {
    const base = `http://127.0.0.1:${port}`;
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ checks: [{ name: 'database', up: true }, { name: 'temporal', up: true }] });

    const token = execFileSync(process.execPath, [require.resolve('tsx/cli'), 'scripts/token.ts', '--role', 'officer', '--sub', 'karin', '--name', 'Karin H'], {
      cwd: path.resolve(__dirname, '../..'), env: { ...process.env, ...vars, NODE_OPTIONS: '' }, encoding: 'utf8',
    }).trim();
    const rules = await fetch(`${base}/api/v1/rule-sets/current`, { headers: { Authorization: `Bearer ${token}` } });
    expect(rules.status).toBe(200);
    expect(await rules.json()).toMatchObject({ version: 1 });
    expect((await fetch(`${base}/api/v1/rule-sets/current`, { headers: { Authorization: 'Bearer x' } })).status).toBe(401);
  } finally {
    await api.close();
  }
});

test('asked to stop under load, the API answers every request in flight, then closes; new connections are refused', async () => {
  const port = await freePort();
  const config = loadConfig({
    PORT: String(port), DATA_DIR: path.join(os.tmpdir(), `projektkontoret-server-${randomUUID()}`), TEMPORAL_ADDRESS: env.address, LOG_LEVEL: 'silent',
    JWT_SECRET: 'test-secret-that-is-long-enough-for-hs256', RATE_LIMIT_POSTS_PER_MINUTE: '0', RATE_LIMIT_RECEIPTS_PER_HOUR: '0',
    // No worker polls this queue: a new case waits on the engine for the whole call deadline, well inside the shutdown's.
    TEMPORAL_TASK_QUEUE: `nobody-${randomUUID()}`, TEMPORAL_CALL_TIMEOUT_SECONDS: '2', API_SHUTDOWN_TIMEOUT_SECONDS: '30',
  });
  // The test's own database, shared, so the test sees the requests arrive (on PGlite too).
  await seedReferenceData(database.db);
  const api = await startApi(config, { database });
  const base = `http://127.0.0.1:${port}`;
  const token = await signToken(config.jwt, { sub: 'anna', roles: ['applicant'], org: 'utbildning', email: 'anna@utbildning.example' });
  const idea = { title: 'Digital skolval', need: 'Papper', idea: 'E-tjänst', expectedBenefits: 'Tid', roughCost: 1_000_000, contact: { name: 'Anna' }, language: 'sv' };
  const inFlight = Array.from({ length: 6 }, async () => {
    const res = await fetch(`${base}/api/v1/cases`, {
      method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', 'Idempotency-Key': randomUUID() }, body: JSON.stringify(idea),
    });
    return { status: res.status, type: ((await res.json()) as { type?: string }).type };
  });
  // Stop once the requests have reached the engine: their case numbers are taken.
  await until(async () => {
    const { rows } = await database.db.execute(sql`select count(*)::int as n from case_requests`) as unknown as { rows: { n: number }[] };
    return rows[0].n === 6;
  });
  await api.close();
  expect(await Promise.all(inFlight)).toEqual(Array(6).fill({ status: 503, type: 'https://projektkontoret.stockholm.se/problems/engine-unavailable' }));
  await expect(fetch(`${base}/healthz`)).rejects.toThrow();
});

async function until(probe: () => Promise<boolean>): Promise<void> {
  while (!(await probe())) await new Promise((resolve) => setTimeout(resolve, 50));
}

test('started before Temporal is reachable, the API waits for it instead of exiting, and serves once it is', async () => {
  // A port where nothing listens yet; later a relay to the engine opens there, as a cluster coming up would.
  const enginePort = await freePort();
  const apiPort = await freePort();
  const config = loadConfig({
    PORT: String(apiPort), DATA_DIR: path.join(os.tmpdir(), `projektkontoret-server-${randomUUID()}`), TEMPORAL_ADDRESS: `127.0.0.1:${enginePort}`,
    LOG_LEVEL: 'silent', JWT_SECRET: 'test-secret-that-is-long-enough-for-hs256',
  });
  await seedReferenceData(database.db);
  let waited = false;
  const starting = startApi(config, { database }).finally(() => { waited = true; });
  // The first attempts fail (nothing listens); the API is still waiting, not gone.
  await new Promise((resolve) => setTimeout(resolve, 1_500));
  expect(waited).toBe(false);
  const [host, port] = env.address.split(':');
  const relay = net.createServer((client) => {
    const upstream = net.connect(Number(port), host);
    client.pipe(upstream).pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  await new Promise<void>((resolve) => relay.listen(enginePort, '127.0.0.1', resolve));
  try {
    const api = await starting;
    try {
      const ready = await fetch(`http://127.0.0.1:${apiPort}/readyz`);
      expect(ready.status).toBe(200);
    } finally {
      await api.close();
    }
  } finally {
    relay.close();
  }
});
