// Steps recorded and their emails delivered through a real SMTP server, as the worker does it: recordStep
// writes the outbox rows and notifies; the outbox relay sends them (and the deliverEmails activity, which
// cases recorded before the relay still schedule).
import { ApplicationFailure } from '@temporalio/common';
import { asc, eq, sql } from 'drizzle-orm';
import pino from 'pino';
import { createActivities } from '../../activities';
import { createOutboxRelay, type OutboxRelay } from '../../activities/outboxRelay';
import { loadConfig } from '../../config';
import { outboxHealth } from '../../db/outbox';
import { outbox } from '../../db/schema';
import { seedReferenceData } from '../../db/seed';
import { createMailer, type Mailer } from '../../platform/mailer';
import type { CaseActivities } from '../../activities/contract';
import type { StepRecord } from '../../workflows/types';
import { freshDatabase, type TestDatabase } from '../support/db';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp';
import { actors, CaseStory } from '../support/steps';

const OFFICE = 'projektkontoret@stockholm.se';
const LINK_BASE = 'https://projekt.stockholm.se/arenden/';
const silent = pino({ level: 'silent' });

let database: TestDatabase;
let smtp: TestSmtpServer;
let mail: ReturnType<typeof loadConfig>['mail'];
let mailer: Mailer;
let activities: CaseActivities;

beforeAll(async () => {
  [database, smtp] = await Promise.all([freshDatabase(), startSmtpServer({ refuse: /^refused\./ })]);
  await seedReferenceData(database.db);
  mail = loadConfig({ SMTP_URL: smtp.url, OFFICE_EMAIL: OFFICE, CASE_LINK_BASE: LINK_BASE }).mail;
  mailer = createMailer(mail, { logger: silent });
  activities = createActivities({ db: database.db, mailer, mail });
});

afterAll(async () => {
  mailer.close();
  await Promise.all([smtp.close(), database.close()]);
});

/** A relay that sweeps only hourly: what it sends in a test, a notification or its retry made it send. */
const relay = (): OutboxRelay => createOutboxRelay({
  db: database.db, mailer, mail, database, sweepEveryMs: 3_600_000, retry: { initialMs: 20, maxMs: 200 }, logger: silent,
});

async function recordAndDeliver(step: StepRecord) {
  await activities.recordStep(step);
  return activities.deliverEmails(step.caseId, step.seq);
}

const receivedFor = (caseId: string) => smtp.received.filter((m) => m.subject.startsWith(`[${caseId}]`));
const rowsOf = (caseId: string) => database.db.select().from(outbox).where(eq(outbox.caseId, caseId)).orderBy(asc(outbox.seq), asc(outbox.id));
/** A case's messages in the order of its outbox rows: a step's emails are sent side by side and arrive in any order. */
async function receivedInOrder(caseId: string) {
  const order = new Map((await rowsOf(caseId)).map((r, i) => [r.messageId, i]));
  return receivedFor(caseId).sort((a, b) => (order.get(a.messageId) ?? Infinity) - (order.get(b.messageId) ?? Infinity));
}

it('a case sends each party its emails: who, subject, language, both parts; none for internal moves', async () => {
  const story = new CaseStory('PK-2026-0201');
  const steps = [
    ...story.toExecution(),
    story.step('reminder', { notifications: [{ template: 'reminder', to: 'applicant', data: { what: 'report', reportId: 'r1', dueDate: '2026-07-13' } }] }),
    story.reportOverdue('r1'),
    story.step('report-escalated', { notifications: [{ template: 'report-escalated', to: 'officers', data: { reportId: 'r1', dueDate: '2026-07-13' } }] }),
    story.step('submit-report', {
      actor: actors.applicant,
      notifications: [
        { template: 'receipt', to: 'applicant', data: { what: 'report', reportId: 'r1' } },
        { template: 'deviation', to: 'officers', data: { reportId: 'r1', reasons: ['time: forecast end 2027-12-31 slips more than P8W past 2027-05-31'] } },
      ],
    }),
    story.step('request-change', { actor: actors.applicant, notifications: [{ template: 'case-arrived', to: 'decider:stadsdirektor', data: { step: 'change-decision' } }] }),
  ];
  for (const step of steps) await recordAndDeliver(step);
  const english = new CaseStory('PK-2026-0202', { language: 'en' });
  await recordAndDeliver(english.started());

  const t = '[PK-2026-0201] Digital ansökan till förskola –';
  expect((await receivedInOrder('PK-2026-0201')).map((m) => ({ to: m.to, subject: m.subject, language: m.language, parts: [!!m.text, !!m.html] }))).toEqual([
    { to: [actors.applicant.email], subject: `${t} Mottagen: idéskiss`, language: 'sv', parts: [true, true] },
    { to: [OFFICE], subject: `${t} Väntar på er: granskning av idéskissen`, language: 'sv', parts: [true, true] },
    { to: [actors.applicant.email], subject: `${t} Under handläggning`, language: 'sv', parts: [true, true] },
    { to: [actors.applicant.email], subject: `${t} Mottagen: ansökan`, language: 'sv', parts: [true, true] },
    { to: ['beredning@stockholm.se'], subject: `${t} Väntar på er: beredning`, language: 'sv', parts: [true, true] },
    // recommend, schedule-council, council-opinion and budget-check are internal: nothing to the applicant.
    { to: [actors.applicant.email], subject: `${t} Beviljad`, language: 'sv', parts: [true, true] },
    { to: [actors.applicant.email], subject: `${t} Påminnelse: sexveckorsrapport senast 13 juli 2026`, language: 'sv', parts: [true, true] },
    { to: [actors.applicant.email], subject: `${t} Försenad sexveckorsrapport`, language: 'sv', parts: [true, true] },
    { to: [OFFICE], subject: `${t} Eskalering: försenad sexveckorsrapport`, language: 'sv', parts: [true, true] },
    { to: [actors.applicant.email], subject: `${t} Mottagen: sexveckorsrapport`, language: 'sv', parts: [true, true] },
    { to: [OFFICE], subject: `${t} Avvikelse i sexveckorsrapport`, language: 'sv', parts: [true, true] },
    { to: ['beslut+stadsdirektor@stockholm.se'], subject: `${t} Väntar på er: beslut om ändringsbegäran`, language: 'sv', parts: [true, true] },
  ]);
  expect((await receivedInOrder('PK-2026-0202')).map((m) => [m.to, m.subject, m.language])).toEqual([
    [[actors.applicant.email], '[PK-2026-0202] Digital ansökan till förskola – Received: idea sketch', 'en'],
    [[OFFICE], '[PK-2026-0202] Digital ansökan till förskola – Väntar på er: granskning av idéskissen', 'sv'],
  ]);
  const escalation = (await receivedInOrder('PK-2026-0201'))[8];
  expect(escalation.text).toContain('Sista dag: 13 juli 2026');
  expect(escalation.html).toContain(`<a href="${LINK_BASE}PK-2026-0201">`);
  expect((await rowsOf('PK-2026-0201')).every((r) => r.status === 'sent' && r.attempts === 1)).toBe(true);
});

it('delivers each email once when the step is delivered twice, and twice at the same time', async () => {
  const story = new CaseStory('PK-2026-0203');
  const step = story.started();
  await activities.recordStep(step);

  const [a, b] = await Promise.all([activities.deliverEmails(step.caseId, step.seq), activities.deliverEmails(step.caseId, step.seq)]);
  const again = await activities.deliverEmails(step.caseId, step.seq);

  expect(receivedFor('PK-2026-0203').map((m) => m.to[0]).sort()).toEqual([actors.applicant.email, OFFICE].sort());
  expect(again).toEqual({ sent: 2, failed: 0, pending: 0 });
  // Each call reports the step as it stands; a call that found the other's row in flight counts it pending.
  for (const counts of [a, b]) expect(counts.sent + counts.pending).toBe(2);
  expect((await rowsOf('PK-2026-0203')).map((r) => [r.status, r.attempts])).toEqual([['sent', 1], ['sent', 1]]);
});

it('a step\'s emails leave when the step commits: the relay is woken by the notification alone', async () => {
  const listening = relay();
  await listening.start();
  try {
    const story = new CaseStory('PK-2026-0207');
    await activities.recordStep(story.started());
    await until(async () => (await rowsOf('PK-2026-0207')).every((r) => r.status === 'sent'));
    expect(receivedFor('PK-2026-0207').map((m) => m.to[0]).sort()).toEqual([actors.applicant.email, OFFICE].sort());
  } finally {
    await listening.stop();
  }
});

it('while the mail server is down the rows wait; the relay tries again with backoff and sends each once when it is back', async () => {
  const story = new CaseStory('PK-2026-0204');
  const step = story.started();
  await activities.recordStep(step);

  await smtp.stop();
  const failure = await activities.deliverEmails(step.caseId, step.seq).catch((e: unknown) => e);
  expect(failure).toBeInstanceOf(ApplicationFailure);
  expect(failure).toMatchObject({ type: 'MailDeferred', nonRetryable: false });
  const waiting = await rowsOf('PK-2026-0204');
  expect(waiting.map((r) => [r.status, r.attempts])).toEqual([['pending', 1], ['pending', 1]]);
  expect(waiting[0].lastError).toMatch(/ESOCKET|ECONNECTION|ECONNREFUSED/);
  // A pass while the server is still down tries one batch (both rows at once) and leaves them for later.
  expect(await relay().deliver()).toEqual({ sent: 0, failed: 0, pending: 2 });
  expect((await rowsOf('PK-2026-0204')).map((r) => r.attempts)).toEqual([2, 2]);

  // Started while the server is down, the relay tries again by itself: no step and no sweep wakes it.
  const retrying = relay();
  await retrying.start();
  await until(async () => (await rowsOf('PK-2026-0204')).some((r) => r.attempts >= 3));
  await smtp.start();
  await until(async () => (await rowsOf('PK-2026-0204')).every((r) => r.status === 'sent'));
  await retrying.stop();
  // The activity's own retry afterwards finds nothing left to send.
  await expect(activities.deliverEmails(step.caseId, step.seq)).resolves.toEqual({ sent: 2, failed: 0, pending: 0 });

  expect(receivedFor('PK-2026-0204').map((m) => m.to[0]).sort()).toEqual([actors.applicant.email, OFFICE].sort());
  expect((await rowsOf('PK-2026-0204')).every((r) => r.lastError === null && r.sentAt !== null)).toBe(true);
});

it('a refused address is marked failed with the reason, the office is told once, and the case goes on', async () => {
  const story = new CaseStory('PK-2026-0205');
  story.view = { ...story.view, idea: { ...story.view.idea, contact: { name: 'Anna Berg', email: 'refused.anna@utbildning.example' } } };
  const started = story.started();

  await expect(recordAndDeliver(started)).resolves.toEqual({ sent: 2, failed: 1, pending: 0 });
  await expect(activities.deliverEmails(started.caseId, started.seq)).resolves.toEqual({ sent: 2, failed: 1, pending: 0 });

  const rows = await rowsOf('PK-2026-0205');
  const receipt = rows.find((r) => r.template === 'receipt');
  expect(receipt).toMatchObject({ status: 'failed', attempts: 1, recipient: 'refused.anna@utbildning.example' });
  expect(receipt?.lastError).toContain('550');
  expect(receipt?.lastError).not.toContain('refused.anna');
  expect(rows.find((r) => r.template === 'delivery-failed')).toMatchObject({ status: 'sent', recipient: OFFICE, seq: started.seq });

  const alerts = smtp.to(OFFICE).filter((m) => m.subject === '[PK-2026-0205] Digital ansökan till förskola – E-post kunde inte levereras');
  expect(alerts).toHaveLength(1);
  expect(alerts[0].text).toMatch(/- mottagningsbekräftelse \(refused\.anna@utbildning\.example\): .*550/);
  expect(smtp.to('refused.anna@utbildning.example')).toEqual([]);

  // The case goes on: the next steps are recorded and their other emails delivered.
  await recordAndDeliver(story.screen('approve'));
  await expect(recordAndDeliver(story.submitApplication())).resolves.toEqual({ sent: 2, failed: 1, pending: 0 });
  expect(receivedFor('PK-2026-0205').filter((m) => m.to[0] === 'beredning@stockholm.se')).toHaveLength(1);
  expect(smtp.to(OFFICE).filter((m) => m.subject.endsWith('E-post kunde inte levereras') && m.subject.startsWith('[PK-2026-0205]'))).toHaveLength(3);

  const health = await outboxHealth(database.db);
  expect(health.latestFailures.filter((f) => f.caseId === 'PK-2026-0205').map((f) => [f.seq, f.template])).toEqual([[3, 'receipt'], [2, 'status-changed'], [1, 'receipt']]);
  expect(health.counts.failed).toBeGreaterThanOrEqual(3);
  expect(JSON.stringify(health)).not.toContain('@');
});

it('the relay leaves rows in flight alone, and resends a row a dead process left sending', async () => {
  const story = new CaseStory('PK-2026-0206');
  const step = story.started();
  await activities.recordStep(step);
  const [receipt, officers] = await rowsOf('PK-2026-0206');

  // The receipt was claimed an hour ago by a process that died; the officers' email is being sent right now.
  await database.db.update(outbox).set({ status: 'sending', attempts: 1, sentAt: sql`now() - interval '1 hour'` }).where(eq(outbox.id, receipt.id));
  await database.db.update(outbox).set({ status: 'sending', attempts: 1, sentAt: sql`now()` }).where(eq(outbox.id, officers.id));
  expect(await relay().deliver()).toEqual({ sent: 1, failed: 0, pending: 0 });

  const after = await rowsOf('PK-2026-0206');
  expect(after.map((r) => [r.template, r.status, r.attempts])).toEqual([['receipt', 'sent', 2], ['case-arrived', 'sending', 1]]);
  expect(receivedFor('PK-2026-0206').map((m) => m.to)).toEqual([[actors.applicant.email]]);
  // deliverEmails does not touch the row in flight either, and reports it as pending.
  await expect(activities.deliverEmails(step.caseId, step.seq)).resolves.toEqual({ sent: 1, failed: 0, pending: 1 });
});

it('one pass sends a backlog of many steps\' emails, each once, the ones tried least first', async () => {
  const ids = Array.from({ length: 30 }, (_, i) => `PK-2026-03${String(i).padStart(2, '0')}`);
  for (const id of ids) await activities.recordStep(new CaseStory(id).started());
  // One row has failed before: it goes after the rows never tried.
  const [tried] = await rowsOf(ids[0]);
  await database.db.update(outbox).set({ attempts: 3 }).where(eq(outbox.id, tried.id));

  expect(await relay().deliver()).toEqual({ sent: 60, failed: 0, pending: 0 });
  const sent = smtp.received.filter((m) => ids.some((id) => m.subject.startsWith(`[${id}]`)));
  expect(sent).toHaveLength(60);
  expect(new Set(sent.map((m) => m.messageId)).size).toBe(60);
  // Sent in batches side by side: it is in the last one.
  expect(sent.slice(-5).map((m) => m.messageId)).toContain(tried.messageId);
  expect(sent.slice(0, -5).map((m) => m.messageId)).not.toContain(tried.messageId);
});

async function until(condition: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (await condition()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('condition never became true');
}
