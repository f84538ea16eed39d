// The whole system as a user runs it, isolated per test file: a temporary DATA_DIR, free ports, the Temporal
// dev server on its own SQLite file, a fresh database, a real SMTP server in-process, the worker as a child
// process, and the API. Every part can be broken on purpose: the worker killed, the dev server restarted,
// the database's connections cut, the mail server stopped.
//
// Two shapes, by database:
// - PostgreSQL (DATABASE_URL, or `database: 'postgres'`): a new database on that server; the worker is a
//   child (`tsx worker.ts`), the API runs in this process (startApi).
// - PGlite (no DATABASE_URL): embedded PGlite allows one opener per data directory, so worker and API are one
//   child, `tsx scripts/start.ts` (what `npm start` runs), against the dev server started here. Killing
//   the worker then takes the API down with it; the test reads the database while that child is stopped.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { startApi } from '../../api/server';
import { loadConfig } from '../../config';
import { openDatabase, type Database, type Db } from '../../db/client';
import { seedReferenceData } from '../../db/seed';
import { startDevServer, type DevServer, type DevServerOptions } from '../../tooling/devServer';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp';
import { ApiClient } from './client';
import { AppProcess } from './processes';

/** Always there in CI; tests that need PostgreSQL itself use it when DATABASE_URL is not set. */
export const MACHINE_POSTGRES = 'postgres://postgres@127.0.0.1:5432/test';
export const JWT_SECRET = 'e2e-secret-that-is-long-enough-for-hs256';

export interface System {
  name: string;
  database: 'postgres' | 'pglite';
  api: ApiClient;
  smtp: TestSmtpServer;
  /** SIGKILL. On PGlite the API is in the same process and goes down too. */
  killWorker(): Promise<void>;
  startWorker(): Promise<void>;
  stopTemporal(): Promise<void>;
  /** The dev server again, on the same SQLite file and port. */
  startTemporal(): Promise<void>;
  /** pg_terminate_backend on every other session of the system's database; how many were cut. PostgreSQL only. */
  terminateDatabaseConnections(): Promise<number>;
  /** Reads the database directly (on PGlite: with the app stopped for the while, then started again). */
  inspect<T>(fn: (db: Db) => Promise<T>): Promise<T>;
  /** Output of the child processes, for failure messages. */
  output(): string;
  close(): Promise<void>;
}

/** Runs a test's body; a failure carries the last output of the system's processes. */
export async function explained<T>(system: System, body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (error) {
    if (error instanceof Error) error.message += `\n\nLast output of ${system.name}:\n${system.output()}`;
    throw error;
  }
}

export async function freePort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as net.AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

const UNDO_TIMEOUT_MS = 30_000;

/** Undoes what has been started, newest first, even when one undo fails or hangs. */
export class Teardown {
  private readonly steps: { what: string; undo: () => Promise<unknown> }[] = [];
  add(what: string, undo: () => Promise<unknown>): void { this.steps.push({ what, undo }); }
  async run(): Promise<void> {
    const errors: string[] = [];
    for (const { what, undo } of this.steps.splice(0).reverse()) {
      let timer: NodeJS.Timeout | undefined;
      const hung = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`not done after ${UNDO_TIMEOUT_MS / 1000} s`)), UNDO_TIMEOUT_MS);
      });
      try {
        await Promise.race([undo(), hung]);
      } catch (error) {
        errors.push(`${what}: ${(error as Error).message}`);
      } finally {
        clearTimeout(timer);
      }
    }
    if (errors.length > 0) throw new Error(`Teardown failed:\n${errors.join('\n')}`);
  }
}

export async function withAdmin<T>(url: string, fn: (c: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try { return await fn(client); } finally { await client.end(); }
}

/**
 * database: 'configured' follows DATABASE_URL (PGlite without it); 'postgres' is for tests that need
 * PostgreSQL itself, on DATABASE_URL or else the machine's server.
 */
export async function startSystem(name: string, opts: { database?: 'configured' | 'postgres' } = {}): Promise<System> {
  const teardown = new Teardown();
  try {
    return await start(name, opts.database ?? 'configured', teardown);
  } catch (error) {
    await teardown.run().catch((cleanupError: Error) => console.error(cleanupError.message));
    throw error;
  }
}

async function start(name: string, choice: 'configured' | 'postgres', teardown: Teardown): Promise<System> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), `e2e-${name}-`));
  teardown.add('temporary directory', async () => fs.rmSync(tmp, { recursive: true, force: true }));

  const smtp = await startSmtpServer();
  teardown.add('SMTP server', () => smtp.close());

  const temporalOptions: DevServerOptions = {
    dbFile: path.join(tmp, 'temporal.db'), port: await freePort(), uiPort: await freePort(), namespace: 'default',
  };
  let devServer: DevServer | undefined = await startDevServer(temporalOptions);
  teardown.add('Temporal dev server', async () => devServer?.stop());

  const baseUrl = choice === 'postgres' ? process.env.DATABASE_URL ?? MACHINE_POSTGRES : process.env.DATABASE_URL;
  let databaseUrl: string | undefined;
  let direct: Database | undefined;
  if (baseUrl) {
    const dbName = `e2e_${name.replace(/\W/g, '_')}_${randomBytes(4).toString('hex')}`;
    await withAdmin(baseUrl, (c) => c.query(`CREATE DATABASE ${dbName}`));
    teardown.add(`database ${dbName}`, () => withAdmin(baseUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`)));
    const url = new URL(baseUrl);
    url.pathname = `/${dbName}`;
    databaseUrl = url.toString();
    // Migrated and seeded here, before worker and API start and would both try at once.
    direct = openDatabase({ url: databaseUrl }, { poolSize: 2 });
    const opened = direct;
    teardown.add('direct database handle', () => opened.close());
    await direct.migrate();
    await seedReferenceData(direct.db);
  }

  const apiPort = await freePort();
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    TMPDIR: process.env.TMPDIR,
    DATA_DIR: path.join(tmp, 'data'),
    PORT: String(apiPort),
    LOG_LEVEL: 'warn',
    TEMPORAL_ADDRESS: `127.0.0.1:${temporalOptions.port}`,
    TEMPORAL_NAMESPACE: temporalOptions.namespace,
    TEMPORAL_TASK_QUEUE: `e2e-${name}`,
    SMTP_URL: smtp.url,
    JWT_SECRET,
    // The tests drive many cases a minute as one user; the limits have their own test.
    RATE_LIMIT_POSTS_PER_MINUTE: '0',
    RATE_LIMIT_RECEIPTS_PER_HOUR: '0',
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
  };
  const config = loadConfig(env);
  const api = new ApiClient(`http://127.0.0.1:${apiPort}/api/v1`, config.jwt);

  const outputs: (() => string)[] = [() => `---- Temporal dev server\n${devServer?.output() ?? '(stopped)'}`];
  const output = () => outputs.map((o) => o()).join('\n');
  const system = {
    name, api, smtp, output,
    async stopTemporal() {
      await devServer?.stop();
      devServer = undefined;
    },
    async startTemporal() {
      devServer = await startDevServer(temporalOptions);
    },
    close: () => teardown.run(),
  };

  if (databaseUrl && direct) {
    const handle = direct;
    const worker = new AppProcess('worker', 'worker.ts', env, /^worker polling task queue/);
    outputs.push(() => worker.output());
    teardown.add('worker', () => worker.stop());
    const [apiServer] = await Promise.all([startApi({ ...config, logLevel: 'silent' }), worker.start()]);
    teardown.add('API', () => apiServer.close());
    const dbName = new URL(databaseUrl).pathname.slice(1);
    return {
      ...system,
      database: 'postgres',
      killWorker: () => worker.kill(),
      startWorker: () => worker.start(),
      async terminateDatabaseConnections() {
        return withAdmin(databaseUrl, async (c) => {
          const { rows } = await c.query(
            'SELECT pg_terminate_backend(pid) AS cut FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [dbName]);
          return rows.filter((r: { cut: boolean }) => r.cut).length;
        });
      },
      inspect: (fn) => fn(handle.db),
    };
  }

  const app = new AppProcess('app (worker and API)', 'scripts/start.ts', env, /^Press Ctrl-C to stop/);
  outputs.push(() => app.output());
  teardown.add('app', () => app.stop());
  await app.start();
  return {
    ...system,
    database: 'pglite',
    killWorker: () => app.kill(),
    startWorker: () => app.start(),
    async terminateDatabaseConnections(): Promise<number> {
      throw new Error('PGlite has no connections to cut: start this system with database: "postgres"');
    },
    async inspect(fn) {
      const wasRunning = app.running;
      await app.stop();
      const database = openDatabase({ dir: config.pgliteDir });
      try {
        return await fn(database.db);
      } finally {
        await database.close();
        if (wasRunning) await app.start();
      }
    },
  };
}
