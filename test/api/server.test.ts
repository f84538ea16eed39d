// The API as it runs: startApi opens and migrates the database, seeds it, connects to Temporal and mail,
// and listens; `npm run token` signs with the secret the embedded default generates under data/.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { startApi } from '../../api/server';
import { loadConfig } from '../../config';
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
    expect(await ready.json()).toEqual({ checks: [{ name: 'database', up: true }, { name: 'temporal', up: true }, { name: 'mail', up: true }] });

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
