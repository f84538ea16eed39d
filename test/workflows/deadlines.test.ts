// Timeout paths on the time-skipping server: screening reminder, application and completion lapse,
// report reminder, overdue and escalation. Expectations count from the instant the server's clock shows.
import { Temporal } from '@js-temporal/polyfill';
import { application, createHarness, mailTo, people, report, type Harness } from './harness';

let h: Harness;
beforeAll(async () => { h = await createHarness('deadlines'); });
afterAll(() => h?.close());

const templates = async (c: { emails(): Promise<{ template: string; recipient: string }[]> }) =>
  (await c.emails()).map((e) => `${e.template}:${e.recipient}`);

test('an idea not screened in 14 days reminds the officers', async () => {
  const c = await h.start();
  await h.env.sleep('15 days');
  await c.until((v) => v.seq >= 2);
  expect((await c.audit()).map((a) => a.action)).toEqual(['case-started', 'screening-overdue']);
  expect(await templates(c)).toContain('screening-overdue:projektkontoret@stockholm.se');
  expect((await c.view()).stage).toBe('idea');
});

test('no application in 90 days: a reminder at 60, then the case lapses', async () => {
  const c = await h.start();
  await c.act('screen-idea', people.officer, { outcome: 'approve' });
  await h.env.sleep('61 days');
  await c.until((v) => v.seq >= 3);
  expect((await c.view()).stage).toBe('application');
  await h.env.sleep('30 days');
  const v = await c.finished();
  expect(v.stage).toBe('lapsed');
  expect((await c.audit()).map((a) => a.action)).toEqual(['case-started', 'screen-idea', 'reminder', 'lapsed']);
  expect(await templates(c)).toEqual(expect.arrayContaining(['reminder:anna@utbildning.example', 'status-changed:anna@utbildning.example']));
});

test('the application deadline acts at the end of the 90th Stockholm day, the day every email and view states', async () => {
  const c = await h.start();
  const approvedAt = await h.env.currentTimeMs();
  let v = await c.act('screen-idea', people.officer, { outcome: 'approve' });
  const today = Temporal.Instant.fromEpochMilliseconds(approvedAt).toZonedDateTimeISO('Europe/Stockholm').toPlainDate();
  const lastDay = today.add({ days: 90 });
  const endsAt = lastDay.add({ days: 1 }).toZonedDateTime({ timeZone: 'Europe/Stockholm' }).epochMilliseconds;
  expect(v.deadlines).toEqual([{ what: 'application', from: 'applicant', by: new Date(endsAt).toISOString(), dueDate: lastDay.toString() }]);
  expect(v.applicantStatus.text.sv).toBe(`Idén är godkänd – ansökan ska lämnas senast ${lastDay}`);

  // The reminder at 60 days states the last day, not the midnight after it.
  await h.env.sleep(today.add({ days: 61 }).toZonedDateTime({ timeZone: 'Europe/Stockholm' }).epochMilliseconds - (await h.env.currentTimeMs()));
  await c.until((x) => x.seq >= 3);
  const spelled = new Intl.DateTimeFormat('sv-SE', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' })
    .format(Date.UTC(lastDay.year, lastDay.month - 1, lastDay.day));
  const [reminder] = await mailTo(h, 'anna@utbildning.example', c.id, 'Påminnelse');
  expect(reminder.subject).toContain(`senast ${spelled}`);
  expect(reminder.text).toContain(`ska lämnas senast ${spelled}.`);

  // Still open a minute before the deadline; lapsed a minute after.
  await h.env.sleep(endsAt - 60_000 - (await h.env.currentTimeMs()));
  v = await c.view();
  expect(v.stage).toBe('application');
  await h.env.sleep(2 * 60_000);
  expect((await c.finished()).stage).toBe('lapsed');
});

test('a completion request unanswered by its deadline: reminder, then lapse', async () => {
  const c = await h.start();
  await c.act('screen-idea', people.officer, { outcome: 'approve' });
  await c.act('submit-application', people.applicant, application());
  await c.act('request-completion', people.preparer, { missing: ['Säkerhetsanalys'] });
  await h.env.sleep('17 days');
  await c.until((v) => v.seq >= 5);
  expect((await c.audit()).map((a) => a.action).at(-1)).toBe('reminder');
  await h.env.sleep('5 days');
  const v = await c.finished();
  expect(v.stage).toBe('lapsed');
  expect((await c.audit()).map((a) => a.action).slice(-2)).toEqual(['reminder', 'lapsed']);
  expect(v.applicantStatus.code).toBe('lapsed');
});

test('an unfiled report: reminder 5 days before, overdue at the due date, escalated 10 days after', async () => {
  const c = await h.start();
  await c.toDecision(application());
  const projectStart = await h.today();
  await c.act('decide', people.director, { outcome: 'approve', grantedAmount: 2_000_000, projectStart, motivation: 'Beviljas' });
  const s1 = (await c.view()).reports.find((r) => r.id === 'S1')!;
  expect(s1.status).toBe('scheduled');
  const dueAt = Date.parse(s1.dueAt);

  await h.env.sleep(dueAt - 4 * 86_400_000 - (await h.env.currentTimeMs()));
  const reminded = await c.until((v) => v.reports.find((r) => r.id === 'S1')?.status === 'due');
  // The status names the open report due first: S1, or a tertial report whose period the start date made end sooner.
  const firstDue = reminded.reports.filter((r) => r.status === 'due').map((r) => r.dueDate).sort()[0];
  expect(firstDue <= s1.dueDate).toBe(true);
  expect(reminded.applicantStatus.text.sv).toBe(`Rapport ska lämnas senast ${firstDue}`);
  await h.env.sleep(5 * 86_400_000);
  await c.until((v) => v.reports.find((r) => r.id === 'S1')?.status === 'overdue');
  await h.env.sleep(10 * 86_400_000);
  await c.until((v) => v.reports.find((r) => r.id === 'S1')?.status === 'escalated');

  expect(await templates(c)).toEqual(expect.arrayContaining([
    'reminder:anna@utbildning.example', 'overdue:anna@utbildning.example', 'report-escalated:projektkontoret@stockholm.se',
  ]));
  // A late report is still received, and stops the escalation.
  const v = await c.act('submit-report', people.applicant, report('S1'));
  expect(v.reports.find((r) => r.id === 'S1')).toMatchObject({ status: 'received' });
});
