// The system under test, started the way a user runs it, from the production build (buildSystem). The
// embedded default is `npm start` (scripts/start.ts: dev server, PGlite, worker and API in one process, since
// PGlite has one opener). On PostgreSQL the parts run as production runs them: a dev server, and `npm run
// worker` and `npm run api` as separate processes. Every part gets a temp dir, free ports and a known JWT secret.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { startDevServer, type DevServer } from '../tooling/devServer';
import { BUILD_DIR, FatalError, freePort, pidsMentioning, ROOT, startNode, tail, waitFor, type Child } from './children';

export type Backend = 'pglite' | 'postgres';

export interface Target {
  backend: Backend;
  /** The run's own temp dir for this back end. */
  dir: string;
  /** DATA_DIR of the system: PGlite under it, mail drop, JWT secret. */
  dataDir: string;
  databaseUrl?: string;
  jwtSecret: string;
  probeFile: string;
}

/** A process to account CPU to; node children also answer the event-loop probe. */
export interface Part { name: string; pid: number; node: boolean }

export interface System {
  apiBase: string;
  temporalAddress: string;
  parts: Part[];
  /** Where the worker writes its emails (no SMTP server in the benchmark): the mail drop directory. */
  mailDir: string;
  /** The worker's process: the worker alone on PostgreSQL, the whole of `npm start` on PGlite. */
  workerPid(): number;
  /** A fresh worker with other settings (PostgreSQL only: on PGlite the worker shares the API's process). */
  restartWorker?(vars: Record<string, string>): Promise<void>;
  stop(): Promise<void>;
}

/** Variables the project's config reads: never inherited, so the bench's own environment cannot leak in. */
const CONFIG_VARS = /^(PORT|DATA_DIR|LOG_LEVEL|TEMPORAL_\w+|WORKER_\w+|DATABASE_\w+|SMTP_URL|MAIL_FROM|OFFICE_EMAIL|CASE_LINK_BASE|ROLE_EMAILS|JWT_\w+|AUDIT_\w+|PAYLOAD_\w+|RETENTION_\w+|RATE_LIMIT_\w+|BENCH_ROUTES|NODE_OPTIONS)$/;

export function childEnv(target: Target, vars: Record<string, string>): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !CONFIG_VARS.test(k)));
  return {
    ...env,
    DATA_DIR: target.dataDir,
    JWT_SECRET: target.jwtSecret,
    BENCH_PROBE_FILE: target.probeFile,
    // The benchmark drives thousands of cases as a handful of users: the abuse limits would measure themselves.
    RATE_LIMIT_POSTS_PER_MINUTE: '0',
    RATE_LIMIT_RECEIPTS_PER_HOUR: '0',
    // The ceilings' bare routes (api/probes/benchRoutes.ts), served by the same API process.
    BENCH_ROUTES: '1',
    ...(target.databaseUrl ? { DATABASE_URL: target.databaseUrl } : {}),
    ...vars,
  };
}

const STARTUP_MS = 180_000;

/**
 * `npm run build` into the bench's own folder: the system is measured as production runs it (compiled
 * JavaScript and the prebuilt workflows bundle, no TypeScript loader), and the user's dist/ is left alone.
 */
export function buildSystem(): void {
  execFileSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts', 'build.ts'), BUILD_DIR], { cwd: ROOT, stdio: 'inherit' });
}

async function ready(apiBase: string, children: Child[]): Promise<void> {
  await waitFor('the API to become ready', STARTUP_MS, async () => {
    const ended = children.find((c) => !c.running());
    if (ended) throw new FatalError(`${ended.name} exited during start-up`);
    const res = await fetch(`${apiBase.replace(/\/api\/v1$/, '')}/readyz`).catch(() => undefined);
    return res?.status === 200 ? true : undefined;
  }, 500).catch((err: Error) => {
    throw new Error(`${err.message}\n${children.map((c) => `--- ${c.name}:\n${tail(c)}`).join('\n')}`);
  });
}

/** The log line a part prints once it is serving. */
export async function logged(child: Child, text: string): Promise<void> {
  await waitFor(`${child.name} to start`, STARTUP_MS, async () => {
    if (!child.running()) throw new FatalError(`${child.name} exited during start-up`);
    return (await fs.readFile(child.log, 'utf8')).includes(text) ? true : undefined;
  }, 500).catch((err: Error) => {
    throw new Error(`${err.message}\n${tail(child)}`);
  });
}

/** The dev server, found by its SQLite file (npm start spawns it, so its pid is not ours to know). */
function devServerPart(dbFile: string): Part {
  const [pid] = pidsMentioning(dbFile);
  if (pid === undefined) throw new Error(`no dev server process with ${dbFile}`);
  return { name: 'Temporal dev server', pid, node: false };
}

export async function startSystem(target: Target, opts: { nodeArgs?: string[] } = {}): Promise<System> {
  const [apiPort, temporalPort, uiPort] = [await freePort(), await freePort(), await freePort()];
  const apiBase = `http://127.0.0.1:${apiPort}/api/v1`;
  const temporalAddress = `127.0.0.1:${temporalPort}`;
  const logDir = target.dir;

  if (target.backend === 'pglite') {
    const app = startNode('npm-start', 'scripts/start.js', childEnv(target, {
      PORT: String(apiPort), TEMPORAL_PORT: String(temporalPort), TEMPORAL_UI_PORT: String(uiPort),
    }), logDir, opts.nodeArgs);
    try {
      await ready(apiBase, [app]);
      await logged(app, 'Press Ctrl-C to stop.');
      return {
        apiBase, temporalAddress,
        parts: [{ name: 'npm start (API + worker + PGlite)', pid: app.pid, node: true }, devServerPart(path.join(target.dataDir, 'temporal.db'))],
        mailDir: path.join(target.dataDir, 'mail'),
        workerPid: () => app.pid,
        stop: () => app.stop(),
      };
    } catch (err) {
      await app.stop();
      throw err;
    }
  }

  const devServer: DevServer = await startDevServer({ dbFile: path.join(target.dir, 'temporal.db'), port: temporalPort, uiPort, namespace: 'default' });
  const env = childEnv(target, { TEMPORAL_ADDRESS: temporalAddress, PORT: String(apiPort) });
  // As `npm run worker` starts it (package.json): glibc's malloc arenas capped.
  const workerEnv = { ...env, MALLOC_ARENA_MAX: process.env.MALLOC_ARENA_MAX ?? '2' };
  let worker = startNode('worker', 'worker.js', workerEnv, logDir, opts.nodeArgs);
  const api = startNode('api', 'api/server.js', env, logDir, opts.nodeArgs);
  const stop = async () => {
    await api.stop();
    await worker.stop();
    await devServer.stop();
  };
  try {
    await Promise.all([ready(apiBase, [api, worker]), logged(worker, 'worker polling task queue')]);
    const workerPart: Part = { name: 'worker', pid: worker.pid, node: true };
    return {
      apiBase, temporalAddress,
      parts: [{ name: 'API', pid: api.pid, node: true }, workerPart, devServerPart(path.join(target.dir, 'temporal.db'))],
      mailDir: path.join(target.dataDir, 'mail'),
      workerPid: () => worker.pid,
      async restartWorker(vars) {
        await worker.stop();
        worker = startNode(`worker-${Object.values(vars).join('-')}`, 'worker.js', { ...workerEnv, ...vars }, logDir, opts.nodeArgs);
        await logged(worker, 'worker polling task queue');
        workerPart.pid = worker.pid;
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
