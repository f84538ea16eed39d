// Execution: deviations, change requests decided by delegation, termination, light reporting,
// and a project finished early.
import { REFUSALS } from '../../workflows/vocabulary';

const REFUSAL = { stage: REFUSALS.stage.type, role: REFUSALS.role.type, invalid: REFUSALS.invalid.type, rule: REFUSALS.rule.type };
import type { CaseView } from '../../workflows/types';
import { application, createHarness, people, report, type CaseDriver, type Harness } from './harness';

let h: Harness;
beforeAll(async () => { h = await createHarness('execution'); });
afterAll(() => h?.close());

async function granted(amount: number, over: Record<string, unknown> = {}): Promise<CaseDriver> {
  const c = await h.start();
  await c.toDecision(application({ totalCost: amount, ...over }));
  const today = new Date(await h.env.currentTimeMs()).toISOString().slice(0, 10);
  const decider = amount > 15_000_000 ? people.committee : people.director;
  await c.act('decide', decider, { outcome: 'approve', grantedAmount: amount, projectStart: today, motivation: 'Beviljas' });
  return c;
}

async function openReport(c: CaseDriver, id: string): Promise<CaseView> {
  const r = (await c.view()).reports.find((x) => x.id === id)!;
  const opens = Date.parse(r.dueAt) - 5 * 86_400_000;
  const now = await h.env.currentTimeMs();
  if (opens > now) await h.env.sleep(opens - now + 60_000);
  return c.until((v) => v.reports.find((x) => x.id === id)?.status === 'due');
}

test('a forecast beyond tolerance raises a deviation; a change request to a higher tier is decided there', async () => {
  const c = await granted(14_000_000, { plannedEnd: '2028-12-31' });
  await openReport(c, 'S1');
  let v = await c.act('submit-report', people.applicant, report('S1', { cost: 'red', forecastTotalCost: 16_000_000, forecastEndDate: '2028-12-31' }));
  expect(v.deviations).toEqual([expect.objectContaining({ reportId: 'S1', reasons: [expect.stringMatching(/^cost/)] })]);
  expect(v.applicantStatus.code).toBe('change-request-required');
  expect((await c.emails()).some((e) => e.template === 'deviation' && e.recipient === 'projektkontoret@stockholm.se')).toBe(true);

  v = await c.act('request-change', people.applicant, { reason: 'Integrationen blev dyrare', newTotalCost: 16_000_000 });
  expect(v.changeRequests[0]).toMatchObject({ id: 'C1', tier: 'ks-ekonomiutskott', status: 'open' });
  expect((await c.refusal('request-change', people.officer, { reason: 'x', newEndDate: '2029-06-30' })).type).toBe(REFUSAL.stage);
  // The new total is above the city director's delegation.
  expect((await c.refusal('decide-change', people.director, { outcome: 'approve', motivation: 'ok' }))).toMatchObject({ type: REFUSAL.role, details: [{ rule: 'delegation' }] });
  v = await c.act('decide-change', people.committee, { outcome: 'approve', motivation: 'Nyttan motiverar kostnaden' });
  expect(v).toMatchObject({ grantedAmount: 16_000_000, grantTier: 'ks-ekonomiutskott', applicantStatus: { code: 'granted' } });
  expect(v.deviations[0].resolvedBy).toBe('C1');
  // Termination now belongs to the new grant's tier.
  expect((await c.refusal('terminate', people.director, { motivation: 'x' })).type).toBe(REFUSAL.role);
});

test('a moved end date re-plans the calendar reports not yet due', async () => {
  const c = await granted(2_000_000, { plannedEnd: '2027-12-31' });
  const before = (await c.view()).reports.map((r) => r.id);
  await c.act('request-change', people.officer, { reason: 'Upphandlingen försenad', newEndDate: '2028-06-30' });
  const v = await c.act('decide-change', people.director, { outcome: 'approve', motivation: 'Godkänns' });
  expect(v.plannedEnd).toBe('2028-06-30');
  expect(v.reports.map((r) => r.id)).toEqual(expect.arrayContaining([...before, 'T1-2028', 'Y-2028']));
});

test('termination (avbrytande): the final report is still required, then the case ends terminated', async () => {
  const c = await granted(3_000_000);
  await openReport(c, 'S1');
  await c.act('submit-report', people.applicant, report('S1', { spentToDate: 700_000 }));
  let v = await c.act('terminate', people.director, { motivation: 'Verksamhetens behov har upphört' });
  expect(v).toMatchObject({ stage: 'closure', terminated: { by: 'stina' }, applicantStatus: { code: 'final-report-due' } });
  expect(v.reports.filter((r) => r.status === 'scheduled').map((r) => r.type)).toEqual(['final']);
  expect((await c.refusal('approve-closure', people.officer, {})).type).toBe(REFUSAL.stage);
  await c.act('submit-final-report', people.applicant, {
    outcome: 'Avbrutet efter förstudien', finalCost: 700_000, deliveredAgainstPlan: 'Kravanalys levererad',
    handoverConfirmed: false, supportArrangement: 'Ingen drift', followUpPlan: 'Ingen uppföljning',
  });
  v = await c.act('approve-closure', people.officer, { comment: 'Avslutas' });
  expect(v.stage).toBe('terminated');
  expect((await c.finished()).stage).toBe('terminated');
});

test('grants under the light-reporting threshold report at tertials and year-end only', async () => {
  const c = await granted(800_000, { plannedStart: '2027-01-01', plannedEnd: '2028-12-31' });
  const types = new Set((await c.view()).reports.map((r) => r.type));
  expect(types.has('sixWeek')).toBe(false);
  expect(types.has('yearEnd')).toBe(true);
});

test('a project done early files its final report before the planned end', async () => {
  const c = await granted(2_000_000);
  const v = await c.act('submit-final-report', people.applicant, {
    outcome: 'Levererat', finalCost: 1_900_000, deliveredAgainstPlan: 'Allt', handoverConfirmed: true,
    supportArrangement: 'Servicedesk', followUpPlan: 'Statistik efter 12 månader',
  });
  expect(v).toMatchObject({ stage: 'closure', applicantStatus: { code: 'closure-review' } });
  expect(v.reports.filter((r) => r.status === 'scheduled')).toEqual([]);
});
