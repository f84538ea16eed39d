// A case workflow on the time-skipping server with the real activities: a fresh database, seeded
// reference data, and an SMTP server in-process. One harness per test file.
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { WorkflowClient, WorkflowUpdateFailedError, type WorkflowHandle, type WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { ApplicationFailure } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { asc, eq, sql } from 'drizzle-orm';
import pino from 'pino';
import { createActivities } from '../../activities';
import { createOutboxRelay } from '../../activities/outboxRelay';
import { seedReferenceData } from '../../db/seed';
import { auditEvents, councilMeetings, outbox, portfolioFrames } from '../../db/schema';
import { createMailer } from '../../platform/mailer';
import { dataConverter } from '../../platform/payloadCodec';
import { stockholmDate, stockholmYear } from '../../workflows/calendar';
import { DEFAULT_RULES } from '../../workflows/defaults';
import type { ActionName } from '../../workflows/vocabulary';
import { actionUpdates, caseViewQuery, CASE_WORKFLOW } from '../../workflows/messages';
import type { Actor, CaseInput, CaseView, IdeaInput, RuleSet } from '../../workflows/types';
import { freshDatabase, type TestDatabase } from '../support/db';
import { startSmtpServer, type ReceivedEmail, type TestSmtpServer } from '../support/smtp';
import { bundle, testConfig, timeSkippingEnv } from '../support/temporal';

export const people = {
  applicant: { id: 'anna', name: 'Anna Andersson', email: 'anna@utbildning.example', roles: ['applicant'], org: 'utbildning' },
  otherApplicant: { id: 'olle', name: 'Olle Olsson', roles: ['applicant'], org: 'stadsbyggnad' },
  officer: { id: 'karin', name: 'Karin Handläggare', roles: ['officer'] },
  valuer: { id: 'vera', name: 'Vera Värderare', roles: ['valuer'], org: 'serviceforvaltningen' },
  ownOrgValuer: { id: 'ulf', name: 'Ulf Utbildning', roles: ['valuer'], org: 'utbildning' },
  preparer: { id: 'petra', name: 'Petra Beredare', roles: ['preparer'] },
  council: { id: 'rolf', name: 'Rolf Rådet', roles: ['council'] },
  budget: { id: 'berit', name: 'Berit Budget', roles: ['budget'] },
  director: { id: 'stina', name: 'Stina Stadsdirektör', roles: ['decider:stadsdirektor'] },
  committee: { id: 'erik', name: 'Erik Ekonomiutskottet', roles: ['decider:ks-ekonomiutskott'] },
} satisfies Record<string, Actor>;

export const idea: IdeaInput = {
  title: 'Digital skolval', need: 'Skolvalet görs på papper', idea: 'En e-tjänst för skolval',
  expectedBenefits: 'Kortare handläggning', roughCost: 2_000_000, organisation: 'utbildning',
  contact: { name: 'Anna Andersson', email: 'anna@utbildning.example' }, language: 'sv',
};

let claimCounter = 0;

/** The year after the one this test run starts in, whatever day that is: plans lie there, ahead of every decision. */
export const NEXT_YEAR = stockholmYear(Date.now()) + 1;

/** A complete application; each call books its own savings claim key, so cases do not double-count by accident. */
export function application(over: Record<string, unknown> = {}) {
  claimCounter += 1;
  return {
    portfolio: 'p1', kind: 'implementation', totalCost: 2_000_000, plannedStart: `${NEXT_YEAR}-01-01`, plannedEnd: `${NEXT_YEAR + 2}-12-31`,
    projectLeader: 'Lena Projektledare',
    benefits: { citizenBenefit: 3_000_000, businessBenefit: 1_500_000, developmentCost: 2_000_000, operationCost: 300_000, expectedUsers: 20_000 },
    savingsClaims: [{ key: `utbildning:skolval-papper-${claimCounter}`, description: 'Pappershantering vid skolval', amountPerYear: 400_000 }],
    owner: { name: 'Utbildningsdirektören', managementObject: 'Skolval', operationCostAccepted: true },
    realisationPlan: 'Mäts via e-tjänstens statistik', accessibility: 'WCAG 2.1 AA', security: 'Säkerhetsklass 2',
    ...over,
  };
}

export const report = (reportId: string, over: Record<string, unknown> = {}) => ({
  reportId, time: 'green', cost: 'green', scope: 'green', spentToDate: 500_000, forecastTotalCost: 2_000_000, forecastEndDate: `${NEXT_YEAR + 2}-12-31`, ...over,
});

export interface Harness {
  env: TestWorkflowEnvironment;
  database: TestDatabase;
  smtp: TestSmtpServer;
  start(opts?: { caseId?: string; rules?: Partial<RuleSet>; idea?: Partial<IdeaInput>; actor?: Actor; historyLimit?: number }): Promise<CaseDriver>;
  /** The Stockholm date on the test server's clock, which moves on as tests sleep. */
  today(): Promise<string>;
  close(): Promise<void>;
}

export const HISTORIES_DIR = path.join(__dirname, 'histories');

/**
 * name: prefix of the histories written to histories/<RECORD_HISTORIES>/ when that is set (to the date and UTC time, e.g. 2026-11-28-1547);
 * they are committed and replayed by replay.test.ts, old and new alike, so a change that would break
 * running cases fails the build.
 */
export async function createHarness(name: string): Promise<Harness> {
  const [env, database, smtp] = await Promise.all([timeSkippingEnv(), freshDatabase(), startSmtpServer()]);
  await seedReferenceData(database.db);
  // Frames for every year the test projects span.
  for (let year = NEXT_YEAR - 1; year <= NEXT_YEAR + 8; year++) {
    await database.db.insert(portfolioFrames).values(['p1', 'p2', 'p3', 'p4', 'p5'].map((p) => ({ portfolioId: p, year, amount: 40_000_000 })))
      .onConflictDoUpdate({ target: [portfolioFrames.portfolioId, portfolioFrames.year], set: { amount: 40_000_000 } });
  }
  await database.db.insert(councilMeetings).values({ id: 'UR-2027-01', date: '2027-01-20', title: 'Utvecklingsrådet januari' });
  const config = testConfig({ SMTP_URL: smtp.url });
  const mailer = createMailer(config.mail);
  const taskQueue = `cases-${randomUUID()}`;
  const worker = await Worker.create({
    connection: env.nativeConnection, taskQueue, workflowBundle: bundle(),
    activities: createActivities({ db: database.db, mailer, mail: config.mail }),
    dataConverter: dataConverter(config),
  });
  const running = worker.run();
  // As in the worker: the relay sends what each step writes to the outbox.
  const relay = createOutboxRelay({ db: database.db, mailer, mail: config.mail, database, logger: pino({ level: 'silent' }) });
  await relay.start();
  // Results read through a plain client: the environment's own lets time run ahead while it waits for one.
  const results = new WorkflowClient({ connection: env.connection, dataConverter: dataConverter(config) });
  let counter = 0;
  const started: WorkflowHandle[] = [];
  return {
    env, database, smtp,
    today: async () => stockholmDate(await env.currentTimeMs()),
    async start(opts = {}) {
      counter += 1;
      const caseId = opts.caseId ?? `PK-2026-${String(counter).padStart(4, '0')}`;
      const input: CaseInput = {
        caseId, idea: { ...idea, ...opts.idea }, actor: opts.actor ?? people.applicant,
        ruleSet: { version: 1, ...DEFAULT_RULES, ...opts.rules }, portfolios: ['p1', 'p2', 'p3', 'p4', 'p5'], experimentalPortfolios: ['p5'],
        ...(opts.historyLimit ? { historyLimit: opts.historyLimit } : {}),
      };
      const handle = await env.client.workflow.start(CASE_WORKFLOW, { taskQueue, workflowId: caseId, args: [input] });
      started.push(handle);
      const driver = new CaseDriver(handle, database, results);
      // Started once its first step is recorded (the workflow counts the step before the activity lands).
      for (let i = 0; i < 100 && (await driver.auditCount()) < 1; i++) await new Promise((r) => setTimeout(r, 50));
      return driver;
    },
    async close() {
      if (process.env.RECORD_HISTORIES) {
        const dir = path.join(HISTORIES_DIR, process.env.RECORD_HISTORIES);
        fs.mkdirSync(dir, { recursive: true });
        for (const handle of started) {
          const history = temporal.api.history.v1.History.encode(await handle.fetchHistory()).finish();
          fs.writeFileSync(path.join(dir, `${name}-${handle.workflowId}.binpb`), history);
        }
      }
      worker.shutdown();
      await running;
      await relay.stop();
      mailer.close();
      await Promise.all([env.teardown(), database.close(), smtp.close()]);
    },
  };
}

export class CaseDriver {
  constructor(readonly handle: WorkflowHandleWithFirstExecutionRunId, private readonly database: TestDatabase, private readonly results: WorkflowClient) {}

  get id() { return this.handle.workflowId; }

  act(action: ActionName, actor: Actor, input: unknown = {}): Promise<CaseView> {
    return this.handle.executeUpdate(actionUpdates[action], { args: [{ actor, input }] });
  }

  /** The refusal an action meets: its failure type, message and details. */
  async refusal(action: ActionName, actor: Actor, input: unknown = {}): Promise<{ type: string; message: string; details: unknown[] }> {
    try {
      await this.act(action, actor, input);
    } catch (err) {
      const cause = err instanceof WorkflowUpdateFailedError ? err.cause : err;
      if (cause instanceof ApplicationFailure) return { type: cause.type ?? '', message: cause.message, details: cause.details ?? [] };
      throw err;
    }
    throw new Error(`${action} was not refused`);
  }

  view(): Promise<CaseView> { return this.handle.query(caseViewQuery); }

  async until(pred: (v: CaseView) => boolean, tries = 50): Promise<CaseView> {
    for (let i = 0; i < tries; i++) {
      const v = await this.view();
      if (pred(v)) return v;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`case ${this.id} never reached the expected state`);
  }

  /**
   * The case's final view once its workflow has completed: its result, read once it is there rather than
   * awaited through the environment's client, which lets time run ahead to any timer while it waits (and would
   * move later tests' dates); not a query, which replays the closed workflow's whole history first.
   */
  async finished(): Promise<CaseView> {
    for (let i = 0; i < 100; i++) {
      const { status } = await this.handle.describe();
      if (status.name === 'COMPLETED') return this.results.getHandle(this.id).result() as Promise<CaseView>;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`case ${this.id} did not complete`);
  }

  audit() {
    return this.database.db.select().from(auditEvents).where(eq(auditEvents.caseId, this.id)).orderBy(asc(auditEvents.caseSeq));
  }

  emails() {
    return this.database.db.select().from(outbox).where(eq(outbox.caseId, this.id)).orderBy(asc(outbox.seq), asc(outbox.id));
  }

  /** The case's emails once the relay has settled every one (sent or failed for good), or as they stand after ~5 s. */
  async settledEmails() {
    for (let i = 0; i < 100; i++) {
      const rows = await this.emails();
      if (rows.every((e) => e.status === 'sent' || e.status === 'failed')) return rows;
      await new Promise((r) => setTimeout(r, 50));
    }
    return this.emails();
  }

  async auditCount(): Promise<number> {
    const [row] = await this.database.db.select({ n: sql<number>`count(*)::int` }).from(auditEvents).where(eq(auditEvents.caseId, this.id));
    return row.n;
  }

  /** Idea to the decider's desk: screened, applied, valued, recommended, at council, budget-checked. */
  async toDecision(app: Record<string, unknown> = application()): Promise<CaseView> {
    await this.act('screen-idea', people.officer, { outcome: 'approve', coach: 'Carl Coach' });
    await this.act('submit-application', people.applicant, app);
    await this.act('record-valuation', people.valuer, { citizenBenefit: 2_500_000, businessBenefit: 1_200_000, developmentCost: 2_100_000, operationCost: 300_000 });
    await this.act('recommend', people.preparer, { recommendation: 'support', motivation: 'God nytta för medborgarna' });
    await this.act('schedule-council', people.officer, { meetingId: 'UR-2027-01' });
    // Each case its own rank: ranks are unique within a portfolio on a meeting, and these cases share one.
    await this.act('council-opinion', people.council, { opinion: 'recommend', priority: Number(this.id.slice(-4)) });
    return this.act('budget-check', people.budget, { outcome: 'ok' });
  }
}

/** Emails to an address whose subject holds every given part, once at least one has arrived (they leave after the step). */
export async function mailTo(h: Harness, address: string, ...subject: string[]): Promise<ReceivedEmail[]> {
  const matching = () => h.smtp.to(address).filter((m) => subject.every((part) => m.subject.includes(part)));
  for (let i = 0; i < 100 && matching().length === 0; i++) await new Promise((r) => setTimeout(r, 50));
  return matching();
}

const DAY = 86_400_000;
const HOUR = 3_600_000;
/** More than the ~80 steps of a three-year project; a loop that never ends is a failure, not a hang. */
const MAX_ROUNDS = 500;

/**
 * Files every report as soon as it opens, sleeping on the server's clock in between, until the case leaves
 * `stages`. Each update answers with the view after its step; the case is asked again only after a sleep.
 */
/** Fields laid over the bodies fileReportsWhile files (texts at their longest, say), and a look at each answer. */
export interface Filing {
  report?: Record<string, unknown>;
  final?: Record<string, unknown>;
  effect?: Record<string, unknown>;
  onAnswer?(view: CaseView): void;
}

export async function fileReportsWhile(h: Harness, c: CaseDriver, stages: CaseView['stage'][], filing: Filing = {}): Promise<CaseView> {
  let v = await c.view();
  const answered = (view: CaseView) => { filing.onAnswer?.(view); return view; };
  for (let round = 0; round < MAX_ROUNDS; round++) {
    if (!stages.includes(v.stage)) return v;
    const open = v.reports.find((r) => ['due', 'overdue', 'escalated'].includes(r.status));
    if (open?.type === 'effect') {
      v = answered(await c.act('submit-effect-report', people.applicant, {
        reportId: open.id, realised: { citizenBenefit: 2_800_000, businessBenefit: 1_400_000, developmentCost: 4_900_000, operationCost: 320_000 },
        savings: (v.application?.savingsClaims ?? []).map((claim) => ({ key: claim.key, realisedAmountPerYear: 380_000 })),
        ...filing.effect,
      }));
    } else if (open?.type === 'final') {
      answered(await c.act('submit-final-report', people.applicant, {
        outcome: 'E-tjänsten för skolval är i drift', finalCost: 4_900_000, deliveredAgainstPlan: 'Allt enligt plan',
        handoverConfirmed: true, supportArrangement: 'Förvaltningsobjekt Skolval', followUpPlan: 'Effekthemtagning efter 6 och 12 månader',
        ...filing.final,
      }));
      v = answered(await c.act('approve-closure', people.officer, { comment: 'Godkänd' }));
    } else if (open) {
      v = answered(await c.act('submit-report', people.applicant, report(open.id, { forecastTotalCost: 5_000_000, ...filing.report })));
    } else {
      // Sleep until the next report is asked for (its reminder, five days before it is due, give or take a
      // clock change), or the next calendar event.
      const next = v.reports.filter((r) => r.status === 'scheduled').map((r) => Date.parse(r.dueAt) - 5 * DAY + 2 * HOUR);
      const now = await h.env.currentTimeMs();
      await h.env.sleep(Math.max(60_000, Math.min(...next, now + 30 * DAY) - now + 60_000));
      v = await c.view();
    }
  }
  throw new Error(`the case was still in ${stages.join('/')} after ${MAX_ROUNDS} rounds`);
}
