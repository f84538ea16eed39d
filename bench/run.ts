// `npm run bench`: the system on its embedded default (PGlite) and on PostgreSQL, each with its own Temporal
// dev server, measured against the targets of the reliability issue; writes BENCHMARKS.md.
// BENCH_QUICK=1 runs a short smoke version and writes its report to the temp dir instead.
// BENCH_BACKENDS=pglite|postgres runs one back end; BENCH_DATABASE_URL names the PostgreSQL server;
// BENCH_PROFILE_DIR=<dir> gives every node process --cpu-prof into that directory; BENCH_RENDER=1 writes the
// report again from the last run's figures (kept in the temp dir) without measuring.
import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { asc, sql } from 'drizzle-orm';
import { Client as PgClient } from 'pg';
import { signToken } from '../api/auth';
import { loadConfig } from '../config';
import { openDatabase } from '../db/client';
import { cases } from '../db/schema';
import { seedReferenceData } from '../db/seed';
import { loadCases, TITLE_SUBJECTS } from './bulkCases';
import { killEverything, ROOT, waitFor } from './children';
import { threeYearLifecycle } from './lifecycle';
import { clientLoad, httpLoad, type Figures } from './measure';
import { openCasesMemory } from './openCases';
import { environment, renderReport, type BackendResult } from './report';
import { startSystem, type Backend, type System, type Target } from './stack';
import { phase } from './usage';

const QUICK = process.env.BENCH_QUICK === '1';
/** Open cases as the target names them; BENCH_OPEN_CASES sets another number (0 skips the phase). */
const SETTINGS = {
  ...(QUICK ? { seconds: 5, rows: 10_000, openCases: 500 } : { seconds: 15, rows: 100_000, openCases: 10_000 }),
  ...(process.env.BENCH_OPEN_CASES ? { openCases: Number(process.env.BENCH_OPEN_CASES) } : {}),
};
/** Concurrent clients per measurement: actions and reads as the targets name them; creations as the engine's ceiling. */
const CLIENTS = { creations: 20, actions: 20, get: 50, list: 10 };
const SERVER_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const BACKENDS = (process.env.BENCH_BACKENDS ?? 'pglite,postgres').split(',') as Backend[];
if (!BACKENDS.every((b) => b === 'pglite' || b === 'postgres')) throw new Error('BENCH_BACKENDS: pglite, postgres or both, comma-separated');
if (!Number.isSafeInteger(SETTINGS.openCases) || SETTINGS.openCases < 0) throw new Error('BENCH_OPEN_CASES: a whole number, 0 to skip');
const RUN = `projektkontoret-bench-${randomBytes(4).toString('hex')}`;
const RUN_DIR = path.join(os.tmpdir(), RUN);

/** Databases this run created on the PostgreSQL server; dropped on every way out. */
const createdDatabases = new Set<string>();

async function onServer(fn: (c: PgClient) => Promise<unknown>): Promise<void> {
  const client = new PgClient({ connectionString: SERVER_URL });
  await client.connect();
  try { await fn(client); } finally { await client.end(); }
}

async function createDatabase(): Promise<string> {
  const name = `bench_${randomBytes(6).toString('hex')}`;
  await onServer((c) => c.query(`CREATE DATABASE ${name}`));
  createdDatabases.add(name);
  const url = new URL(SERVER_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

async function dropDatabases(): Promise<void> {
  for (const name of createdDatabases) {
    await onServer((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).catch((err: Error) => console.error(`dropping ${name}: ${err.message}`));
    createdDatabases.delete(name);
  }
}

function cleanUpNow(): void {
  killEverything(RUN_DIR);
  fs.rmSync(RUN_DIR, { recursive: true, force: true });
}

const log = (text: string) => console.log(`[bench ${new Date().toISOString().slice(11, 19)}] ${text}`);

/** The 100k read-model rows, loaded before the system starts (PGlite admits one opener); returns their ids. */
async function prepareDatabase(target: Target): Promise<{ ids: string[]; serverVersion: string }> {
  const database = openDatabase(target.databaseUrl ? { url: target.databaseUrl } : { dir: path.join(target.dataDir, 'pglite') });
  try {
    await database.migrate();
    await seedReferenceData(database.db);
    await loadCases(database.db, SETTINGS.rows);
    const rows = await database.db.select({ id: cases.id }).from(cases).orderBy(asc(cases.id));
    const [{ version }] = await database.db.select({ version: sql<string>`current_setting('server_version')` }).from(sql`(SELECT 1) AS one`);
    return { ids: rows.map((r) => r.id), serverVersion: version };
  } finally {
    await database.close();
  }
}

const pick = <T>(list: T[]) => list[Math.floor(Math.random() * list.length)];

async function measureSystem(target: Target, system: System, bulkIds: string[], result: BackendResult): Promise<void> {
  const jwt = loadConfig({ JWT_SECRET: target.jwtSecret, DATA_DIR: target.dataDir }).jwt;
  const applicant = await signToken(jwt, { sub: 'anna', name: 'Anna Andersson', email: 'anna@utbildning.example', roles: ['applicant'], org: 'utbildning' });
  const officer = await signToken(jwt, { sub: 'karin', name: 'Karin Handläggare', roles: ['officer'] });
  const base = system.apiBase.replace(/\/api\/v1$/, '');
  const api = '/api/v1';
  const usage = (name: string, fn: () => Promise<Figures>) => phase(name, system.parts, target.probeFile, result.usage, fn);
  const attempt = async (key: keyof BackendResult['figures'], name: string, fn: () => Promise<Figures>) => {
    log(`${target.backend}: ${name}`);
    try {
      result.figures[key] = await usage(name, fn);
    } catch (err) {
      result.errors.push(`${name}: ${(err as Error).message}`);
    }
  };

  const connection = await Connection.connect({ address: system.temporalAddress });
  try {
    const client = new Client({ connection });
    await attempt('engineStarts', 'workflow starts (pingNow)', async () => {
      const figures = await clientLoad(async (n) => {
        await client.workflow.start('pingNow', { taskQueue: 'cases', workflowId: `ping-${n}`, args: ['bench'] });
      }, CLIENTS.creations, SETTINGS.seconds);
      // The worker runs every ping it was given before the next phase begins.
      await waitFor('the worker to finish the pings', 300_000, async () => {
        const { count } = await client.workflow.count('WorkflowType="pingNow" AND ExecutionStatus="Running"');
        return count === 0 ? true : undefined;
      }, 500);
      return figures;
    });
  } finally {
    await connection.close();
  }

  const created: string[] = [];
  let n = 0;
  await attempt('creations', 'case creations (POST /cases)', () => httpLoad({
    base, connections: CLIENTS.creations, seconds: SETTINGS.seconds, method: 'POST', path: () => `${api}/cases`,
    headers: { authorization: `Bearer ${applicant}` },
    perRequestHeaders: () => ({ 'idempotency-key': randomUUID() }),
    body: () => JSON.stringify({
      title: `E-tjänst för ${TITLE_SUBJECTS[n++ % TITLE_SUBJECTS.length]}`, need: 'Handläggningen sker på papper', idea: 'En e-tjänst',
      expectedBenefits: 'Kortare handläggning', roughCost: 2_000_000, contact: { name: 'Anna Andersson', email: 'anna@utbildning.example' }, language: 'sv',
    }),
    onResponse: (status, body) => { if (status === 201) created.push((JSON.parse(body) as { id: string }).id); },
  }));

  if (created.length === 0) result.errors.push('actions: no case was created to act on');
  else {
    let next = 0;
    await attempt('actions', 'actions (assign)', () => httpLoad({
      base, connections: CLIENTS.actions, seconds: SETTINGS.seconds, method: 'POST',
      // Round robin over every created case: concurrent clients rarely meet on one case.
      path: () => `${api}/cases/${created[next++ % created.length]}/actions/assign`,
      headers: { authorization: `Bearer ${officer}` },
      perRequestHeaders: () => ({ 'idempotency-key': randomUUID() }),
      body: () => JSON.stringify({ coach: 'Carl Coach', preparationGroup: `Beredningsgrupp ${next % 5}` }),
    }));
  }

  const readable = [...bulkIds, ...created];
  await attempt('get', 'GET /cases/{id}', () => httpLoad({
    base, connections: CLIENTS.get, seconds: SETTINGS.seconds, method: 'GET', path: () => `${api}/cases/${pick(readable)}`,
    headers: { authorization: `Bearer ${officer}` },
  }));

  const stages = ['execution', 'completed', 'rejected', 'followUp', 'preparation', 'decision'];
  const portfolios = ['p1', 'p2', 'p3', 'p4', 'p5'];
  const filter = () => `stage=${pick(stages)}&portfolio=${pick(portfolios)}`;
  await attempt('list', 'GET /cases?stage&portfolio', () => httpLoad({
    base, connections: CLIENTS.list, seconds: SETTINGS.seconds, method: 'GET', path: () => `${api}/cases?${filter()}`,
    headers: { authorization: `Bearer ${officer}` },
  }));
  await attempt('listText', 'GET /cases?stage&portfolio&q', () => httpLoad({
    base, connections: CLIENTS.list, seconds: SETTINGS.seconds, method: 'GET',
    path: () => `${api}/cases?${filter()}&q=${encodeURIComponent(pick(TITLE_SUBJECTS).slice(0, 5))}`,
    headers: { authorization: `Bearer ${officer}` },
  }));
  result.casesCreated = created.length;
}

async function runBackend(backend: Backend): Promise<BackendResult> {
  const dir = path.join(RUN_DIR, backend);
  fs.mkdirSync(dir, { recursive: true });
  const profileDir = process.env.BENCH_PROFILE_DIR ? path.resolve(process.env.BENCH_PROFILE_DIR, backend) : undefined;
  const result: BackendResult = { backend, serverVersion: '', figures: {}, usage: [], errors: [], casesCreated: 0 };
  const target: Target = {
    backend, dir, dataDir: path.join(dir, 'data'), jwtSecret: randomBytes(32).toString('base64url'), probeFile: path.join(dir, 'probe.jsonl'),
    databaseUrl: backend === 'postgres' ? await createDatabase() : undefined,
  };
  try {
    log(`${backend}: loading ${SETTINGS.rows} cases into the read model`);
    const t0 = Date.now();
    const { ids, serverVersion } = await prepareDatabase(target);
    result.serverVersion = serverVersion;
    result.loadSeconds = (Date.now() - t0) / 1000;

    log(`${backend}: starting the system`);
    const nodeArgs = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
    const system = await startSystem(target, { nodeArgs });
    try {
      await measureSystem(target, system, ids, result);
    } finally {
      await system.stop();
    }

    if (SETTINGS.openCases > 0) {
      log(`${backend}: worker memory with ${SETTINGS.openCases} open cases`);
      try {
        result.openCases = await phase('open cases', [], target.probeFile, result.usage,
          () => openCasesMemory(target, SETTINGS.openCases, (line) => log(`${backend}: ${line}`), nodeArgs));
      } catch (err) {
        result.errors.push(`open cases: ${(err as Error).message}`);
      }
    }

    log(`${backend}: three-year lifecycle on the time-skipping server`);
    try {
      result.lifecycle = await phase('three-year lifecycle', [], target.probeFile, result.usage, () => threeYearLifecycle(target.databaseUrl ? SERVER_URL : undefined));
    } catch (err) {
      result.errors.push(`three-year lifecycle: ${(err as Error).message}`);
    }
  } catch (err) {
    result.errors.push((err as Error).message);
  }
  return result;
}

/** Everything the report is made from; kept so that the report can be written again (BENCH_RENDER). */
type Run = Parameters<typeof renderReport>[0];

async function main(): Promise<void> {
  const out = process.env.BENCH_OUT ?? (QUICK ? path.join(os.tmpdir(), 'BENCHMARKS.quick.md') : path.join(ROOT, 'BENCHMARKS.md'));
  const raw = path.join(os.tmpdir(), `${path.basename(out)}.json`);
  if (process.env.BENCH_RENDER) {
    // Rewrites the report from the last run's figures, e.g. after bench/notes.md has changed.
    fs.writeFileSync(out, renderReport(JSON.parse(fs.readFileSync(raw, 'utf8')) as Run));
    log(`wrote ${out} from ${raw}`);
    return;
  }
  const run: Run = { env: await environment(), results: [], quick: QUICK, settings: SETTINGS, clients: CLIENTS };
  for (const backend of BACKENDS) {
    run.results.push(await runBackend(backend));
    await dropDatabases();
  }
  fs.writeFileSync(raw, JSON.stringify(run, null, 2));
  fs.writeFileSync(out, renderReport(run));
  log(`wrote ${out} (raw figures: ${raw})`);
  for (const r of run.results) for (const e of r.errors) console.error(`${r.backend}: ${e}`);
}

let exiting = false;
async function finish(code: number): Promise<never> {
  if (!exiting) {
    exiting = true;
    cleanUpNow();
    await dropDatabases();
  }
  process.exit(code);
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => { void finish(130); });
process.on('exit', () => killEverything(RUN_DIR));

main().then(() => finish(0), (err: unknown) => {
  console.error(err);
  void finish(1);
});
