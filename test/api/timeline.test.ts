// Who sees what of a case's history: officers, auditors and the council the full audit trail; the case's
// applicants their own timeline as they saw it (status changes and their own steps), without the names or
// roles of officials and without internal assessments, also those a return to preparation cleared from
// their view; other applicants nothing.
import { CaseStory } from '../support/steps';
import { apiHarness, expectProblem, type ApiHarness } from './support';

let h: ApiHarness;
const ID = 'PK-2026-0001';

beforeAll(async () => {
  h = await apiHarness();
  const story = new CaseStory(ID);
  const steps = [
    story.started(), story.screen('approve'), story.submitApplication(),
    story.step('record-valuation', { actor: { id: 'vera', name: 'Vera Sjö', roles: ['valuer'], org: 'stadsledningskontoret' }, input: { citizenBenefit: 1, businessBenefit: 2, developmentCost: 3, operationCost: 4, comment: 'Överskattad nytta' } }),
    story.recommend(), story.scheduleCouncil('ur-2026-03'), story.councilOpinion(), story.budgetCheck(),
    // Returned to preparation: valuation and recommendation are cleared from the view.
    story.decide('return'),
  ];
  for (const step of steps) await h.record(step);
}, 60_000);
afterAll(() => h?.close());

test("the case's applicant gets the timeline: when their status changed and what they did, nothing of officials or assessments", async () => {
  const res = await h.get(`/api/v1/cases/${ID}/history`, 'applicant');
  expect(res.status).toBe(200);
  expect(res.body.source).toBe('timeline');
  const items = res.body.items as { seq: number; at: string; status: { code: string } | null; action: string | null }[];
  expect(items.map((i) => [i.seq, i.status?.code, i.action])).toEqual([
    [1, 'received', 'case-started'],
    [2, expect.any(String), null],
    [3, expect.any(String), 'submit-application'],
    ...items.slice(3).map((i) => [i.seq, expect.any(String), null]),
  ]);
  // Every entry is a change of what they saw, or their own step.
  const statuses = items.map((i) => JSON.stringify(i.status));
  expect(statuses.every((s, n) => n === 0 || s !== statuses[n - 1] || items[n].action !== null)).toBe(true);
  const text = JSON.stringify(res.body);
  for (const hidden of ['Vera', 'vera', 'Per Holm', 'Cecilia', 'Bengt', 'Dora', 'olof', 'valuer', 'preparer', 'decider', 'Överskattad', 'record-valuation', 'recommend', 'council-opinion', 'budget-check', 'motivation', 'hash']) {
    expect(text).not.toContain(hidden);
  }
});

test('the engine history is not for applicants; other applicants see nothing', async () => {
  expectProblem(await h.get(`/api/v1/cases/${ID}/history?source=engine`, 'applicant'), 403, 'forbidden');
  expectProblem(await h.get(`/api/v1/cases/${ID}/history`, 'otherApplicant'), 403, 'forbidden');
});

test('officers, auditors and the council get the full trail, with who and what', async () => {
  for (const who of ['officer', 'auditor', 'council'] as const) {
    const res = await h.get(`/api/v1/cases/${ID}/history`, who);
    expect(res.body.source).toBe('audit');
    expect(res.body.items.map((e: { action: string }) => e.action)).toContain('record-valuation');
    expect(res.body.items.find((e: { action: string }) => e.action === 'record-valuation')).toMatchObject({ actor: { name: 'Vera Sjö' }, input: { comment: 'Överskattad nytta' } });
  }
});
