// The API against a fresh seeded database, a real SMTP server and the time-skipping Temporal server, with
// tokens for every role. With `worker`, the real case workflow and activities run on a worker in this
// process; without, cases are written straight into the read model (`record`).
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import type { Express } from 'express';
import pino from 'pino';
import request from 'supertest';
import { createActivities } from '../../activities';
import { createOutboxRelay } from '../../activities/outboxRelay';
import { createPersistenceActivities } from '../../activities/persistence';
import { createApp } from '../../api/app';
import type { AppDeps } from '../../api/services';
import { signToken, type Claims } from '../../api/auth';
import { loadConfig, type Config } from '../../config';
import { seedReferenceData } from '../../db/seed';
import { createMailer } from '../../platform/mailer';
import { dataConverter } from '../../platform/payloadCodec';
import type { StepRecord } from '../../workflows/types';
import { freshDatabase, type TestDatabase } from '../support/db';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp';
import { planOneEmailPerIntent } from '../support/steps';
import { bundle, devServerEnv, timeSkippingEnv } from '../support/temporal';

/** Callers by role; applicants belong to utbildning unless named otherwise. */
export const callers = {
  applicant: { sub: 'anna', name: 'Anna Andersson', email: 'anna@utbildning.example', roles: ['applicant'], org: 'utbildning' },
  otherApplicant: { sub: 'olle', name: 'Olle Olsson', roles: ['applicant'], org: 'stadsbyggnad' },
  officer: { sub: 'karin', name: 'Karin Handläggare', roles: ['officer'] },
  valuer: { sub: 'vera', name: 'Vera Värderare', roles: ['valuer'], org: 'serviceforvaltningen' },
  preparer: { sub: 'petra', name: 'Petra Beredare', roles: ['preparer'] },
  council: { sub: 'rolf', name: 'Rolf Rådet', roles: ['council'] },
  budget: { sub: 'berit', name: 'Berit Budget', roles: ['budget'] },
  director: { sub: 'stina', name: 'Stina Stadsdirektör', roles: ['decider:stadsdirektor'] },
  committee: { sub: 'erik', name: 'Erik Ekonomiutskottet', roles: ['decider:ks-ekonomiutskott'] },
  auditor: { sub: 'astrid', name: 'Astrid Revisor', roles: ['auditor'] },
  admin: { sub: 'adam', name: 'Adam Admin', roles: ['admin'] },
} satisfies Record<string, Claims>;
export type CallerName = keyof typeof callers;

export interface ApiHarness {
  app: Express;
  /** What the app was built from, to build another (e.g. with a logger to inspect). */
  deps: AppDeps;
  config: Config;
  database: TestDatabase;
  env: TestWorkflowEnvironment;
  smtp: TestSmtpServer;
  /** `Authorization` header value for a caller. */
  auth(who: CallerName | Claims): Promise<string>;
  get(url: string, who?: CallerName | Claims): Promise<request.Response>;
  post(url: string, who: CallerName | Claims, body?: unknown, headers?: Record<string, string>): Promise<request.Response>;
  /** Stops the worker (no one polls the task queue: the engine takes updates but nothing answers them), or starts one. */
  stopWorker(): Promise<void>;
  startWorker(): Promise<void>;
  /** Writes a step as the workflow's activity would: read model, audit row, outbox. */
  record(step: StepRecord): Promise<void>;
  close(): Promise<void>;
}

/** env: configuration over the harness's own (e.g. limits); realTime: the dev server instead of the time-skipping one. */
export async function apiHarness(opts: { worker?: boolean; env?: Record<string, string>; realTime?: boolean } = {}): Promise<ApiHarness> {

  const [database, smtp] = await Promise.all([freshDatabase(), startSmtpServer()]);
  await seedReferenceData(database.db);
  const config = loadConfig({
    SMTP_URL: smtp.url,
    DATA_DIR: path.join(os.tmpdir(), `projektkontoret-api-${randomUUID()}`),
    JWT_SECRET: 'test-secret-that-is-long-enough-for-hs256',
    TEMPORAL_TASK_QUEUE: `cases-${randomUUID()}`,
    LOG_LEVEL: 'silent',
    // Tests send far more requests a minute than a person does; the limits have their own test (rateLimits.test.ts).
    RATE_LIMIT_POSTS_PER_MINUTE: '0',
    RATE_LIMIT_RECEIPTS_PER_HOUR: '0',
    ...opts.env,
  });
  const env = await (opts.realTime ? devServerEnv : timeSkippingEnv)(config);
  const mailer = createMailer(config.mail, { logger: pino({ level: 'silent' }) });
  let stopWorker = async () => undefined as void;
  const startWorker = async () => {
    const worker = await Worker.create({
      connection: env.nativeConnection, taskQueue: config.temporal.taskQueue, workflowBundle: bundle(),
      activities: createActivities({ db: database.db, mailer, mail: config.mail }),
      dataConverter: dataConverter(config),
    });
    const running = worker.run();
    const relay = createOutboxRelay({ db: database.db, mailer, mail: config.mail, database, logger: pino({ level: 'silent' }) });
    await relay.start();
    stopWorker = async () => { stopWorker = async () => undefined; worker.shutdown(); await running; await relay.stop(); };
  };
  if (opts.worker) await startWorker();
  const deps: AppDeps = { db: database.db, temporal: env.client, config, logger: pino({ level: 'silent' }) };
  const app = createApp(deps);
  const persistence = createPersistenceActivities({ db: database.db, planEmails: planOneEmailPerIntent });
  const auth = async (who: CallerName | Claims) => `Bearer ${await signToken(config.jwt, typeof who === 'string' ? callers[who] : who)}`;
  return {
    app, deps, config, database, env, smtp, auth,
    async get(url, who) {
      const req = request(app).get(url);
      return who ? req.set('Authorization', await auth(who)) : req;
    },
    async post(url, who, body = {}, headers = {}) {
      return request(app).post(url).set('Authorization', await auth(who)).set(headers).send(body as object);
    },
    record: (step) => persistence.recordStep(step),
    stopWorker: () => stopWorker(),
    startWorker,
    async close() {
      await stopWorker();
      mailer.close();
      await Promise.all([env.teardown(), database.close(), smtp.close()]);
    },
  };
}

/** Problem+json with the given status and type suffix. */
export function expectProblem(res: request.Response, status: number, kind: string): void {
  expect({ status: res.status, contentType: res.headers['content-type'] }).toEqual({ status, contentType: expect.stringContaining('application/problem+json') });
  expect(res.body).toMatchObject({ status, type: `https://projektkontoret.stockholm.se/problems/${kind}`, title: expect.any(String), detail: expect.any(String) });
}
