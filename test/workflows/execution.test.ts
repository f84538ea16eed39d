// Execution: reports filed from the first day of their period, deviations, change requests (budget check,
// delegation, at the planned end), reporting in proportion to the grant after a change, termination, the
// money reserved against the frames, and a project finished early. Dates come from the test server's clock.
import { Temporal } from '@js-temporal/polyfill';
import { eq } from 'drizzle-orm';
import { frameReservations } from '../../db/schema';
import { addDays } from '../../workflows/calendar';
import type { CaseView } from '../../workflows/types';
import { REFUSALS } from '../../workflows/vocabulary';
import { application, createHarness, mailTo, NEXT_YEAR, people, report, type CaseDriver, type Harness } from './harness';

const REFUSAL = { stage: REFUSALS.stage.type, role: REFUSALS.role.type, invalid: REFUSALS.invalid.type, rule: REFUSALS.rule.type };
const DAY = 86_400_000;

let h: Harness;
beforeAll(async () => { h = await createHarness('execution'); });
afterAll(() => h?.close());

/** A case granted `amount`, its project starting today (on the server's clock) unless `start` says otherwise. */
async function granted(amount: number, over: Record<string, unknown> = {}, start?: string): Promise<CaseDriver> {
  const c = await h.start();
  await c.toDecision(application({ totalCost: amount, ...over }));
  const decider = amount > 15_000_000 ? people.committee : people.director;
  await c.act('decide', decider, { outcome: 'approve', grantedAmount: amount, projectStart: start ?? await h.today(), motivation: 'Beviljas' });
  return c;
}

async function sleepUntil(instant: number): Promise<void> {
  const now = await h.env.currentTimeMs();
  if (instant > now) await h.env.sleep(instant - now);
}

/** Sleeps past the report's reminder, so that it is asked for. */
async function remindedOf(c: CaseDriver, id: string): Promise<CaseView> {
  const r = (await c.view()).reports.find((x) => x.id === id)!;
  await sleepUntil(Date.parse(r.dueAt) - 5 * DAY + 2 * 3_600_000);
  return c.until((v) => v.reports.find((x) => x.id === id)?.status === 'due');
}

const reservedByYear = async (c: CaseDriver) => Object.fromEntries((await h.database.db.select().from(frameReservations).where(eq(frameReservations.caseId, c.id)))
  .map((r) => [String(r.year), r.amount]));

const finalReport = (over: Record<string, unknown> = {}) => ({
  outcome: 'Levererat', finalCost: 1_900_000, deliveredAgainstPlan: 'Allt', handoverConfirmed: true,
  supportArrangement: 'Servicedesk', followUpPlan: 'Statistik efter 12 månader', ...over,
});

test('a report may be filed from the first day of its period, before it is asked for; not before its period', async () => {
  const c = await granted(2_000_000);
  const v = await c.view();
  const s1 = v.reports.find((r) => r.id === 'S1')!;
  expect(s1).toMatchObject({ status: 'scheduled', periodStart: await h.today() });
  expect((await c.act('submit-report', people.applicant, report('S1'))).reports.find((r) => r.id === 'S1')).toMatchObject({ status: 'received' });
  const later = v.reports.find((r) => r.status === 'scheduled' && r.periodStart > (s1.periodEnd))!;
  const refused = await c.refusal('submit-report', people.applicant, report(later.id));
  expect(refused).toMatchObject({ type: REFUSAL.rule, details: [{ rule: 'report-not-open' }] });
  expect(refused.message).toContain(`opens on ${later.periodStart}`);
});

test('a change that raises the total passes the budget check first, is decided by the tier for the new total, and the applicant hears the outcome', async () => {
  const c = await granted(14_000_000, { plannedEnd: `${NEXT_YEAR + 1}-12-31` });
  await remindedOf(c, 'S1');
  let v = await c.act('submit-report', people.applicant, report('S1', { cost: 'red', forecastTotalCost: 16_000_000, forecastEndDate: `${NEXT_YEAR + 1}-12-31` }));
  expect(v.deviations).toEqual([expect.objectContaining({ reportId: 'S1', reasons: [expect.stringMatching(/^cost/)] })]);
  expect(v.applicantStatus.code).toBe('change-request-required');
  expect((await c.emails()).some((e) => e.template === 'deviation' && e.recipient === 'projektkontoret@stockholm.se')).toBe(true);

  v = await c.act('request-change', people.applicant, { reason: 'Integrationen blev dyrare', newTotalCost: 16_000_000 });
  expect(v.changeRequests[0]).toMatchObject({ id: 'C1', tier: 'ks-ekonomiutskott', status: 'open', budgetCheckRequired: true });
  expect((await c.emails()).filter((e) => e.seq === v.seq).map((e) => e.recipient)).toContain('budgetledningen@stockholm.se');
  expect((await c.refusal('request-change', people.officer, { reason: 'x', newEndDate: `${NEXT_YEAR + 2}-06-30` })).type).toBe(REFUSAL.stage);
  // The decision waits for the budget check of the change.
  expect(await c.refusal('decide-change', people.committee, { outcome: 'approve', motivation: 'ok' })).toMatchObject({ type: REFUSAL.stage, message: expect.stringContaining('budget check') });
  v = await c.act('budget-check', people.budget, { outcome: 'remarks', remarks: 'Finansieras inom ramen' });
  expect(v.changeRequests[0].budgetCheck).toMatchObject({ outcome: 'remarks', by: 'berit' });
  expect(v.budgetCheck).toMatchObject({ outcome: 'ok' });
  // The new total is above the city director's delegation.
  expect(await c.refusal('decide-change', people.director, { outcome: 'approve', motivation: 'ok' })).toMatchObject({ type: REFUSAL.role, details: [{ rule: 'delegation' }] });
  v = await c.act('decide-change', people.committee, { outcome: 'approve', motivation: 'Nyttan motiverar kostnaden' });
  expect(v).toMatchObject({ grantedAmount: 16_000_000, grantTier: 'ks-ekonomiutskott', applicantStatus: { code: 'change-approved' } });
  expect(v.deviations[0].resolvedBy).toBe('C1');
  const told = await mailTo(h, 'anna@utbildning.example', c.id, 'Ändringsbegäran beviljad');
  expect(told).toHaveLength(1);
  expect(told[0].text).toContain('Nyttan motiverar kostnaden');
  expect(told[0].text).toMatch(/Nytt totalbelopp: 16\s000\s000 kr/);
  // Termination now needs a tier that reaches the new grant.
  expect((await c.refusal('terminate', people.director, { motivation: 'x' })).type).toBe(REFUSAL.role);
});

test('a rejected change request tells the applicant so, with the motivation, and the project runs as decided', async () => {
  const c = await granted(2_000_000);
  await c.act('request-change', people.applicant, { reason: 'Mer tid behövs', newEndDate: `${NEXT_YEAR + 3}-06-30` });
  const v = await c.act('decide-change', people.director, { outcome: 'reject', motivation: 'Tidplanen ska hållas' });
  expect(v).toMatchObject({ plannedEnd: `${NEXT_YEAR + 2}-12-31`, applicantStatus: { code: 'change-rejected' } });
  const told = await mailTo(h, 'anna@utbildning.example', c.id, 'Ändringsbegäran avslagen');
  expect(told).toHaveLength(1);
  expect(told[0].text).toContain('Tidplanen ska hållas');
});

test('a moved end date re-plans the calendar reports not yet due', async () => {
  const c = await granted(2_000_000, { plannedEnd: `${NEXT_YEAR}-12-31` });
  const before = (await c.view()).reports.map((r) => r.id);
  await c.act('request-change', people.officer, { reason: 'Upphandlingen försenad', newEndDate: `${NEXT_YEAR + 1}-06-30` });
  const v = await c.act('decide-change', people.director, { outcome: 'approve', motivation: 'Godkänns' });
  expect(v.plannedEnd).toBe(`${NEXT_YEAR + 1}-06-30`);
  expect(v.reports.map((r) => r.id)).toEqual(expect.arrayContaining([...before, `T1-${NEXT_YEAR + 1}`, `Y-${NEXT_YEAR + 1}`]));
});

test('the decided project start lies between the decision date and the planned end', async () => {
  const c = await h.start();
  await c.toDecision(application({ plannedEnd: `${NEXT_YEAR}-12-31` }));
  const approve = { outcome: 'approve', grantedAmount: 2_000_000, motivation: 'Beviljas' };
  const yesterday = addDays(await h.today(), -1);
  expect(await c.refusal('decide', people.director, { ...approve, projectStart: yesterday })).toMatchObject({ type: REFUSAL.rule, details: [{ rule: 'project-start-in-past' }] });
  expect(await c.refusal('decide', people.director, { ...approve, projectStart: `${NEXT_YEAR + 1}-01-01` }))
    .toMatchObject({ type: REFUSAL.rule, details: [{ rule: 'project-start-after-planned-end' }] });
  expect((await c.view()).stage).toBe('decision');
});

test('the grant is reserved over the years of the decided start and end, not the planned ones', async () => {
  const c = await granted(2_000_000, { plannedStart: `${NEXT_YEAR}-01-01`, plannedEnd: `${NEXT_YEAR + 1}-12-31`, costPerYear: undefined }, `${NEXT_YEAR + 1}-01-01`);
  expect(await reservedByYear(c)).toEqual({ [NEXT_YEAR + 1]: 2_000_000 });
});

test('light reporting follows the grant: raised over the threshold, six-week reports start from the change; lowered, they stop', async () => {
  const c = await granted(800_000);
  expect((await c.view()).reports.some((r) => r.type === 'sixWeek')).toBe(false);
  await sleepUntil(await h.env.currentTimeMs() + 40 * DAY);
  const changeDay = await h.today();
  await c.act('request-change', people.applicant, { reason: 'Större omfattning', newTotalCost: 1_200_000 });
  await c.act('budget-check', people.budget, { outcome: 'ok' });
  let v = await c.act('decide-change', people.director, { outcome: 'approve', motivation: 'Godkänns' });
  const sixWeek = v.reports.filter((r) => r.type === 'sixWeek');
  expect(sixWeek.map((r) => [r.id, r.periodStart, r.status])).toEqual([['S1', changeDay, 'scheduled']]);
  expect(sixWeek[0].dueDate).toBe(Temporal.PlainDate.from(changeDay).add({ weeks: 6 }).subtract({ days: 1 }).toString());

  await c.act('request-change', people.applicant, { reason: 'Mindre omfattning', newTotalCost: 900_000 });
  await sleepUntil(await h.env.currentTimeMs() + DAY);
  v = await c.act('decide-change', people.director, { outcome: 'approve', motivation: 'Godkänns' });
  // S1 is under way and stays; no further six-week report is put on the calendar.
  await sleepUntil(Date.parse(v.reports.find((r) => r.id === 'S1')!.dueAt) + 60_000);
  v = await c.until((x) => x.reports.find((r) => r.id === 'S1')?.status === 'overdue');
  expect(v.reports.filter((r) => r.type === 'sixWeek').map((r) => r.id)).toEqual(['S1']);
});

test('a change request open at the planned end is decided before the project moves to closure', async () => {
  const c = await granted(2_000_000, { plannedEnd: addDays(await h.today(), 20) });
  await c.act('request-change', people.applicant, { reason: 'Mer tid', newEndDate: addDays(await h.today(), 60) });
  const plannedEnd = (await c.view()).plannedEnd as string;
  const endsAt = Temporal.PlainDate.from(plannedEnd).add({ days: 1 }).toZonedDateTime({ timeZone: 'Europe/Stockholm' }).epochMilliseconds;
  await sleepUntil(endsAt + 60_000);
  let v = await c.until((x) => x.deadlines.length === 0 || x.seq > 0);
  for (let i = 0; i < 50 && !(await c.audit()).some((a) => a.action === 'planned-end'); i++) await new Promise((r) => setTimeout(r, 50));
  expect((await c.audit()).find((a) => a.action === 'planned-end')?.outcome).toEqual({ waitingFor: 'C1' });
  v = await c.view();
  expect(v).toMatchObject({ stage: 'execution', applicantStatus: { code: 'change-requested' } });
  v = await c.act('decide-change', people.director, { outcome: 'reject', motivation: 'Projektet avslutas enligt plan' });
  expect(v).toMatchObject({ stage: 'closure', applicantStatus: { code: 'final-report-due' } });
  expect(v.changeRequests[0]).toMatchObject({ status: 'rejected' });
  expect(v.reports.find((r) => r.type === 'final')?.dueDate).toBe(Temporal.PlainDate.from(plannedEnd).add({ weeks: 6 }).toString());
});

test('termination: open change requests close, unfiled reports close as not received, and the spend is reserved in the years it was spent', async () => {
  const start = await h.today();
  const c = await granted(3_000_000, { plannedEnd: `${NEXT_YEAR + 2}-12-31`, costPerYear: { [NEXT_YEAR + 1]: 1_500_000, [NEXT_YEAR + 2]: 1_500_000 } });
  await remindedOf(c, 'S1');
  const filed = await c.act('submit-report', people.applicant, report('S1', { spentToDate: 700_000 }));
  // S2 goes on the calendar when S1 falls due; it is asked for and left unfiled, and a change request is open.
  await sleepUntil(Date.parse(filed.reports.find((r) => r.id === 'S1')!.dueAt) + 60_000);
  await c.until((x) => x.reports.some((r) => r.id === 'S2'));
  await remindedOf(c, 'S2');
  await c.act('request-change', people.applicant, { reason: 'Mer pengar', newTotalCost: 3_500_000 });
  let v = await c.act('terminate', people.director, { motivation: 'Verksamhetens behov har upphört' });
  const today = await h.today();
  expect(v).toMatchObject({ stage: 'closure', terminated: { by: 'stina' }, applicantStatus: { code: 'final-report-due' } });
  expect(v.changeRequests[0]).toMatchObject({ status: 'closed' });
  expect(v.reports.find((r) => r.id === 'S2')).toMatchObject({ status: 'notReceived' });
  expect(v.deadlines.map((d) => d.what)).toEqual(['report F']);
  expect(await c.refusal('submit-report', people.applicant, report('S2'))).toMatchObject({ type: REFUSAL.stage, message: expect.stringContaining('no report is open') });
  // 700 000 spent by the end of S1's period, in the years of [start, S1's end]; nothing in the applicant's planned years ahead.
  const s1 = v.reports.find((r) => r.id === 'S1')!;
  const reserved = await reservedByYear(c);
  expect(Object.values(reserved).reduce((a, b) => a + b, 0)).toBe(700_000);
  expect(Object.keys(reserved).every((y) => y >= start.slice(0, 4) && y <= s1.periodEnd.slice(0, 4) && y <= today.slice(0, 4))).toBe(true);
  expect((await c.refusal('approve-closure', people.officer, {})).type).toBe(REFUSAL.stage);

  await c.act('submit-final-report', people.applicant, finalReport({ outcome: 'Avbrutet', finalCost: 900_000, handoverConfirmed: false, supportArrangement: 'Ingen drift' }));
  v = await c.act('approve-closure', people.officer, { comment: 'Avslutas' });
  expect(v).toMatchObject({ stage: 'terminated', deadlines: [] });
  // The final cost of a terminated project is what stays reserved.
  expect(Object.values(await reservedByYear(c)).reduce((a, b) => a + b, 0)).toBe(900_000);
  expect((await c.finished()).stage).toBe('terminated');
});

test('closure needs the owner\'s confirmed handover; the officer returns a final report with what is missing', async () => {
  const c = await granted(2_000_000);
  let v = await c.act('submit-final-report', people.applicant, finalReport({ handoverConfirmed: false }));
  expect(v).toMatchObject({ stage: 'closure', applicantStatus: { code: 'closure-review' } });
  expect(v.reports.filter((r) => r.status === 'scheduled')).toEqual([]);
  expect(await c.refusal('approve-closure', people.officer, {})).toMatchObject({ type: REFUSAL.rule, details: [{ rule: 'handover-not-confirmed' }] });

  const dueDate = addDays(await h.today(), 14);
  v = await c.act('return-final-report', people.officer, { missing: ['Förvaltningsobjektets bekräftelse av överlämningen'], dueDate });
  expect(v).toMatchObject({ finalReport: null, applicantStatus: { code: 'final-report-returned' } });
  expect(v.applicantStatus.text.sv).toContain(dueDate);
  expect(v.finalReportReturns).toEqual([expect.objectContaining({ missing: ['Förvaltningsobjektets bekräftelse av överlämningen'], dueDate, by: 'karin' })]);
  expect(v.reports.find((r) => r.type === 'final')).toMatchObject({ status: 'due', dueDate });
  const told = await mailTo(h, 'anna@utbildning.example', c.id, 'kompletteras');
  expect(told.map((m) => m.text)).toEqual([expect.stringContaining('Förvaltningsobjektets bekräftelse av överlämningen')]);

  await c.act('submit-final-report', people.applicant, finalReport());
  v = await c.act('approve-closure', people.officer, { comment: 'Godkänd' });
  expect(v.stage).toBe('followUp');
  // The final cost, in the years it was spent: the project ran from today to today.
  expect(await reservedByYear(c)).toEqual({ [(await h.today()).slice(0, 4)]: 1_900_000 });
});

test('grants under the light-reporting threshold report at tertials and year-end only', async () => {
  const c = await granted(800_000, { plannedStart: `${NEXT_YEAR}-01-01`, plannedEnd: `${NEXT_YEAR + 1}-12-31` });
  const types = new Set((await c.view()).reports.map((r) => r.type));
  expect(types.has('sixWeek')).toBe(false);
  expect(types.has('yearEnd')).toBe(true);
});

test('a project done early files its final report before the planned end', async () => {
  const c = await granted(2_000_000);
  const v = await c.act('submit-final-report', people.applicant, finalReport());
  expect(v).toMatchObject({ stage: 'closure', applicantStatus: { code: 'closure-review' } });
  expect(v.reports.filter((r) => r.status === 'scheduled')).toEqual([]);
});
