// Faults a running office will meet, each on the whole system with cases under way: the worker killed,
// the workflow engine restarted, the database's connections cut, the mail server gone for minutes.
// After each, the invariants hold (invariants.ts) and the cases go on to completed.
//
// The worker is killed while steps without emails are being recorded. A kill between the SMTP server's
// acceptance of a message and the outbox row's 'sent' mark is the one window the design leaves open
// (activities/notifications.ts): that row is sent again after ten minutes, with the same Message-ID. This
// file runs in a few minutes, so it keeps its kill out of that window instead of waiting for it.
import { stockholmDate } from '../../workflows/calendar';
import { type ApiClient, decideStep, eventually, finish, isOpen, reportStep, run, SHORT_RULES, sleep, stepsToDecision } from './client';
import { checkInvariants, mailSettled } from './invariants';
import { explained, startSystem, type System } from './system';

let system: System;
/** On PGlite runs, a second system on PostgreSQL for the test that cuts database connections. */
let postgres: System | undefined;
const meetings = new Map<System, string>();
/** How long each fault took to recover from, printed at the end. */
const figures: Record<string, string> = {};

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

async function prepare(s: System): Promise<System> {
  await s.api.postRuleSet(SHORT_RULES);
  meetings.set(s, await s.api.createMeeting(stockholmDate(Date.now())));
  return s;
}

async function newCases(api: ApiClient, n: number): Promise<string[]> {
  return Promise.all(Array.from({ length: n }, async () => (await api.createCase()).id));
}

const toDecision = (s: System, id: string) => stepsToDecision(id, meetings.get(s) as string);

beforeAll(async () => {
  system = await prepare(await startSystem('faults'));
}, 180_000);

afterAll(async () => {
  console.info(`Recovery figures (${system?.database ?? 'not started'}):\n${Object.entries(figures).map(([k, v]) => `  ${k}: ${v}`).join('\n')}`);
  const closed = await Promise.allSettled([system?.close(), postgres?.close()]);
  const failures = closed.filter((c): c is PromiseRejectedResult => c.status === 'rejected');
  if (failures.length > 0) throw new Error(failures.map((f) => String(f.reason)).join('\n'));
}, 180_000);

test('the worker killed (SIGKILL) while steps are being recorded and reminders fall due, then started again', () => explained(system, async () => {
  const { api } = system;
  const executing = await newCases(api, 2);
  const preparing = await newCases(api, 3);
  await Promise.all([
    ...executing.map((id) => run(api, id, [...toDecision(system, id), decideStep])),
    ...preparing.map((id) => run(api, id, toDecision(system, id).slice(0, 2))),
  ]);
  // The executing cases' first reminders fall due within 10 s of now: while the worker is away.
  const remindersDueBy = Date.now() + 10_000;
  await mailSettled(system);

  // assign and record-valuation for three cases at once; killed as soon as the first of them is recorded.
  const burst = Promise.all(preparing.flatMap((id) => toDecision(system, id).slice(2, 4).map((s) => api.act(id, s.action, s.who, s.body, s.applied))));
  const recordedAtKill = await eventually('a first step of the burst to be recorded', async () => {
    const views = await Promise.all(preparing.map((id) => api.view(id)));
    const recorded = views.filter((v) => v?.assignment).length + views.filter((v) => v?.valuation).length;
    return recorded > 0 ? recorded : undefined;
  }, 30_000, { intervalMs: 20 });
  const unknownBefore = api.unknownOutcomes.length;
  await system.killWorker();
  const killedAt = Date.now();
  await sleep(Math.max(3_000, remindersDueBy + 1_000 - Date.now()));
  const restartAt = Date.now();
  await system.startWorker();
  figures['worker: steps of the burst recorded when killed'] = `at least ${recordedAtKill} of 6`;
  figures['worker: start after SIGKILL'] = seconds(Date.now() - restartAt);
  await burst;
  figures['worker: kill until every step of the burst answered'] = seconds(Date.now() - killedAt);
  figures['worker: answers with unknown outcome, retried'] = String(api.unknownOutcomes.length - unknownBefore);
  await Promise.all(executing.map((id) => api.waitFor(id, 'report S1 open (its reminder fired)', (v) => isOpen(v, 'S1'))));
  figures['worker: kill until reminders due meanwhile recorded'] = seconds(Date.now() - killedAt);

  await Promise.all([
    ...executing.map(async (id) => { await run(api, id, [reportStep('S1')]); await finish(api, id); }),
    ...preparing.map(async (id) => { await run(api, id, [...toDecision(system, id).slice(4), decideStep]); await finish(api, id); }),
  ]);
  await checkInvariants(system, { caseIds: [...executing, ...preparing], stage: 'completed' });
}), 240_000);

test('the Temporal dev server restarted on its SQLite file while cases wait on report timers; the timers still fire', () => explained(system, async () => {
  const { api } = system;
  const waiting = await newCases(api, 2);
  const [deciding] = await newCases(api, 1);
  await Promise.all([
    ...waiting.map((id) => run(api, id, [...toDecision(system, id), decideStep])),
    run(api, deciding, toDecision(system, deciding)),
  ]);
  // The first reports' reminders are timers 10 s away.
  await system.stopTemporal();
  const stoppedAt = Date.now();
  const down = await eventually('readiness to see the engine gone (checks are cached briefly)', async () => {
    const answer = await api.get('/readyz');
    return answer.status === 503 ? answer : undefined;
  }, 10_000);
  expect(down.body.checks).toEqual([{ name: 'database', up: true }, { name: 'temporal', up: false }]);
  // A decision arrives while the engine is away; the client retries it with the same Idempotency-Key.
  const unknownBefore = api.unknownOutcomes.length;
  const decision = run(api, deciding, [decideStep]);
  await sleep(5_000);
  const restartAt = Date.now();
  await system.startTemporal();
  figures['temporal: dev server start'] = seconds(Date.now() - restartAt);
  await eventually('the API to be ready again', async () => ((await api.get('/readyz')).status === 200 ? true : undefined), 60_000);
  figures['temporal: restart until ready'] = seconds(Date.now() - restartAt);
  await decision;
  figures['temporal: restart until the decision sent meanwhile answered'] = seconds(Date.now() - restartAt);
  figures['temporal: answers with unknown outcome, retried'] = String(api.unknownOutcomes.length - unknownBefore);
  await Promise.all(waiting.map((id) => api.waitFor(id, 'report S1 open (its reminder fired)', (v) => isOpen(v, 'S1'))));
  figures['temporal: stop until the reminders recorded'] = seconds(Date.now() - stoppedAt);

  await Promise.all([
    ...waiting.map(async (id) => { await run(api, id, [reportStep('S1')]); await finish(api, id); }),
    finish(api, deciding),
  ]);
  await checkInvariants(system, { caseIds: [...waiting, deciding], stage: 'completed' });
}), 240_000);

test('the mail server away for longer than the email activity retries (6 attempts over about a minute)', () => explained(system, async () => {
  const { api, smtp } = system;
  await smtp.stop();
  const stoppedAt = Date.now();

  // Mail never holds a case: both run to completed with the server away.
  const ids = await newCases(api, 2);
  await Promise.all(ids.map(async (id) => { await run(api, id, [...toDecision(system, id), decideStep]); await finish(api, id); }));
  const waitingMail = await api.get('/dashboard', 'officer');
  expect(waitingMail.body.emails).toMatchObject({ pending: expect.any(Number), failed: 0 });
  expect(waitingMail.body.emails.pending).toBeGreaterThan(0);
  // Mail away is no reason to take the API out of service; readiness reports the queue to an officer.
  const ready = await eventually('readiness to report the queue', async () => {
    const answer = await api.get('/readyz', 'officer');
    return answer.status === 200 && answer.body.mail?.queued > 0 ? answer : undefined;
  }, 10_000);
  expect(ready.body.mail).toMatchObject({ oldestQueuedAt: expect.any(String), oldestQueuedSeconds: expect.any(Number) });

  // The activity retries after 2, 4, 8, 16 and 32 s and then leaves the rows to the outbox sweeper.
  await sleep(Math.max(0, stoppedAt + 70_000 - Date.now()));
  const restartAt = Date.now();
  await smtp.start();
  figures['smtp: outage'] = seconds(restartAt - stoppedAt);
  await mailSettled(system);
  figures['smtp: restart until every waiting email delivered'] = seconds(Date.now() - restartAt);
  await checkInvariants(system, { caseIds: ids, stage: 'completed' });
}), 240_000);

test('PostgreSQL connections cut again and again (pg_terminate_backend) while actions arrive', async () => {
  const target = system.database === 'postgres' ? system : (postgres = await prepare(await startSystem('faults-pg', { database: 'postgres' })));
  await explained(target, async () => {
    const { api } = target;
    const ids = await newCases(api, 5);
    const unknownBefore = api.unknownOutcomes.length;
    let burstRunning = true;
    const burst = Promise.all(ids.map((id) => run(api, id, [...toDecision(target, id), decideStep]))).finally(() => { burstRunning = false; });
    // Five rounds 0.7 s apart, most of them while the burst's 45 steps arrive.
    const cutsDuringBurst: number[] = [];
    for (let round = 0; round < 5; round++) {
      await sleep(700);
      const cut = await target.terminateDatabaseConnections();
      if (burstRunning) cutsDuringBurst.push(cut);
    }
    const lastCutAt = Date.now();
    await burst;
    figures['postgres: connections cut per round during the burst'] = cutsDuringBurst.join(', ');
    figures['postgres: answers with unknown outcome, retried'] = String(api.unknownOutcomes.length - unknownBefore);
    figures['postgres: last cut until the burst answered'] = seconds(Date.now() - lastCutAt);
    expect(cutsDuringBurst.filter((n) => n > 0).length).toBeGreaterThan(0);

    await Promise.all(ids.map((id) => finish(api, id)));
    await checkInvariants(target, { caseIds: ids, stage: 'completed' });
  });
}, 240_000);
