// Every outgoing call has a deadline, and a request that runs out is a 503 to retry with the same
// Idempotency-Key: a database that accepts connections and never answers, PostgreSQL cancelling a statement
// past its timeout, an engine with no worker polling the case's task queue. A retry gets the step's own
// outcome, taken once. An Idempotency-Key claim is a lease: a process that died holding one (nothing renews
// it) is taken over once it lapses, and until then a retry is told when to come back.
import net from 'node:net';
import type { Request } from 'express';
import { eq, sql } from 'drizzle-orm';
import request from 'supertest';
import { createApp } from '../../api/app';
import { requestHash, retryId } from '../../api/idempotency';
import { databaseUnreachable, openDatabase } from '../../db/client';
import { claimIdempotencyKey } from '../../db/idempotencyKeys';
import { auditEvents } from '../../db/schema';
import { actionUpdates } from '../../workflows/messages';
import { MACHINE_POSTGRES } from '../e2e/system';
import { apiHarness, callers, expectProblem, type ApiHarness } from './support';

let h: ApiHarness;
beforeAll(async () => {
  // Real time: the engine must hand the update on to a worker that starts after the first attempt ran out.
  h = await apiHarness({ worker: true, realTime: true, env: { TEMPORAL_CALL_TIMEOUT_SECONDS: '2', IDEMPOTENCY_LEASE_SECONDS: '2' } });
});
afterAll(() => h?.close());

const idea = {
  title: 'Digital skolval', need: 'Skolvalet görs på papper', idea: 'En e-tjänst för skolval', expectedBenefits: 'Kortare handläggning',
  roughCost: 2_000_000, contact: { name: 'Anna Andersson', email: 'anna@utbildning.example' }, language: 'sv',
};
const screening = { outcome: 'approve' as const, coach: 'Carl Coach' };

async function submitIdea(): Promise<string> {
  const res = await h.post('/api/v1/cases', 'applicant', idea);
  expect(res.status).toBe(201);
  return res.body.id as string;
}

const screenings = async (id: string) => (await h.database.db.select().from(auditEvents).where(eq(auditEvents.caseId, id)))
  .filter((e) => e.action === 'screen-idea');

function expectRetryAfter(res: request.Response): void {
  expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
}

/** What a client does: sends again with the same key after Retry-After, while told to (a 409 in progress, a 503). */
async function retried(url: string, body: object, key: string, first: request.Response): Promise<request.Response> {
  let answer = first;
  for (let attempt = 0; attempt < 10 && answer.headers['retry-after'] !== undefined; attempt++) {
    await new Promise((resolve) => setTimeout(resolve, Number(answer.headers['retry-after']) * 1000));
    answer = await h.post(url, 'officer', body, { 'Idempotency-Key': key });
  }
  return answer;
}

test('a database that accepts connections and never answers is a 503 with Retry-After, for reads and keyed POSTs', async () => {
  const hung = net.createServer(() => undefined);
  await new Promise<void>((resolve) => hung.listen(0, '127.0.0.1', resolve));
  const { port } = hung.address() as net.AddressInfo;
  const database = openDatabase({ url: `postgres://nobody@127.0.0.1:${port}/none` }, {
    timeouts: { connectTimeoutMs: 500, statementTimeoutMs: 500, idleInTransactionTimeoutMs: 500 },
  });
  try {
    const app = createApp({ ...h.deps, db: database.db });
    const auth = await h.auth('officer');
    const read = await request(app).get('/api/v1/cases').set('Authorization', auth);
    expectProblem(read, 503, 'database-unavailable');
    expectRetryAfter(read);
    const post = await request(app).post('/api/v1/cases').set('Authorization', auth).set('Idempotency-Key', 'hung-db').send({ ...idea, organisation: 'utbildning' });
    expectProblem(post, 503, 'database-unavailable');
    expectRetryAfter(post);
  } finally {
    await database.close().catch(() => undefined);
    hung.close();
  }
});

test('PostgreSQL cancels a statement past the configured timeout, and the error reads as the database not answering', async () => {
  const database = openDatabase({ url: process.env.DATABASE_URL ?? MACHINE_POSTGRES }, {
    poolSize: 1, timeouts: { connectTimeoutMs: 5_000, statementTimeoutMs: 300, idleInTransactionTimeoutMs: 5_000 },
  });
  try {
    const err = await database.db.execute(sql`select pg_sleep(5)`).then(() => undefined, (e: unknown) => e);
    expect(databaseUnreachable(err)).toBe(true);
    // The connection is fine afterwards: only the statement was cancelled.
    expect(await database.db.execute(sql`select 1 as one`)).toMatchObject({ rows: [{ one: 1 }] });
  } finally {
    await database.close();
  }
});

test('an action to an engine no worker answers is a 503 with Retry-After; once a worker runs, the retry gets the step, taken once', async () => {
  const id = await submitIdea();
  const url = `/api/v1/cases/${id}/actions/screen-idea`;
  await h.stopWorker();
  let first: request.Response;
  try {
    first = await h.post(url, 'officer', screening, { 'Idempotency-Key': 'silent-engine' });
    expectProblem(first, 503, 'engine-unavailable');
    expectRetryAfter(first);
  } finally {
    await h.startWorker();
  }
  const answer = await retried(url, screening, 'silent-engine', first);
  expect(answer.status).toBe(200);
  expect(answer.body).toMatchObject({ id, stage: 'application' });
  expect(await screenings(id)).toHaveLength(1);
  // The answer is now stored: a further retry replays it.
  const replayed = await h.post(url, 'officer', screening, { 'Idempotency-Key': 'silent-engine' });
  expect(replayed.headers['idempotent-replayed']).toBe('true');
  expect(replayed.body).toEqual(answer.body);
});

test("a claim left by a process that died is taken over once its lease lapses; meanwhile a retry gets 409 with Retry-After", async () => {
  const id = await submitIdea();
  const key = 'died-holding-it';
  const url = `/api/v1/cases/${id}/actions/screen-idea`;
  // What the process left: its claim, never renewed, and the update it sent, which the engine took.
  const asSent = { method: 'POST', originalUrl: url, body: screening, get: (name: string) => (name === 'Idempotency-Key' ? key : undefined) } as unknown as Request;
  const officer = callers.officer.sub;
  expect((await claimIdempotencyKey(h.database.db, officer, key, requestHash(asSent), 2_000)).holder).toEqual(expect.any(String));
  const taken = await h.env.client.workflow.getHandle(id).executeUpdate(actionUpdates['screen-idea'], {
    args: [{ actor: { id: officer, name: callers.officer.name, roles: callers.officer.roles }, input: screening }],
    updateId: retryId(asSent, officer),
  });

  const meanwhile = await h.post(url, 'officer', screening, { 'Idempotency-Key': key });
  expectProblem(meanwhile, 409, 'in-progress');
  expectRetryAfter(meanwhile);

  const answer = await retried(url, screening, key, meanwhile);
  expect(answer.status).toBe(200);
  expect(answer.body).toMatchObject({ id, seq: taken.seq, stage: 'application' });
  expect(await screenings(id)).toHaveLength(1);
});
