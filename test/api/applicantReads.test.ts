// What an applicant reads, on every path: a real case (worker, time-skipping server) goes through every kind
// of internal assessment (a double-count finding, the valuation, a completion request, the preparation
// group's recommendation, the council's opinion, the budget check's remarks, a return to preparation, a
// change request's budget check), each written with a marker and by officials with marked ids. Then the
// applicant calls every operation the OpenAPI document lets an applicant call, in every representation
// offered, and no answer holds a marker; the officer's view of the same case holds them all.
import request from 'supertest';
import type { Claims } from '../../api/auth';
import { caseViewSchema } from '../../api/schemas/cases';
import { stockholmDate, stockholmYear } from '../../workflows/calendar';
import { apiHarness, type ApiHarness } from './support';

let h: ApiHarness;
beforeAll(async () => { h = await apiHarness({ worker: true }); }, 60_000);
afterAll(() => h?.close());

const YEAR = stockholmYear(Date.now()) + 1;
/** Every official's id and name carries this mark; no applicant's answer may. */
const OFFICIAL = 'tj4711';
const official = (role: string, org?: string): Claims => ({ sub: `${OFFICIAL}-${role.replace(':', '-')}`, name: `Tjänsteperson ${OFFICIAL}`, roles: [role], ...(org ? { org } : {}) });
const officer = official('officer');
const valuer = official('valuer', 'serviceforvaltningen');
const preparer = official('preparer');
const council = official('council');
const budget = official('budget');
const director = official('decider:stadsdirektor');

/** Each internal assessment's text, as the officials write it. */
const INTERNAL = {
  valuation: 'INTERNT-värdering: nyttan är överskattad',
  doubleCount: 'INTERNT-dubbelräkning: stadsbyggnad bokade först',
  preparation: 'INTERNT-beredning: svag förankring',
  council: 'INTERNT-råd: lägre prioritet än övriga',
  budget: 'INTERNT-budget: osäker driftkostnad',
  returned: 'INTERNT-återremiss: bered om nyttokalkylen',
  preparationAgain: 'INTERNT-beredning-2: nu tillstyrkt',
  councilAgain: 'INTERNT-råd-2: tillstyrks',
  budgetAgain: 'INTERNT-budget-2: inga hinder',
  changeBudget: 'INTERNT-budget-ändring: täckning saknas i ramen',
} as const;
const MARKS = [OFFICIAL, 'INTERNT'];

const SAVING = 'stad:e-arkiv-papper';
const application = (today: string) => ({
  portfolio: 'p1', kind: 'implementation', totalCost: 2_000_000, plannedStart: today, plannedEnd: `${YEAR}-12-31`, projectLeader: 'Lena Projektledare',
  benefits: { citizenBenefit: 3_000_000, businessBenefit: 1_500_000, developmentCost: 2_000_000, operationCost: 300_000, expectedUsers: 20_000 },
  savingsClaims: [{ key: SAVING, description: 'Pappersarkiv', amountPerYear: 400_000 }],
  owner: { name: 'Utbildningsdirektören', managementObject: 'E-arkiv', operationCostAccepted: true },
});
const idea = { title: 'E-arkiv för skolan', need: 'Arkivet är på papper', idea: 'Ett e-arkiv', contact: { name: 'Anna Andersson', email: 'anna@utbildning.example' } };

let caseId: string;
let today: string;

async function act(id: string, action: string, who: Claims | 'applicant' | 'otherApplicant', body: object) {
  const res = await h.post(`/api/v1/cases/${id}/actions/${action}`, who, body);
  expect({ action, status: res.status, problem: res.status === 200 ? undefined : res.body }).toEqual({ action, status: 200, problem: undefined });
  return res.body;
}

beforeAll(async () => {
  today = stockholmDate(await h.env.currentTimeMs());
  const meetingId = (await h.post('/api/v1/council/meetings', officer, { date: `${YEAR - 1}-12-10`, title: 'Utvecklingsrådet' })).body.id;

  // Another organisation books the saving first, so the applicant's claim is flagged in the double-count check.
  const other = (await h.post('/api/v1/cases', 'otherApplicant', { ...idea, contact: undefined })).body.id;
  await act(other, 'screen-idea', officer, { outcome: 'approve' });
  await act(other, 'submit-application', 'otherApplicant', application(today));

  caseId = (await h.post('/api/v1/cases', 'applicant', idea)).body.id;
  await act(caseId, 'screen-idea', officer, { outcome: 'approve', coach: 'Carl Coach' });
  await act(caseId, 'assign', officer, { preparationGroup: 'Beredningsgrupp 1' });
  await act(caseId, 'submit-application', 'applicant', application(today));
  await act(caseId, 'record-valuation', valuer, { citizenBenefit: 2_000_000, businessBenefit: 1_000_000, developmentCost: 2_100_000, operationCost: 350_000, comment: INTERNAL.valuation });
  await act(caseId, 'request-completion', preparer, { missing: ['Tillgänglighetsanalys'] });
  await act(caseId, 'submit-application', 'applicant', { ...application(today), accessibility: 'WCAG 2.1 AA' });
  await act(caseId, 'resolve-double-count', officer, { key: SAVING, resolution: 'keep', comment: INTERNAL.doubleCount });
  await act(caseId, 'recommend', preparer, { recommendation: 'notSupport', motivation: INTERNAL.preparation });
  await act(caseId, 'schedule-council', officer, { meetingId });
  await act(caseId, 'council-opinion', council, { opinion: 'notRecommend', priority: 3, comment: INTERNAL.council });
  await act(caseId, 'budget-check', budget, { outcome: 'remarks', remarks: INTERNAL.budget });
  await act(caseId, 'decide', director, { outcome: 'return', motivation: INTERNAL.returned });
  await act(caseId, 'recommend', preparer, { recommendation: 'support', motivation: INTERNAL.preparationAgain });
  await act(caseId, 'schedule-council', officer, { meetingId });
  await act(caseId, 'council-opinion', council, { opinion: 'recommend', priority: 1, comment: INTERNAL.councilAgain });
  await act(caseId, 'budget-check', budget, { outcome: 'ok', remarks: INTERNAL.budgetAgain });
  await act(caseId, 'decide', director, { outcome: 'approve', grantedAmount: 2_000_000, projectStart: today, conditions: 'Rapportera användningen', motivation: 'Beviljas: ryms i ramen' });
  await act(caseId, 'request-change', officer, { reason: 'Arkivformatet kräver mer arbete', newTotalCost: 2_150_000 });
  await act(caseId, 'budget-check', budget, { outcome: 'remarks', remarks: INTERNAL.changeBudget });
  await act(caseId, 'decide-change', director, { outcome: 'approve', motivation: 'Ändringen beviljas' });
}, 120_000);

test("the officer's view of the case holds every internal assessment and who made it", async () => {
  const text = (await h.get(`/api/v1/cases/${caseId}`, 'officer')).text;
  const current = [INTERNAL.valuation, INTERNAL.doubleCount, INTERNAL.preparationAgain, INTERNAL.councilAgain, INTERNAL.budgetAgain, INTERNAL.changeBudget];
  for (const mark of [...current, OFFICIAL]) {
    expect({ mark, found: text.includes(mark) }).toEqual({ mark, found: true });
  }
  // The first round's opinions and the return were replaced in the view by the second round's; the audit trail keeps them.
  const trail = (await h.get(`/api/v1/cases/${caseId}/history`, 'auditor')).text;
  for (const mark of Object.values(INTERNAL)) expect({ mark, found: trail.includes(mark) }).toEqual({ mark, found: true });
});

test('the applicant reads the case without internal assessments or officials, and still reads what is theirs', async () => {
  const res = await h.get(`/api/v1/cases/${caseId}`, 'applicant');
  expect(res.status).toBe(200);
  expect(caseViewSchema.safeParse(res.body).error).toBeUndefined();
  expect(res.body).toMatchObject({
    stage: 'execution', valuation: null, preparation: null, budgetCheck: null, grantedAmount: 2_150_000,
    council: { meetingId: expect.any(String) },
    decision: { outcome: 'approve', grantedAmount: 2_000_000, conditions: 'Rapportera användningen', motivation: 'Beviljas: ryms i ramen', tier: 'stadsdirektor' },
    doubleCount: [{ key: SAVING, resolution: 'keep' }],
    completionRequests: [{ missing: ['Tillgänglighetsanalys'] }],
    changeRequests: [{ reason: 'Arkivformatet kräver mer arbete', status: 'approved', motivation: 'Ändringen beviljas' }],
    idea: { screening: { outcome: 'approve', coach: 'Carl Coach' } },
  });
  expect(Object.keys(res.body.council)).toEqual(['meetingId']);
  expect(res.body.decision).not.toHaveProperty('by');
  expect(res.body.changeRequests[0]).not.toHaveProperty('budgetCheck');
  expect(res.body.doubleCount[0]).not.toHaveProperty('conflictingCases');
  expect(res.body.allowedActions).toEqual(expect.arrayContaining(['submit-report', 'request-change', 'submit-final-report']));

  const evaluation = await h.get(`/api/v1/cases/${caseId}/evaluation`, 'applicant');
  expect(evaluation.body.parts.map((p: { valued: unknown }) => p.valued)).toEqual([null, null, null, null]);
  const officers = await h.get(`/api/v1/cases/${caseId}/evaluation`, 'officer');
  expect(officers.body.parts.map((p: { valued: unknown }) => p.valued)).toEqual([2_000_000, 1_000_000, 2_100_000, 350_000]);
});

interface DocumentedOperation { 'x-roles': 'anyone' | 'authenticated' | string[]; parameters?: { name: string; in: string }[] }

/** Bodies for the operations an applicant may post; a new one must be added here, or the walk fails. */
const APPLICANT_POSTS: Record<string, () => object> = {
  '/cases': () => idea,
  '/cases/{id}/actions/submit-application': () => application(today),
  '/cases/{id}/actions/submit-report': () => ({ reportId: 'S1', time: 'green', cost: 'yellow', scope: 'green', spentToDate: 300_000, forecastTotalCost: 2_150_000, forecastEndDate: `${YEAR}-12-31` }),
  '/cases/{id}/actions/request-change': () => ({ reason: 'Fler skolor ansluter', newEndDate: `${YEAR}-12-31` }),
  '/cases/{id}/actions/submit-effect-report': () => ({ reportId: 'E1', realised: { citizenBenefit: 1, businessBenefit: 1, operationCost: 1 } }),
  '/cases/{id}/actions/withdraw': () => ({ reason: 'Behövs inte' }),
  // Last: it moves the case on to closure.
  '/cases/{id}/actions/submit-final-report': () => ({
    outcome: 'Levererat', finalCost: 2_100_000, deliveredAgainstPlan: 'Allt', handoverConfirmed: true, supportArrangement: 'Servicedesk', followUpPlan: 'Statistik',
  }),
};

test('no operation an applicant may call answers with an internal assessment or an official, in any representation', async () => {
  const document = (await h.get('/api/v1/openapi.json')).body as { paths: Record<string, Record<string, DocumentedOperation>> };
  const forApplicants = (op: DocumentedOperation) => op['x-roles'] === 'authenticated' || (Array.isArray(op['x-roles']) && op['x-roles'].includes('applicant'));
  const operations = Object.entries(document.paths).flatMap(([path, methods]) => Object.entries(methods)
    .filter(([, op]) => forApplicants(op)).map(([method, op]) => ({ path, method, op })));
  const posts = Object.keys(APPLICANT_POSTS);
  operations.sort((a, b) => (a.method === b.method ? posts.indexOf(a.path) - posts.indexOf(b.path) : a.method === 'get' ? -1 : 1));

  const walked: string[] = [];
  for (const { path, method, op } of operations) {
    const unknown = (op.parameters ?? []).filter((p) => p.in === 'path' && p.name !== 'id');
    expect({ path, unknownPathParameters: unknown }).toEqual({ path, unknownPathParameters: [] });
    const url = `/api/v1${path.replace('{id}', caseId)}`;
    const answers = method === 'get'
      ? await Promise.all(['application/json', 'text/csv', 'text/html'].map(async (accept) => request(h.app).get(url).set('Authorization', await h.auth('applicant')).set('Accept', accept)))
      : [await h.post(url, 'applicant', (APPLICANT_POSTS[path] ?? (() => { throw new Error(`no body for ${method} ${path}: add one to APPLICANT_POSTS`); }))())];
    for (const res of answers) {
      expect({ path, method, status: res.status < 500 }).toEqual({ path, method, status: true });
      for (const mark of MARKS) expect({ path, method, mark, found: res.text.includes(mark) }).toEqual({ path, method, mark, found: false });
    }
    walked.push(`${method} ${path} ${answers.map((a) => a.status).join(',')}`);
  }
  // The walk reached the reads and the actions whose answers are the case.
  expect(walked).toEqual(expect.arrayContaining([
    'get /cases 200,200,200', 'get /cases/{id} 200,200,200', 'get /cases/{id}/history 200,200,200', 'get /cases/{id}/evaluation 200,200,200',
    'get /savings-register 200,200,200', 'get /catalogue 200,200,200', 'post /cases 201',
    'post /cases/{id}/actions/submit-report 200', 'post /cases/{id}/actions/request-change 200', 'post /cases/{id}/actions/submit-final-report 200',
  ]));
}, 60_000);
