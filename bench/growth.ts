// How cost grows with the number of open cases: cases started straight through the Temporal client (as the
// API would, without HTTP) until a level is reached, each recording its first step and then waiting on its
// screening timer, so that actions can be measured against many open cases and the worker's memory read.
import fs from 'node:fs';
import type { Client } from '@temporalio/client';
import { DEFAULT_RULES } from '../workflows/defaults';
import { caseViewQuery, CASE_WORKFLOW } from '../workflows/messages';
import type { CaseInput } from '../workflows/types';
import { FatalError, waitFor } from './children';
import type { Figures } from './measure';

/** One level of open cases: the actions measured on them and the worker's memory there. */
export interface GrowthPoint {
  openCases: number;
  cachedCases: number;
  /** Worker RSS (MB) once every case has recorded its first step; on PGlite the whole `npm start` process. */
  rssMb: number;
  actions?: Figures;
  /** Worker RSS (MB) after the actions, with the cases they touched in the cache. */
  rssAfterActionsMb?: number;
  /** Starts per second through the client, and seconds from the first start until every case had recorded its step. */
  startsPerSecond?: number;
  settleSeconds?: number;
}

/** GET of one case at a size of the read model: ours and the bare route's, same clients. */
export interface ReadGrowthPoint { rows: number; get?: Figures; ceiling?: Figures }

/** Year of the open cases' numbers: apart from the bulk-loaded and API-created ones. */
const OPEN_CASE_YEAR = 2031;
export const openCaseId = (n: number) => `PK-${OPEN_CASE_YEAR}-${String(n + 1).padStart(5, '0')}`;

function caseInput(n: number): CaseInput {
  return {
    caseId: openCaseId(n),
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

/** Open cases with an email in the drop directory (files are named by message id, which starts with the case number). */
function casesMailed(dir: string): number {
  let files: string[] = [];
  try { files = fs.readdirSync(dir); } catch { return 0; }
  const prefix = `PK-${OPEN_CASE_YEAR}-`;
  return new Set(files.filter((f) => f.startsWith(prefix)).map((f) => f.split('.')[0])).size;
}

export async function inParallel(from: number, to: number, concurrency: number, fn: (n: number) => Promise<unknown>): Promise<void> {
  let next = from;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < to) await fn(next++);
  }));
}

/** Ten thousand cases settle in about five minutes on this two-core machine; the limit leaves room for a crowded one. */
const SETTLE_TIMEOUT_MS = 60 * 60_000;

/**
 * Starts open cases from..to-1 and waits until each has recorded its first step (its receipt is in the mail
 * drop: the relay sends it after the step's transaction commits).
 */
export async function openCases(client: Client, mailDir: string, from: number, to: number, alive: () => boolean, progress: (line: string) => void): Promise<{ startsPerSecond: number; settleSeconds: number }> {
  const t0 = Date.now();
  await inParallel(from, to, 50, (n) => client.workflow.start(CASE_WORKFLOW, { taskQueue: 'cases', workflowId: openCaseId(n), args: [caseInput(n)] }));
  const startsPerSecond = (to - from) / ((Date.now() - t0) / 1000);
  let lastLog = Date.now();
  await waitFor(`${to} open cases to record their first step`, SETTLE_TIMEOUT_MS, async () => {
    if (!alive()) throw new FatalError('the worker exited');
    const mailed = casesMailed(mailDir);
    if (Date.now() - lastLog > 30_000) {
      lastLog = Date.now();
      progress(`${mailed} of ${to} open cases recorded`);
    }
    return mailed >= to ? true : undefined;
  }, 1_000);
  return { startsPerSecond, settleSeconds: (Date.now() - t0) / 1000 };
}

/** Brings `count` of the open cases into the worker's cache: a query on an evicted case replays its history. */
export async function warmCache(client: Client, openCount: number, count: number): Promise<void> {
  const stride = openCount / count;
  await inParallel(0, count, 20, (i) => client.workflow.getHandle(openCaseId(Math.floor(i * stride))).query(caseViewQuery));
}
