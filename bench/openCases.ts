// The worker's memory with many open cases: a worker process as `npm run worker` runs it, on a dev server of
// its own (in memory); cases started straight through the Temporal client record their first step and then
// wait on the screening timer. The reading is taken once every case has done so (no workflow task or activity
// pending), and the read model is counted afterwards to show that every case really recorded its step.
import fs from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { like, sql } from 'drizzle-orm';
import { openDatabase } from '../db/client';
import { cases } from '../db/schema';
import { resolveTemporalCli } from '../platform/binaries';
import { DEFAULT_RULES } from '../workflows/defaults';
import { CASE_WORKFLOW } from '../workflows/messages';
import type { CaseInput } from '../workflows/types';
import { FatalError, freePort, memoryMb, sleep, startNode, startProcess, tail, waitFor } from './children';
import { childEnv, logged, type Target } from './stack';

export interface OpenCasesFigures {
  cases: number;
  recorded: number;
  /** Worker RSS before the first case, once all are waiting, and its peak (VmHWM), in MB. */
  idleMb: number;
  rssMb: number;
  peakMb: number;
  startsPerSecond: number;
  /** From the first start until every case waits on its timer. */
  settleSeconds: number;
}

/** Year of the open cases' numbers: apart from the bulk-loaded and API-created ones. */
const OPEN_CASE_YEAR = 2031;
const caseId = (n: number) => `PK-${OPEN_CASE_YEAR}-${String(n + 1).padStart(5, '0')}`;

function caseInput(n: number): CaseInput {
  return {
    caseId: caseId(n),
    idea: {
      title: `Öppet ärende ${n + 1}`, need: 'Behov', idea: 'Idé', organisation: 'utbildning', language: 'sv',
      contact: { name: 'Anna Andersson', email: 'anna@utbildning.example' },
    },
    actor: { id: 'anna', name: 'Anna Andersson', email: 'anna@utbildning.example', roles: ['applicant'], org: 'utbildning' },
    ruleSet: { version: 1, ...DEFAULT_RULES },
    portfolios: ['p1', 'p2', 'p3', 'p4', 'p5'],
    experimentalPortfolios: ['p5'],
  };
}

/**
 * A dev server that keeps its state in memory: this phase measures the worker, and the engine's SQLite file
 * would only slow the 10 000 starts down (both compete for the same two cores).
 */
async function startMemoryDevServer(logDir: string): Promise<{ address: string; stop(): Promise<void> }> {
  const port = await freePort();
  const address = `127.0.0.1:${port}`;
  const server = startProcess('dev-server-open-cases', resolveTemporalCli(), [
    'server', 'start-dev', '--headless', '--ip', '127.0.0.1', '--port', String(port), '--namespace', 'default', '--log-level', 'error',
  ], process.env, logDir);
  await waitFor('the in-memory dev server', 60_000, async () => {
    if (!server.running()) throw new FatalError(`dev server exited:\n${tail(server)}`);
    const connection = await Connection.connect({ address, connectTimeout: 1_000 });
    try {
      await connection.workflowService.describeNamespace({ namespace: 'default' });
      return true;
    } finally {
      await connection.close();
    }
  }).catch(async (err: unknown) => {
    await server.stop();
    throw err;
  });
  return { address, stop: () => server.stop() };
}

/** Distinct cases with an email in the drop directory (files are named by message id, which starts with the case number). */
function casesMailed(dir: string): number {
  let files: string[] = [];
  try { files = fs.readdirSync(dir); } catch { return 0; }
  return new Set(files.map((f) => /^(PK-\d{4}-\d+)\./.exec(f)?.[1]).filter(Boolean)).size;
}

async function inParallel(count: number, concurrency: number, fn: (n: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < count) await fn(next++);
  }));
}

/** Ten thousand cases settle in 4-5 minutes on this two-core machine; the limit leaves room for a crowded one. */
const SETTLE_TIMEOUT_MS = 40 * 60_000;

export async function openCasesMemory(target: Target, count: number, progress: (line: string) => void, nodeArgs: string[] = []): Promise<OpenCasesFigures> {
  const devServer = await startMemoryDevServer(target.dir);
  const dataDir = path.join(target.dir, 'open-cases');
  const worker = startNode('worker-open-cases', 'worker.ts', childEnv(target, { TEMPORAL_ADDRESS: devServer.address, DATA_DIR: dataDir }), target.dir, nodeArgs);
  const connection = await Connection.connect({ address: devServer.address });
  const client = new Client({ connection });
  try {
    await logged(worker, 'worker polling task queue');
    await sleep(2_000);
    const idleMb = memoryMb(worker.pid).rss;

    const t0 = Date.now();
    await inParallel(count, 50, async (n) => {
      await client.workflow.start(CASE_WORKFLOW, { taskQueue: 'cases', workflowId: caseId(n), args: [caseInput(n)] });
    });
    const startsPerSecond = count / ((Date.now() - t0) / 1000);

    // Cheap progress signal while the worker catches up: the emails of each case's first step, written to the
    // drop directory after the step is recorded. Then one pass over every case's history confirms it waits
    // on its timer with no workflow task or activity left.
    const mailDir = path.join(dataDir, 'mail');
    let lastLog = Date.now();
    await waitFor(`${count} cases to record their first step`, SETTLE_TIMEOUT_MS, async () => {
      if (!worker.running()) throw new FatalError(`worker exited:\n${tail(worker)}`);
      const mailed = casesMailed(mailDir);
      if (Date.now() - lastLog > 30_000) {
        lastLog = Date.now();
        progress(`${mailed} of ${count} open cases recorded, worker RSS ${Math.round(memoryMb(worker.pid).rss)} MB`);
      }
      return mailed >= count ? true : undefined;
    }, 2_000);
    await inParallel(count, 8, async (n) => {
      for (let attempt = 0; ; attempt++) {
        const d = await client.workflowService.describeWorkflowExecution({ namespace: 'default', execution: { workflowId: caseId(n) } });
        if (!d.pendingWorkflowTask && (d.pendingActivities ?? []).length === 0) return;
        if (attempt >= 60) throw new Error(`case ${caseId(n)} still has work pending a minute after its emails`);
        await sleep(1_000);
      }
    });
    const settleSeconds = (Date.now() - t0) / 1000;
    // Readings over a few seconds at rest: the last one, and the peak the kernel kept.
    let reading = memoryMb(worker.pid);
    for (let i = 0; i < 5; i++) {
      await sleep(1_000);
      reading = memoryMb(worker.pid);
    }
    await worker.stop();
    const recorded = await countRecorded(target, dataDir);
    return { cases: count, recorded, idleMb, rssMb: reading.rss, peakMb: reading.peak, startsPerSecond, settleSeconds };
  } finally {
    await worker.stop();
    await connection.close();
    await devServer.stop();
  }
}

/** The open cases in the read model: on PostgreSQL the shared database, on PGlite the worker's own (now closed). */
async function countRecorded(target: Target, dataDir: string): Promise<number> {
  const database = openDatabase(target.databaseUrl ? { url: target.databaseUrl } : { dir: path.join(dataDir, 'pglite') });
  try {
    const [row] = await database.db.select({ n: sql<number>`count(*)::int` }).from(cases).where(like(cases.id, `PK-${OPEN_CASE_YEAR}-%`));
    return row.n;
  } finally {
    await database.close();
  }
}
