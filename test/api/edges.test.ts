// The rules at their edges through the HTTP API, on the real case workflow: the decided start, the budget
// check of a raised change, reports filed early and closed as not received, the closure's handover and a
// returned final report, effect reports against the kept savings claims, the grant reserved over the decided
// years, and what the decision email says. Dates come from the test server's clock.
import { addDays, stockholmDate, stockholmYear } from '../../workflows/calendar';
import type { CaseView } from '../../workflows/types';
import type { ActionName } from '../../workflows/vocabulary';
import { apiHarness, expectProblem, type ApiHarness, type CallerName } from './support';

let h: ApiHarness;
beforeAll(async () => { h = await apiHarness({ worker: true }); });
afterAll(() => h?.close());

const YEAR = stockholmYear(Date.now()) + 1;
const today = async () => stockholmDate(await h.env.currentTimeMs());

type View = CaseView & { allowedActions: string[] };

async function step(id: string, action: ActionName, who: CallerName, body: object): Promise<View> {
  const res = await h.post(`/api/v1/cases/${id}/actions/${action}`, who, body);
  expect({ action, status: res.status, problem: res.status === 200 ? undefined : res.body }).toEqual({ action, status: 200, problem: undefined });
  return res.body;
}
const act = (id: string, action: ActionName, who: CallerName, body: object) => h.post(`/api/v1/cases/${id}/actions/${action}`, who, body);

const application = (id: string, over: Record<string, unknown> = {}) => ({
  portfolio: 'p2', kind: 'implementation', totalCost: 2_000_000, plannedStart: `${YEAR}-01-01`, plannedEnd: `${YEAR}-12-31`, projectLeader: 'Lena Projektledare',
  benefits: { citizenBenefit: 3_000_000, businessBenefit: 1_500_000, developmentCost: 2_000_000, operationCost: 300_000 },
  savingsClaims: [{ key: `utbildning:${id}-a`, amountPerYear: 100_000 }, { key: `utbildning:${id}-b`, amountPerYear: 50_000 }],
  owner: { name: 'Utbildningsdirektören', managementObject: 'Skolval', operationCostAccepted: true },
  ...over,
});

async function toDecision(over: Record<string, unknown> = {}): Promise<string> {
  const created = await h.post('/api/v1/cases', 'applicant', { title: 'Digital skolval', need: 'Papper', idea: 'E-tjänst', contact: { email: 'anna@utbildning.example' } });
  const id = created.body.id as string;
  await step(id, 'screen-idea', 'officer', { outcome: 'approve' });
  await step(id, 'submit-application', 'applicant', application(id, over));
  await step(id, 'record-valuation', 'valuer', { citizenBenefit: 2_500_000, businessBenefit: 1_200_000, developmentCost: 2_100_000, operationCost: 300_000 });
  await step(id, 'recommend', 'preparer', { recommendation: 'support', motivation: 'God nytta' });
  await step(id, 'schedule-council', 'officer', { meetingId: MEETING });
  await step(id, 'council-opinion', 'council', { opinion: 'recommend' });
  await step(id, 'budget-check', 'budget', { outcome: 'ok' });
  return id;
}

async function granted(over: Record<string, unknown> = {}, start?: string): Promise<string> {
  const id = await toDecision(over);
  await step(id, 'decide', 'director', { outcome: 'approve', grantedAmount: 2_000_000, projectStart: start ?? await today(), conditions: 'Rapportera kvartalsvis', motivation: 'Beviljas' });
  return id;
}

const MEETING = `UR-${YEAR - 1}-12-11`;
beforeAll(async () => {
  expect((await h.post('/api/v1/council/meetings', 'officer', { date: `${YEAR - 1}-12-11` })).status).toBe(201);
});

async function mailTo(address: string, ...subject: string[]) {
  const matching = () => h.smtp.to(address).filter((m) => subject.every((part) => m.subject.includes(part)));
  for (let i = 0; i < 100 && matching().length === 0; i++) await new Promise((r) => setTimeout(r, 50));
  return matching();
}

test('a decided start before the decision date or after the planned end is a 422 naming the rule', async () => {
  const id = await toDecision();
  const approve = { outcome: 'approve', grantedAmount: 2_000_000, motivation: 'Beviljas' };
  const past = await act(id, 'decide', 'director', { ...approve, projectStart: addDays(await today(), -1) });
  expectProblem(past, 422, 'rule-violation');
  expect(past.body.rule).toBe('project-start-in-past');
  const late = await act(id, 'decide', 'director', { ...approve, projectStart: `${YEAR + 1}-01-01` });
  expect(late.body.rule).toBe('project-start-after-planned-end');
  expect((await h.get(`/api/v1/cases/${id}`, 'officer')).body.stage).toBe('decision');
});

test("a case's size is bounded before anything is recorded: the project's length by the rule set, texts by their bytes", async () => {
  const created = await h.post('/api/v1/cases', 'applicant', { title: 'Digital skolval', need: 'Papper', idea: 'E-tjänst' });
  const id = created.body.id as string;
  await step(id, 'screen-idea', 'officer', { outcome: 'approve' });
  const audited = (await h.get(`/api/v1/cases/${id}/history`, 'officer')).body.items.length;
  // Planned to end in 2990, and a day past the five years the default rule set allows.
  for (const plannedEnd of ['2990-12-31', `${YEAR + 5}-01-02`]) {
    const long = await act(id, 'submit-application', 'applicant', application(id, { plannedEnd }));
    expectProblem(long, 422, 'rule-violation');
    expect(long.body.rule).toBe('project-too-long');
    expect(long.body.detail).toContain(`plannedEnd may be ${YEAR + 5}-01-01 at the latest`);
  }
  // Within its characters, past its bytes: five thousand and one 'ä' take 10 002 bytes.
  const wordy = await act(id, 'submit-application', 'applicant', application(id, { realisationPlan: 'ä'.repeat(5_001) }));
  expectProblem(wordy, 400, 'validation-failed');
  expect(wordy.body.errors).toEqual([{ path: 'realisationPlan', message: expect.stringContaining('10000 bytes') }]);
  expect((await h.get(`/api/v1/cases/${id}/history`, 'officer')).body.items).toHaveLength(audited);
  expect((await step(id, 'submit-application', 'applicant', application(id, { plannedEnd: `${YEAR + 5}-01-01` }))).stage).toBe('preparation');
});

test('the decision email states the amount, the conditions and the start; the grant is reserved over the decided years', async () => {
  const id = await granted({ plannedEnd: `${YEAR + 1}-12-31` }, `${YEAR + 1}-01-01`);
  const [decided] = await mailTo('anna@utbildning.example', id, 'Beviljad');
  expect(decided.text).toMatch(/Beviljat belopp: 2\s000\s000 kr/);
  expect(decided.text).toContain('Villkor: Rapportera kvartalsvis');
  expect(decided.text).toContain(`Projektstart: 1 januari ${YEAR + 1}`);
  const p2 = (await h.get('/api/v1/portfolios', 'officer')).body.items.find((p: { id: string }) => p.id === 'p2');
  expect(p2.frames.filter((f: { reserved: number }) => f.reserved > 0)).toEqual([{ year: YEAR + 1, frame: 40_000_000, reserved: 2_000_000, remaining: 38_000_000 }]);
});

test('a change that raises the total waits for the budget check, then the decider', async () => {
  const id = await granted();
  await step(id, 'request-change', 'applicant', { reason: 'Dyrare integration', newTotalCost: 2_400_000 });
  const waiting = await act(id, 'decide-change', 'director', { outcome: 'approve', motivation: 'Ja' });
  expectProblem(waiting, 409, 'stage-not-allowed');
  expect((await h.get(`/api/v1/cases/${id}`, 'budget')).body.allowedActions).toEqual(['budget-check']);
  await step(id, 'budget-check', 'budget', { outcome: 'ok' });
  expect((await h.get(`/api/v1/cases/${id}`, 'director')).body.allowedActions).toEqual(expect.arrayContaining(['decide-change']));
  expect((await step(id, 'decide-change', 'director', { outcome: 'approve', motivation: 'Motiverat' })).grantedAmount).toBe(2_400_000);
});

test('a report is filed on the first day of its period; after termination the unfiled ones no longer count as late', async () => {
  const id = await granted({ plannedEnd: `${YEAR + 1}-12-31` });
  let v = (await h.get(`/api/v1/cases/${id}`, 'applicant')).body as View;
  expect(v.allowedActions).toContain('submit-report');
  const filed = await step(id, 'submit-report', 'applicant', {
    reportId: 'S1', time: 'green', cost: 'green', scope: 'green', spentToDate: 200_000, forecastTotalCost: 2_000_000, forecastEndDate: `${YEAR + 1}-12-31`,
  });
  // S2 falls due unfiled and becomes overdue.
  const s1Due = Date.parse(filed.reports.find((r) => r.id === 'S1')!.dueAt);
  await h.env.sleep(s1Due + 43 * 86_400_000 - (await h.env.currentTimeMs()));
  for (let i = 0; i < 100 && !(await h.get('/api/v1/cases?overdue=true', 'officer')).body.items.some((c: { id: string }) => c.id === id); i++) {
    await new Promise((r) => setTimeout(r, 50));
  }
  expect((await h.get('/api/v1/cases?overdue=true', 'officer')).body.items.map((c: { id: string }) => c.id)).toContain(id);
  v = await step(id, 'terminate', 'director', { motivation: 'Behovet har upphört' });
  expect(v.reports.find((r) => r.id === 'S2')?.status).toBe('notReceived');
  expect((await h.get('/api/v1/cases?overdue=true', 'officer')).body.items.map((c: { id: string }) => c.id)).not.toContain(id);
  expect((await h.get('/api/v1/dashboard', 'officer')).body.reports.items.map((r: { caseId: string }) => r.caseId)).not.toContain(id);
});

test('closure needs the confirmed handover; a returned final report comes back with what is missing', async () => {
  const id = await granted();
  const finalReport = { outcome: 'Levererat', finalCost: 1_800_000, deliveredAgainstPlan: 'Allt', handoverConfirmed: false, supportArrangement: 'Servicedesk', followUpPlan: 'Statistik' };
  await step(id, 'submit-final-report', 'applicant', finalReport);
  const refused = await act(id, 'approve-closure', 'officer', {});
  expectProblem(refused, 422, 'rule-violation');
  expect(refused.body.rule).toBe('handover-not-confirmed');
  const returned = await step(id, 'return-final-report', 'officer', { missing: ['Bekräftad överlämning till förvaltningen'] });
  expect(returned).toMatchObject({ finalReport: null, applicantStatus: { code: 'final-report-returned' } });
  expect((await h.get(`/api/v1/cases/${id}`, 'applicant')).body.allowedActions).toEqual(['submit-final-report']);
  await step(id, 'submit-final-report', 'applicant', { ...finalReport, handoverConfirmed: true });
  expect((await step(id, 'approve-closure', 'officer', {})).stage).toBe('followUp');

  // The effect report answers each kept savings claim, by its key, and the development cost.
  const effect = { reportId: 'E1', realised: { citizenBenefit: 1, businessBenefit: 1, developmentCost: 1_800_000, operationCost: 1 } };
  const unknown = await act(id, 'submit-effect-report', 'applicant', { ...effect, savings: [{ key: `utbildning:${id}-a`, realisedAmountPerYear: 1 }, { key: 'annan', realisedAmountPerYear: 1 }] });
  expect(unknown.body).toMatchObject({ status: 422, rule: 'savings-claim-unknown' });
  const unanswered = await act(id, 'submit-effect-report', 'applicant', { ...effect, savings: [{ key: `utbildning:${id}-a`, realisedAmountPerYear: 1 }] });
  expect(unanswered.body).toMatchObject({ status: 422, rule: 'savings-claim-unanswered', detail: expect.stringContaining(`utbildning:${id}-b`) });
  const noCost = await act(id, 'submit-effect-report', 'applicant', { ...effect, realised: { citizenBenefit: 1, businessBenefit: 1, operationCost: 1 } });
  expectProblem(noCost, 400, 'validation-failed');
  const done = await step(id, 'submit-effect-report', 'applicant', {
    ...effect, savings: [{ key: `utbildning:${id}-a`, realisedAmountPerYear: 90_000 }, { key: `utbildning:${id}-b`, realisedAmountPerYear: 0 }],
  });
  expect(done.stage).toBe('completed');
});

test("a filed report's texts are read with the case, but the case's workflow does not hold them", async () => {
  const id = await granted({ plannedEnd: `${YEAR + 1}-12-31` });
  const texts = { milestones: 'Inloggning klar', risks: 'Leverantören är sen', benefitOutlook: 'Som planerat', comment: 'Inget mer' };
  const answer = await step(id, 'submit-report', 'applicant', {
    reportId: 'S1', time: 'green', cost: 'green', scope: 'yellow', spentToDate: 200_000, forecastTotalCost: 2_000_000, forecastEndDate: `${YEAR + 1}-12-31`, ...texts,
  });
  expect(answer.reports.find((r) => r.id === 'S1')?.content).toEqual({ time: 'green', cost: 'green', scope: 'yellow', spentToDate: 200_000, forecastTotalCost: 2_000_000, forecastEndDate: `${YEAR + 1}-12-31` });
  for (const who of ['officer', 'applicant'] as const) {
    expect((await h.get(`/api/v1/cases/${id}`, who)).body.reports.find((r: { id: string }) => r.id === 'S1').content).toMatchObject({ scope: 'yellow', ...texts });
  }
});
