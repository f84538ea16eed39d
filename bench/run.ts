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
import { dataConverter } from '../platform/payloadCodec';
import { loadConfig } from '../config';
import { openDatabase } from '../db/client';
import { cases } from '../db/schema';
import { seedReferenceData } from '../db/seed';
import { loadCases, TITLE_SUBJECTS } from './bulkCases';
import { killEverything, memoryMb, ROOT, sleep } from './children';
import { threeYearLifecycle } from './lifecycle';
import { httpLoad, type Figures } from './measure';
import { growthSvg } from './plot';
import { openCaseId, openCases, warmCache } from './growth';
import { environment, renderReport, type BackendResult } from './report';
import { buildSystem, startSystem, type Backend, type System, type Target } from './stack';
import { databaseCounters, engineCost, perStep } from './stepCost';
import { phase } from './usage';

const QUICK = process.env.BENCH_QUICK === '1';
const levels = (name: string, fallback: number[]) => (process.env[name] ? process.env[name].split(',').map(Number) : fallback);
/**
 * seconds per load; rows of the read model; levels of open cases (actions and worker memory at each); cache
 * sizes tried at the first level (PostgreSQL); read-model sizes GET is measured at after the main phases (PostgreSQL).
 */
const SETTINGS = {
  seconds: QUICK ? 5 : 15,
  rows: QUICK ? 10_000 : 100_000,
  openLevels: levels('BENCH_OPEN_CASES', QUICK ? [200, 1_000] : [1_000, 10_000, 50_000]),
  cacheSizes: levels('BENCH_CACHE_SIZES', QUICK ? [50] : [150, 500, 1_000]),
  readLevels: levels('BENCH_READ_MODEL', QUICK ? [30_000] : [300_000, 1_000_000]),
};
/** Concurrent clients per measurement, as the targets name them; each ceiling runs at its measure's. */
const CLIENTS = { creations: 20, actions: 20, get: 50, list: 10 };
/** The embedded default is one machine's: its open cases are measured up to the target's 10 000. */
const EMBEDDED_OPEN_CASES = 10_000;
const SERVER_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const BACKENDS = (process.env.BENCH_BACKENDS ?? 'pglite,postgres').split(',') as Backend[];
if (!BACKENDS.every((b) => b === 'pglite' || b === 'postgres')) throw new Error('BENCH_BACKENDS: pglite, postgres or both, comma-separated');
for (const [name, list] of [['BENCH_OPEN_CASES', SETTINGS.openLevels], ['BENCH_CACHE_SIZES', SETTINGS.cacheSizes], ['BENCH_READ_MODEL', SETTINGS.readLevels]] as const) {
  if (!list.every((n, i) => Number.isSafeInteger(n) && n > (list[i - 1] ?? 0))) throw new Error(`${name}: rising whole numbers, comma-separated`);
}
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

/** The configuration the system runs with (its payload key, its cache size), as the bench's clients need it. */
const systemConfig = (target: Target) => loadConfig({ JWT_SECRET: target.jwtSecret, DATA_DIR: target.dataDir });
const DEFAULT_CACHED_CASES = loadConfig({}).temporal.cachedCases;

/** Ids of random rows of the read model. */
async function sampleIds(url: string, count: number): Promise<string[]> {
  const pg = new PgClient({ connectionString: url });
  await pg.connect();
  try {
    const { rows } = await pg.query<{ id: string }>('SELECT id FROM cases ORDER BY random() LIMIT $1', [count]);
    return rows.map((r) => r.id);
  } finally {
    await pg.end();
  }
}

const pick = <T>(list: T[]) => list[Math.floor(Math.random() * list.length)];

/** Actions on the open cases: assign by an officer on a random one of the first `open`. */
function actionsOn(base: string, officer: string, open: number) {
  let n = 0;
  return () => httpLoad({
    base, connections: CLIENTS.actions, seconds: SETTINGS.seconds, method: 'POST',
    path: () => `${API}/cases/${openCaseId(Math.floor(Math.random() * open))}/actions/assign`,
    headers: { authorization: `Bearer ${officer}` },
    perRequestHeaders: () => ({ 'idempotency-key': randomUUID() }),
    body: () => JSON.stringify({ coach: 'Carl Coach', preparationGroup: `Beredningsgrupp ${n++ % 5}` }),
  });
}

const API = '/api/v1';

async function measureSystem(target: Target, system: System, bulkIds: string[], result: BackendResult): Promise<void> {
  const jwt = loadConfig({ JWT_SECRET: target.jwtSecret, DATA_DIR: target.dataDir }).jwt;
  const applicant = await signToken(jwt, { sub: 'anna', name: 'Anna Andersson', email: 'anna@utbildning.example', roles: ['applicant'], org: 'utbildning' });
  const officer = await signToken(jwt, { sub: 'karin', name: 'Karin Handläggare', roles: ['officer'] });
  const base = system.apiBase.replace(/\/api\/v1$/, '');
  const usage = (name: string, fn: () => Promise<Figures>) => phase(name, system.parts, target.probeFile, result.usage, fn);
  const attempt = async (name: string, fn: () => Promise<Figures>): Promise<Figures | undefined> => {
    log(`${target.backend}: ${name}`);
    try {
      return await usage(name, fn);
    } catch (err) {
      result.errors.push(`${name}: ${(err as Error).message}`);
      return undefined;
    }
  };
  const measure = async (key: FigureKey, name: string, fn: () => Promise<Figures>) => {
    const figures = await attempt(name, fn);
    if (figures) result.figures[key] = figures;
  };
  const database = async () => (target.databaseUrl ? databaseCounters(target.databaseUrl) : undefined);

  // Ceiling of creations: a trivial workflow started with an update that answers at once, through the same API process.
  const echoes: string[] = [];
  await measure('createCeiling', 'ceiling: echo update-with-start (bare route)', () => httpLoad({
    base, connections: CLIENTS.creations, seconds: SETTINGS.seconds, method: 'POST',
    path: () => `/bench/echo/echo-${randomUUID()}`, headers: {},
    onResponse: (status, body) => { if (status === 201) echoes.push((JSON.parse(body) as { text: string }).text); },
  }));

  const created: string[] = [];
  let n = 0;
  const before = await database();
  await measure('creations', 'case creations (POST /cases)', () => httpLoad({
    base, connections: CLIENTS.creations, seconds: SETTINGS.seconds, method: 'POST', path: () => `${API}/cases`,
    headers: { authorization: `Bearer ${applicant}` },
    perRequestHeaders: () => ({ 'idempotency-key': randomUUID() }),
    body: () => JSON.stringify({
      title: `E-tjänst för ${TITLE_SUBJECTS[n++ % TITLE_SUBJECTS.length]}`, need: 'Handläggningen sker på papper', idea: 'En e-tjänst',
      expectedBenefits: 'Kortare handläggning', roughCost: 2_000_000, contact: { name: 'Anna Andersson', email: 'anna@utbildning.example' }, language: 'sv',
    }),
    onResponse: (status, body) => { if (status === 201) created.push((JSON.parse(body) as { id: string }).id); },
  }));
  const afterCreations = await database();
  if (before && afterCreations && created.length > 0) result.creationDatabaseCost = perStep(before, afterCreations, created.length);

  if (created.length === 0) result.errors.push('actions: no case was created to act on');
  else {
    // Same number of trivial workflows as cases acted on, all started and cached: the update's ceiling.
    const targets = echoes.slice(-created.length);
    let e = 0;
    await measure('actionCeiling', 'ceiling: echo update on a running workflow (bare route)', () => httpLoad({
      base, connections: CLIENTS.actions, seconds: SETTINGS.seconds, method: 'POST',
      path: () => `/bench/echo/${targets[e++ % targets.length]}/update`, headers: {},
    }));
    let next = 0;
    let acted = 0;
    await measure('actions', 'actions (assign)', () => httpLoad({
      base, connections: CLIENTS.actions, seconds: SETTINGS.seconds, method: 'POST',
      // Round robin over every created case: concurrent clients rarely meet on one case.
      path: () => `${API}/cases/${created[next++ % created.length]}/actions/assign`,
      headers: { authorization: `Bearer ${officer}` },
      perRequestHeaders: () => ({ 'idempotency-key': randomUUID() }),
      body: () => JSON.stringify({ coach: 'Carl Coach', preparationGroup: `Beredningsgrupp ${next % 5}` }),
      onResponse: (status) => { if (status === 200) acted++; },
    }));
    const afterActions = await database();
    // acted counts the warm-up's actions too, like the database's counters.
    if (afterCreations && afterActions && result.figures.actions) result.actionDatabaseCost = perStep(afterCreations, afterActions, acted + result.figures.actions.ok);
    const connection = await Connection.connect({ address: system.temporalAddress });
    try {
      result.engineCost = await engineCost(new Client({ connection, dataConverter: dataConverter(systemConfig(target)) }), created.slice(0, 20));
    } catch (err) {
      result.errors.push(`engine cost: ${(err as Error).message}`);
    } finally {
      await connection.close();
    }
  }

  const readable = [...bulkIds, ...created];
  const getLoad = (route: string) => () => httpLoad({
    base, connections: CLIENTS.get, seconds: SETTINGS.seconds, method: 'GET', path: () => `${route}/${pick(readable)}`,
    headers: { authorization: `Bearer ${officer}` },
  });
  await measure('getCeiling', 'ceiling: one row by key (bare route)', getLoad('/bench/cases'));
  await measure('get', 'GET /cases/{id}', getLoad(`${API}/cases`));

  const stages = ['execution', 'completed', 'rejected', 'followUp', 'preparation', 'decision'];
  const portfolios = ['p1', 'p2', 'p3', 'p4', 'p5'];
  const filter = () => `stage=${pick(stages)}&portfolio=${pick(portfolios)}`;
  await measure('list', 'GET /cases?stage&portfolio', () => httpLoad({
    base, connections: CLIENTS.list, seconds: SETTINGS.seconds, method: 'GET', path: () => `${API}/cases?${filter()}`,
    headers: { authorization: `Bearer ${officer}` },
  }));
  await measure('listText', 'GET /cases?stage&portfolio&q', () => httpLoad({
    base, connections: CLIENTS.list, seconds: SETTINGS.seconds, method: 'GET',
    path: () => `${API}/cases?${filter()}&q=${encodeURIComponent(pick(TITLE_SUBJECTS).slice(0, 5))}`,
    headers: { authorization: `Bearer ${officer}` },
  }));
  result.casesCreated = created.length;
  result.readGrowth.push({ rows: SETTINGS.rows, get: result.figures.get, ceiling: result.figures.getCeiling });

  await measureGrowth(target, system, officer, base, result, attempt);

  // GET against the size of the read model (PostgreSQL: PGlite admits one opener, the running system).
  if (target.databaseUrl) {
    let rows = SETTINGS.rows;
    for (const level of SETTINGS.readLevels) {
      log(`${target.backend}: read model grown to ${level} cases`);
      const db = openDatabase({ url: target.databaseUrl });
      try {
        await loadCases(db.db, level - rows, rows + 1);
      } finally {
        await db.close();
      }
      rows = level;
      const ids = await sampleIds(target.databaseUrl, 10_000);
      const at = (route: string) => () => httpLoad({
        base, connections: CLIENTS.get, seconds: SETTINGS.seconds, method: 'GET', path: () => `${route}/${pick(ids)}`,
        headers: { authorization: `Bearer ${officer}` },
      });
      result.readGrowth.push({
        rows: level,
        ceiling: await attempt(`ceiling: one row by key, ${level} cases`, at('/bench/cases')),
        get: await attempt(`GET /cases/{id}, ${level} cases`, at(`${API}/cases`)),
      });
    }
  }
}

type FigureKey = keyof BackendResult['figures'];

/** Actions and worker memory at each level of open cases, and on PostgreSQL against the cache size. */
async function measureGrowth(target: Target, system: System, officer: string, base: string, result: BackendResult,
  attempt: (name: string, fn: () => Promise<Figures>) => Promise<Figures | undefined>): Promise<void> {
  const alive = () => { try { process.kill(system.workerPid(), 0); return true; } catch { return false; } };
  const levels = target.backend === 'postgres' ? SETTINGS.openLevels : SETTINGS.openLevels.filter((l) => l <= EMBEDDED_OPEN_CASES);
  const connection = await Connection.connect({ address: system.temporalAddress });
  const client = new Client({ connection, dataConverter: dataConverter(systemConfig(target)) });
  try {
    let open = 0;
    for (const level of levels) {
      log(`${target.backend}: opening cases up to ${level}`);
      const t = await phase(`open cases up to ${level}`, system.parts, target.probeFile, result.usage,
        () => openCases(client, system.mailDir, open, level, alive, (line) => log(`${target.backend}: ${line}`)));
      open = level;
      await sleep(3_000);
      const rssMb = memoryMb(system.workerPid()).rss;
      const actions = await attempt(`actions (assign) on ${level} open cases`, actionsOn(base, officer, level));
      const rssAfterActionsMb = memoryMb(system.workerPid()).rss;
      result.growth.push({ openCases: level, cachedCases: DEFAULT_CACHED_CASES, rssMb, rssAfterActionsMb, actions, ...t });

      // Against the cache size, at the first level: a fresh worker per size, the cache filled by queries first.
      if (level === levels[0] && system.restartWorker) {
        for (const cache of SETTINGS.cacheSizes) {
          log(`${target.backend}: ${level} open cases, cache ${cache}`);
          await system.restartWorker({ WORKER_CACHED_CASES: String(cache) });
          await warmCache(client, level, Math.min(cache, level));
          await sleep(3_000);
          const rss = memoryMb(system.workerPid()).rss;
          const figures = await attempt(`actions (assign) on ${level} open cases, cache ${cache}`, actionsOn(base, officer, level));
          result.growth.push({ openCases: level, cachedCases: cache, rssMb: rss, rssAfterActionsMb: memoryMb(system.workerPid()).rss, actions: figures });
        }
        await system.restartWorker({});
        await warmCache(client, level, Math.min(DEFAULT_CACHED_CASES, level));
      }
    }
  } catch (err) {
    result.errors.push(`open cases: ${(err as Error).message}`);
  } finally {
    await connection.close();
  }
}

async function runBackend(backend: Backend): Promise<BackendResult> {
  const dir = path.join(RUN_DIR, backend);
  fs.mkdirSync(dir, { recursive: true });
  const profileDir = process.env.BENCH_PROFILE_DIR ? path.resolve(process.env.BENCH_PROFILE_DIR, backend) : undefined;
  const result: BackendResult = { backend, serverVersion: '', figures: {}, usage: [], errors: [], casesCreated: 0, growth: [], readGrowth: [] };
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

/** The growth plot, where the report links it: bench/growth.svg beside the report. */
function writePlot(report: string, run: Run): void {
  const file = path.join(path.dirname(report), 'bench', 'growth.svg');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, growthSvg(run.results));
}

async function main(): Promise<void> {
  const out = process.env.BENCH_OUT ?? (QUICK ? path.join(os.tmpdir(), 'BENCHMARKS.quick.md') : path.join(ROOT, 'BENCHMARKS.md'));
  const raw = path.join(os.tmpdir(), `${path.basename(out)}.json`);
  if (process.env.BENCH_RENDER) {
    // Rewrites the report from the last run's figures, e.g. after bench/notes.md has changed.
    const run = JSON.parse(fs.readFileSync(raw, 'utf8')) as Run;
    fs.writeFileSync(out, renderReport(run));
    writePlot(out, run);
    log(`wrote ${out} from ${raw}`);
    return;
  }
  const run: Run = { env: await environment(), results: [], quick: QUICK, settings: SETTINGS, clients: CLIENTS };
  log('building the system (npm run build into bench/.build)');
  buildSystem();
  for (const backend of BACKENDS) {
    run.results.push(await runBackend(backend));
    await dropDatabases();
  }
  fs.writeFileSync(raw, JSON.stringify(run, null, 2));
  fs.writeFileSync(out, renderReport(run));
  writePlot(out, run);
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
