// Cases through the HTTP API alone, on the real case workflow (time-skipping server, worker in-process):
// from idea sketch to completed; every action against every role; refusals as 403/409/422 problems;
// idempotent retries; the engine's own history.
import { count, eq } from 'drizzle-orm';
import { caseViewSchema } from '../../api/schemas/cases';
import { auditEvents, caseNumbers, cases, idempotencyKeys } from '../../db/schema';
import { ACTION_NAMES, type ActionName } from '../../workflows/vocabulary';
import { stockholmDate, stockholmYear } from '../../workflows/calendar';
import type { CaseView } from '../../workflows/types';
import { apiHarness, callers, expectProblem, type ApiHarness, type CallerName } from './support';

let h: ApiHarness;
beforeAll(async () => { h = await apiHarness({ worker: true }); });
afterAll(() => h?.close());

const idea = {
  title: 'Digital skolval', need: 'Skolvalet görs på papper', idea: 'En e-tjänst för skolval', expectedBenefits: 'Kortare handläggning',
  roughCost: 2_000_000, contact: { name: 'Anna Andersson', email: 'anna@utbildning.example' }, language: 'sv',
};

/** Plans lie in the year after the one the run starts in, whatever day that is. */
const YEAR = stockholmYear(Date.now()) + 1;
/** The Stockholm date on the test server's clock. */
const today = async () => stockholmDate(await h.env.currentTimeMs());

const application = (over: Record<string, unknown> = {}) => ({
  portfolio: 'p1', kind: 'implementation', totalCost: 2_000_000, costPerYear: { [YEAR]: 2_000_000 }, plannedStart: `${YEAR}-01-01`, plannedEnd: `${YEAR}-12-31`,
  projectLeader: 'Lena Projektledare',
  benefits: { citizenBenefit: 3_000_000, businessBenefit: 1_500_000, developmentCost: 2_000_000, operationCost: 300_000, expectedUsers: 20_000 },
  savingsClaims: [{ key: 'utbildning:skolval-papper', description: 'Pappershantering vid skolval', amountPerYear: 400_000 }],
  owner: { name: 'Utbildningsdirektören', managementObject: 'Skolval', operationCostAccepted: true },
  ...over,
});

/** A valid body for every action, so that a refusal is about who or when, never about the body. */
const BODIES: Record<ActionName, object> = {
  'screen-idea': { outcome: 'approve', coach: 'Carl Coach' },
  'submit-application': application(),
  assign: { preparationGroup: 'Beredningsgrupp 1' },
  'record-valuation': { citizenBenefit: 2_500_000, businessBenefit: 1_200_000, developmentCost: 2_100_000, operationCost: 300_000 },
  'resolve-double-count': { key: 'utbildning:skolval-papper', resolution: 'keep' },
  'request-completion': { missing: ['Tillgänglighetsanalys'] },
  recommend: { recommendation: 'support', motivation: 'God nytta för medborgarna' },
  'schedule-council': { meetingId: `UR-${YEAR - 1}-12-10` },
  // No rank: ranks are unique within a portfolio on a meeting, and these cases share one (test/api/followUp.test.ts ranks).
  'council-opinion': { opinion: 'recommend' },
  'budget-check': { outcome: 'ok' },
  decide: { outcome: 'approve', grantedAmount: 2_000_000, projectStart: `${YEAR}-01-01`, motivation: 'Ryms i ramen' },
  'submit-report': { reportId: 'S1', time: 'green', cost: 'green', scope: 'green', spentToDate: 100_000, forecastTotalCost: 2_000_000, forecastEndDate: `${YEAR}-12-31` },
  'request-change': { reason: 'Dyrare integration', newTotalCost: 2_100_000 },
  'decide-change': { outcome: 'approve', motivation: 'Motiverat' },
  terminate: { motivation: 'Leverantören gick i konkurs' },
  'submit-final-report': {
    outcome: 'Levererat', finalCost: 1_900_000, deliveredAgainstPlan: 'Allt levererat', handoverConfirmed: true,
    supportArrangement: 'Servicedesk', followUpPlan: 'Statistik ur e-tjänsten',
  },
  'return-final-report': { missing: ['Överlämningen till förvaltningen'] },
  'approve-closure': { comment: 'Väl genomfört' },
  'submit-effect-report': { reportId: 'E1', realised: { citizenBenefit: 2_800_000, businessBenefit: 1_400_000, developmentCost: 1_900_000, operationCost: 320_000 }, savings: [{ key: 'utbildning:skolval-papper', realisedAmountPerYear: 380_000 }] },
  withdraw: { reason: 'Löses inom ordinarie budget' },
};

/** Who may take each action (the rest are refused with 403 before the workflow is asked). */
const MAY: Record<ActionName, CallerName[]> = {
  'screen-idea': ['officer'],
  'submit-application': ['applicant'],
  assign: ['officer'],
  'record-valuation': ['valuer'],
  'resolve-double-count': ['officer'],
  'request-completion': ['preparer'],
  recommend: ['preparer'],
  'schedule-council': ['officer'],
  'council-opinion': ['council'],
  'budget-check': ['budget'],
  decide: ['director', 'committee'],
  'submit-report': ['applicant'],
  'request-change': ['applicant', 'officer'],
  'decide-change': ['director', 'committee'],
  terminate: ['director', 'committee'],
  'submit-final-report': ['applicant'],
  'return-final-report': ['officer'],
  'approve-closure': ['officer'],
  'submit-effect-report': ['applicant'],
  withdraw: ['applicant'],
};
const EVERYONE = Object.keys(callers) as CallerName[];

async function act(id: string, action: ActionName, who: CallerName, body: object = BODIES[action], headers: Record<string, string> = {}) {
  return h.post(`/api/v1/cases/${id}/actions/${action}`, who, body, headers);
}

/** Acts and expects success; returns the case view, checked against its documented schema. */
async function step(id: string, action: ActionName, who: CallerName, body: object = BODIES[action]): Promise<CaseView & { allowedActions: string[] }> {
  const res = await act(id, action, who, body);
  expect({ action, status: res.status, problem: res.status === 200 ? undefined : res.body }).toEqual({ action, status: 200, problem: undefined });
  expect(caseViewSchema.safeParse(res.body).error).toBeUndefined();
  return res.body;
}

async function submitIdea(who: CallerName = 'applicant', body: object = idea): Promise<string> {
  const res = await h.post('/api/v1/cases', who, body);
  expect(res.status).toBe(201);
  return res.body.id;
}

/** Each case books its own savings claim, unless a test wants a double count. */
const ownClaim = (id: string) => ({ savingsClaims: [{ key: `utbildning:${id}`, amountPerYear: 100_000 }] });

async function toDecision(id: string, app: object = application(ownClaim(id))) {
  await step(id, 'screen-idea', 'officer');
  await step(id, 'submit-application', 'applicant', app);
  await step(id, 'record-valuation', 'valuer');
  await step(id, 'recommend', 'preparer');
  await step(id, 'schedule-council', 'officer');
  await step(id, 'council-opinion', 'council');
  return step(id, 'budget-check', 'budget');
}

const MEETING = `UR-${YEAR - 1}-12-10`;
beforeAll(async () => {
  const meeting = await h.post('/api/v1/council/meetings', 'officer', { date: `${YEAR - 1}-12-10`, title: 'Utvecklingsrådet december' });
  expect(meeting.body.id).toBe(MEETING);
});

test('a case from idea sketch to completed, through the HTTP API alone', async () => {
  const created = await h.post('/api/v1/cases', 'applicant', idea);
  expect(created.status).toBe(201);
  expect(caseViewSchema.safeParse(created.body).error).toBeUndefined();
  const id: string = created.body.id;
  expect(id).toMatch(/^PK-\d{4}-\d{4}$/);
  expect(created.headers.location).toBe(`/api/v1/cases/${id}`);
  expect(created.body).toMatchObject({
    stage: 'idea', organisation: 'utbildning', ruleSetVersion: 1, allowedActions: ['withdraw'], applicantStatus: { code: 'received' },
  });
  // Read back at once: the answer came after the read model had the case.
  expect((await h.get(`/api/v1/cases/${id}`, 'applicant')).body.stage).toBe('idea');

  expect((await step(id, 'screen-idea', 'officer')).stage).toBe('application');
  expect((await step(id, 'submit-application', 'applicant')).stage).toBe('preparation');
  await step(id, 'assign', 'officer');
  await step(id, 'record-valuation', 'valuer');
  expect((await step(id, 'recommend', 'preparer')).stage).toBe('council');
  expect((await step(id, 'schedule-council', 'officer')).council).toEqual({ meetingId: MEETING });
  expect((await h.get('/api/v1/council/meetings', 'council')).body.items[0].agenda).toEqual([id]);
  expect((await step(id, 'council-opinion', 'council')).stage).toBe('decision');
  await step(id, 'budget-check', 'budget');
  const granted = await step(id, 'decide', 'director');
  expect(granted).toMatchObject({ stage: 'execution', grantedAmount: 2_000_000, applicantStatus: { code: 'granted' } });
  expect(granted.reports.length).toBeGreaterThan(0);
  expect((await h.get('/api/v1/portfolios', 'officer')).body.items[0].frames).toContainEqual({ year: YEAR, frame: 40_000_000, reserved: 2_000_000, remaining: 38_000_000 });

  expect((await step(id, 'submit-final-report', 'applicant')).stage).toBe('closure');
  const closed = await step(id, 'approve-closure', 'officer');
  expect(closed.stage).toBe('followUp');
  expect(closed.reports.find((r) => r.type === 'effect')).toMatchObject({ id: 'E1', status: 'scheduled' });

  // The effect report may be filed from the first day of its period: the day the closure was approved.
  expect(closed.reports.find((r) => r.id === 'E1')?.periodStart).toBe(await today());
  expect(closed.allowedActions).toEqual([]);
  expect((await h.get(`/api/v1/cases/${id}`, 'applicant')).body.allowedActions).toEqual(['submit-effect-report']);
  const done = await step(id, 'submit-effect-report', 'applicant');
  expect(done).toMatchObject({ stage: 'completed', applicantStatus: { code: 'completed' }, allowedActions: [] });

  const history = await h.get(`/api/v1/cases/${id}/history`, 'auditor');
  const actions = history.body.items.map((e: { action: string }) => e.action);
  expect(actions[0]).toBe('case-started');
  expect(actions).toEqual(expect.arrayContaining(['screen-idea', 'submit-application', 'decide', 'approve-closure', 'submit-effect-report']));
  expect(history.body.items.at(-1)).toMatchObject({ action: 'submit-effect-report', stageAfter: 'completed', actor: { id: 'anna' } });

  const engine = await h.get(`/api/v1/cases/${id}/history?source=engine`, 'auditor');
  expect(engine.status).toBe(200);
  expect(engine.body.items[0]).toMatchObject({ eventId: 1, type: 'WorkflowExecutionStarted', name: 'caseWorkflow', time: expect.any(String) });
  const named = engine.body.items.map((e: { type: string; name?: string }) => `${e.type} ${e.name}`);
  expect(named).toEqual(expect.arrayContaining([
    'WorkflowExecutionUpdateAccepted case-started', 'MarkerRecorded patch record-step-locally', 'MarkerRecorded recordStep',
    'WorkflowExecutionUpdateAccepted screen-idea', 'WorkflowExecutionUpdateCompleted screen-idea', 'MarkerRecorded patch one-round-trip-per-step',
    'WorkflowExecutionUpdateAccepted submit-effect-report',
  ]));
  // One round trip through the engine per step: lookups, reservations and the record run in the step's own
  // workflow task, and emails leave through the outbox relay, so no activity is scheduled for any step.
  expect(named.filter((n: string) => n.startsWith('ActivityTask'))).toEqual([]);

  expect((await h.get('/api/v1/audit/verify', 'auditor')).body).toMatchObject({ ok: true, firstBrokenSeq: null });
});

test("two opinions giving the same rank on a meeting at the same moment: the step claims it atomically, one gets it, the other a 422", async () => {
  const ids = await Promise.all([submitIdea(), submitIdea()]);
  for (const id of ids) {
    await step(id, 'screen-idea', 'officer');
    await step(id, 'submit-application', 'applicant', application(ownClaim(id)));
    await step(id, 'record-valuation', 'valuer');
    await step(id, 'recommend', 'preparer');
    await step(id, 'schedule-council', 'officer');
  }
  const answers = await Promise.all(ids.map((id) => act(id, 'council-opinion', 'council', { opinion: 'recommend', priority: 42 })));
  expect(answers.map((a) => a.status).sort()).toEqual([200, 422]);
  const refused = answers.find((a) => a.status === 422)!;
  expect(refused.body).toMatchObject({ rule: 'priority-taken' });
  // Refused, that case is still on the agenda without an opinion; another rank is free for it.
  const other = ids[answers.indexOf(refused)];
  expect((await step(other, 'council-opinion', 'council', { opinion: 'recommend', priority: 43 })).council).toMatchObject({ priority: 43 });
});

test('what a case lacks for a grant is shown from the application on, to the applicant, and gone once mended', async () => {
  const id = await submitIdea();
  await step(id, 'screen-idea', 'officer');
  await step(id, 'submit-application', 'applicant', { ...application(ownClaim(id)), owner: undefined });
  const seen = (await h.get(`/api/v1/cases/${id}`, 'applicant')).body;
  expect(seen.openConditions).toEqual([{ code: 'owner-operation-cost-accepted', from: 'applicant', text: { sv: expect.stringContaining('ägare'), en: expect.stringContaining('owner') } }]);
  await step(id, 'request-completion', 'preparer', { missing: ['Utpekad ägare och accepterad driftkostnad'] });
  const mended = await step(id, 'submit-application', 'applicant', application(ownClaim(id)));
  expect(mended.openConditions).toEqual([]);
});

test('every action against every role: 403 for those who may not, 409 naming the stage for those who may but not now', async () => {
  const id = await submitIdea();
  const inIdea = new Set<ActionName>(['screen-idea', 'assign', 'withdraw']);
  const allowedInIdea: Partial<Record<CallerName, string[]>> = { officer: ['screen-idea', 'assign'], applicant: ['withdraw'] };
  for (const action of ACTION_NAMES) {
    for (const who of EVERYONE) {
      const may = MAY[action].includes(who);
      if (may && inIdea.has(action)) continue; // taken in the lifecycle test; here they would move the case
      const res = await act(id, action, who);
      if (!may) {
        expect({ action, who, status: res.status }).toEqual({ action, who, status: 403 });
        expectProblem(res, 403, 'forbidden');
      } else {
        expect({ action, who, status: res.status }).toEqual({ action, who, status: 409 });
        expectProblem(res, 409, 'stage-not-allowed');
        expect(res.body).toMatchObject({ stage: 'idea', allowedActions: allowedInIdea[who] ?? [] });
      }
    }
  }
  // Nothing was recorded by all of that.
  const [{ n }] = await h.database.db.select({ n: count() }).from(auditEvents).where(eq(auditEvents.caseId, id));
  expect(n).toBe(1);
  expect((await h.get(`/api/v1/cases/${id}`, 'officer')).body.stage).toBe('idea');
});

test('delegation: a tier decides any amount up to its limit; beyond it a 403 problem naming the tier', async () => {
  const id = await submitIdea();
  await toDecision(id, application({ totalCost: 20_000_000, costPerYear: { [YEAR]: 20_000_000 }, ...ownClaim(id) }));
  const wrongTier = await act(id, 'decide', 'director', { ...BODIES.decide, grantedAmount: 20_000_000 });
  expectProblem(wrongTier, 403, 'forbidden');
  expect(wrongTier.body).toMatchObject({ rule: 'delegation', detail: expect.stringContaining('ks-ekonomiutskott') });
  // The city director may grant up to 15 mnkr of the 20 applied for; the committee any of it.
  expect((await h.get(`/api/v1/cases/${id}`, 'director')).body.allowedActions).toEqual(['decide']);
  expect((await h.get(`/api/v1/cases/${id}`, 'committee')).body.allowedActions).toEqual(['decide']);
  expect((await step(id, 'decide', 'committee', { ...BODIES.decide, grantedAmount: 15_000_000 })).decision).toMatchObject({ grantedAmount: 15_000_000, by: 'erik' });
});

test('rule violations are 422 problems naming the rule, and change nothing', async () => {
  const id = await submitIdea();
  await toDecision(id);
  const tooMuch = await act(id, 'decide', 'director', { ...BODIES.decide, grantedAmount: 2_500_000 });
  expectProblem(tooMuch, 422, 'rule-violation');
  expect(tooMuch.body.rule).toBe('grant-exceeds-request');

  const other = await submitIdea();
  await step(other, 'screen-idea', 'officer');
  const unknownPortfolio = await act(other, 'submit-application', 'applicant', application({ portfolio: 'p9' }));
  expectProblem(unknownPortfolio, 422, 'rule-violation');
  // The first case (the lifecycle test) booked this saving already: a double count (dubbelräkning).
  const flagged = await step(other, 'submit-application', 'applicant', application());
  // The applicant learns their claim is flagged; which case booked it first is for the office.
  expect(flagged.doubleCount).toEqual([{ key: 'utbildning:skolval-papper' }]);
  expect((await h.get(`/api/v1/cases/${other}`, 'officer')).body.doubleCount).toEqual([{ key: 'utbildning:skolval-papper', conflictingCases: [expect.stringMatching(/^PK-/)] }]);
  await step(other, 'record-valuation', 'valuer');
  const unresolved = await act(other, 'recommend', 'preparer');
  expectProblem(unresolved, 422, 'rule-violation');
  expect(unresolved.body.rule).toBe('double-count-unresolved');
  await step(other, 'resolve-double-count', 'officer', { key: 'utbildning:skolval-papper', resolution: 'removed', comment: 'Besparingen räknas i det första ärendet' });
  await step(other, 'recommend', 'preparer');
  const noMeeting = await act(other, 'schedule-council', 'officer', { meetingId: 'UR-1999-01-01' });
  expectProblem(noMeeting, 422, 'rule-violation');
  expect((await h.get(`/api/v1/cases/${other}`, 'officer')).body.council).toBeNull();
});

test('a closed case takes no more steps: 409 naming its final stage', async () => {
  const id = await submitIdea();
  expect((await step(id, 'withdraw', 'applicant')).stage).toBe('withdrawn');
  const res = await act(id, 'screen-idea', 'officer');
  expectProblem(res, 409, 'stage-not-allowed');
  expect(res.body).toMatchObject({ stage: 'withdrawn', allowedActions: [] });
});

test('submitting an idea: officers name the organisation, applicants may not name another', async () => {
  const byOfficer = await h.post('/api/v1/cases', 'officer', { ...idea, organisation: 'stadsbyggnad' });
  expect(byOfficer.status).toBe(201);
  expect(byOfficer.body.organisation).toBe('stadsbyggnad');
  expect(byOfficer.body.allowedActions).toEqual(['screen-idea', 'assign']);
  const unnamed = await h.post('/api/v1/cases', 'officer', idea);
  expectProblem(unnamed, 422, 'rule-violation');
  expect(unnamed.body.rule).toBe('organisation-required');
  expectProblem(await h.post('/api/v1/cases', 'applicant', { ...idea, organisation: 'stadsbyggnad' }), 403, 'forbidden');
  expectProblem(await h.post('/api/v1/cases', 'officer', { ...idea, organisation: 'nowhere' }), 422, 'rule-violation');
  for (const who of ['auditor', 'valuer', 'admin'] as const) expectProblem(await h.post('/api/v1/cases', who, idea), 403, 'forbidden');
});

describe('idempotent retries', () => {
  test('a repeated case submission with the same key starts one case and answers the same', async () => {
    const [{ before }] = await h.database.db.select({ before: count() }).from(cases);
    const first = await h.post('/api/v1/cases', 'applicant', idea, { 'Idempotency-Key': 'idea-1' });
    const again = await h.post('/api/v1/cases', 'applicant', idea, { 'Idempotency-Key': 'idea-1' });
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.body.id).toBe(first.body.id);
    expect(again.headers['idempotent-replayed']).toBe('true');
    const [{ after }] = await h.database.db.select({ after: count() }).from(cases);
    expect(after).toBe(before + 1);
    const [{ last }] = await h.database.db.select({ last: caseNumbers.last }).from(caseNumbers);
    expect(`PK-${stockholmYear(Date.now())}-${String(last).padStart(4, '0')}`).toBe(first.body.id);

    expectProblem(await h.post('/api/v1/cases', 'applicant', { ...idea, title: 'Något annat' }, { 'Idempotency-Key': 'idea-1' }), 422, 'idempotency-key-reused');
  });

  test('a case submission retried after its answer was lost reaches the same case', async () => {
    const [{ before }] = await h.database.db.select({ before: count() }).from(cases);
    const first = await h.post('/api/v1/cases', 'applicant', idea, { 'Idempotency-Key': 'idea-lost' });
    expect(first.status).toBe(201);
    // What the store does when a request ends in a 5xx: the key is released for the client's retry.
    await h.database.db.delete(idempotencyKeys).where(eq(idempotencyKeys.key, 'idea-lost'));
    const retried = await h.post('/api/v1/cases', 'applicant', idea, { 'Idempotency-Key': 'idea-lost' });
    expect(retried.status).toBe(201);
    expect(retried.body.id).toBe(first.body.id);
    expect(retried.body.seq).toBe(1);
    const [{ after }] = await h.database.db.select({ after: count() }).from(cases);
    expect(after).toBe(before + 1);
  });

  test('a submission retried after its case was withdrawn gets that case, and starts nothing', async () => {
    const first = await h.post('/api/v1/cases', 'applicant', idea, { 'Idempotency-Key': 'idea-withdrawn' });
    const id = first.body.id as string;
    expect((await act(id, 'withdraw', 'applicant')).status).toBe(200);
    await h.env.client.workflow.getHandle(id).result();
    const [{ before }] = await h.database.db.select({ before: count() }).from(cases);
    await h.database.db.delete(idempotencyKeys).where(eq(idempotencyKeys.key, 'idea-withdrawn'));
    const retried = await h.post('/api/v1/cases', 'applicant', idea, { 'Idempotency-Key': 'idea-withdrawn' });
    expect(retried.status).toBe(201);
    expect(retried.body).toMatchObject({ id, stage: 'withdrawn' });
    const [{ after }] = await h.database.db.select({ after: count() }).from(cases);
    expect(after).toBe(before);
    const { status } = await h.env.client.workflow.getHandle(id).describe();
    expect(status.name).toBe('COMPLETED');
  });

  test('a repeated action with the same key is taken once', async () => {
    const id = await submitIdea();
    const first = await act(id, 'screen-idea', 'officer', BODIES['screen-idea'], { 'Idempotency-Key': 'screen-1' });
    const again = await act(id, 'screen-idea', 'officer', BODIES['screen-idea'], { 'Idempotency-Key': 'screen-1' });
    expect([first.status, again.status]).toEqual([200, 200]);
    expect(again.body).toEqual(first.body);
    const screenings = await h.database.db.select().from(auditEvents).where(eq(auditEvents.caseId, id));
    expect(screenings.filter((e) => e.action === 'screen-idea')).toHaveLength(1);
    // Without the key, the same request is a new one, and the case has moved on.
    expectProblem(await act(id, 'screen-idea', 'officer'), 409, 'stage-not-allowed');
  });

  test('an action retried after its answer was lost gets the step it took, not a 409', async () => {
    const id = await submitIdea();
    const first = await act(id, 'screen-idea', 'officer', BODIES['screen-idea'], { 'Idempotency-Key': 'screen-lost' });
    expect(first.status).toBe(200);
    // What the store does when a request ends in a 5xx: the key is released for the client's retry.
    await h.database.db.delete(idempotencyKeys).where(eq(idempotencyKeys.key, 'screen-lost'));
    const retried = await act(id, 'screen-idea', 'officer', BODIES['screen-idea'], { 'Idempotency-Key': 'screen-lost' });
    expect(retried.status).toBe(200);
    expect(retried.body.seq).toBe(first.body.seq);
    const steps = await h.database.db.select().from(auditEvents).where(eq(auditEvents.caseId, id));
    expect(steps.filter((e) => e.action === 'screen-idea')).toHaveLength(1);
  });
});
