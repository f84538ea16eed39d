// Follow-up and oversight through the HTTP API on the real case workflow (time-skipping server, worker
// in-process, real SMTP): a feasibility study linked to the implementation that follows it, priority ranks
// unique within a portfolio on a meeting, a case moved to another meeting, and the council's effect
// evaluation, by email and on the case.
import { formatAmount } from '../../activities/templates/format';
import { caseViewSchema } from '../../api/schemas/cases';
import type { CaseView } from '../../workflows/types';
import { apiHarness, expectProblem, type ApiHarness, type CallerName } from './support';

let h: ApiHarness;
beforeAll(async () => {
  h = await apiHarness({ worker: true });
  for (const date of ['2026-12-10', '2027-01-14']) expect((await h.post('/api/v1/council/meetings', 'officer', { date })).status).toBe(201);
});
afterAll(() => h?.close());

const M1 = 'UR-2026-12-10';
const M2 = 'UR-2027-01-14';

const idea = { title: 'Digital skolval', need: 'Skolvalet görs på papper', idea: 'En e-tjänst för skolval', contact: { email: 'anna@utbildning.example' } };

const application = (over: Record<string, unknown> = {}) => ({
  portfolio: 'p1', kind: 'implementation', totalCost: 2_000_000, costPerYear: { 2027: 2_000_000 }, plannedStart: '2027-01-01', plannedEnd: '2027-12-31',
  projectLeader: 'Lena Projektledare',
  benefits: { citizenBenefit: 3_000_000, businessBenefit: 1_500_000, developmentCost: 2_000_000, operationCost: 300_000, expectedUsers: 20_000, timeFreedHoursPerYear: 4_000 },
  owner: { name: 'Utbildningsdirektören', managementObject: 'Skolval', operationCostAccepted: true },
  ...over,
});

async function act(id: string, action: string, who: CallerName, body: object = {}) {
  return h.post(`/api/v1/cases/${id}/actions/${action}`, who, body);
}

async function step(id: string, action: string, who: CallerName, body: object = {}): Promise<CaseView & { allowedActions: string[]; links: { feasibilityStudy: { id: string } | null; implementations: { id: string }[] } }> {
  const res = await act(id, action, who, body);
  expect({ action, status: res.status, problem: res.status === 200 ? undefined : res.body }).toEqual({ action, status: 200, problem: undefined });
  expect(caseViewSchema.safeParse(res.body).error).toBeUndefined();
  return res.body;
}

/** A new case of the caller's organisation, its idea approved. */
async function approvedIdea(who: CallerName = 'applicant'): Promise<string> {
  const res = await h.post('/api/v1/cases', who, idea);
  expect(res.status).toBe(201);
  await step(res.body.id, 'screen-idea', 'officer', { outcome: 'approve' });
  return res.body.id;
}

/** Applied for, valued and recommended: waiting for the council. */
async function forCouncil(app: object, who: CallerName = 'applicant'): Promise<string> {
  const id = await approvedIdea(who);
  await step(id, 'submit-application', who, app);
  await step(id, 'record-valuation', 'valuer', { citizenBenefit: 2_500_000, businessBenefit: 1_200_000, developmentCost: 2_100_000, operationCost: 320_000 });
  await step(id, 'recommend', 'preparer', { recommendation: 'support', motivation: 'God nytta' });
  return id;
}

const claim = (id: string) => ({ savingsClaims: [{ key: `utbildning:${id}`, description: 'Pappershantering', amountPerYear: 400_000 }] });

describe('a feasibility study and the implementation that follows it', () => {
  test('the application names the study; both cases show the link', async () => {
    const study = await approvedIdea();
    await step(study, 'submit-application', 'applicant', application({ kind: 'feasibility', totalCost: 300_000, costPerYear: { 2027: 300_000 } }));
    const impl = await approvedIdea();
    const applied = await step(impl, 'submit-application', 'applicant', application({ feasibilityStudy: study }));
    expect(applied.application?.feasibilityStudy).toBe(study);
    expect(applied.links).toEqual({ feasibilityStudy: { id: study, title: 'Digital skolval', organisation: 'utbildning', stage: 'preparation' }, implementations: [] });
    const seenFromStudy = await h.get(`/api/v1/cases/${study}`, 'officer');
    expect(seenFromStudy.body.links).toEqual({ feasibilityStudy: null, implementations: [{ id: impl, title: 'Digital skolval', organisation: 'utbildning', stage: 'preparation' }] });
    expect((await h.get(`/api/v1/catalogue?organisation=utbildning&limit=200`, 'otherApplicant')).body.items.find((c: { id: string }) => c.id === impl).feasibilityStudy).toBe(study);
  });

  test('an unknown case, one that is no feasibility study, another organisation\'s study, or a study naming one: 422 naming the rule, nothing changes', async () => {
    const theirs = await approvedIdea('otherApplicant');
    await step(theirs, 'submit-application', 'otherApplicant', application({ kind: 'feasibility', totalCost: 300_000, costPerYear: { 2027: 300_000 } }));
    const implementation = await approvedIdea();
    await step(implementation, 'submit-application', 'applicant', application());
    const ownStudy = await approvedIdea();
    await step(ownStudy, 'submit-application', 'applicant', application({ kind: 'feasibility', totalCost: 300_000, costPerYear: { 2027: 300_000 } }));

    const id = await approvedIdea();
    for (const body of [
      application({ feasibilityStudy: 'PK-2026-9999' }),
      application({ feasibilityStudy: implementation }),
      application({ feasibilityStudy: theirs }),
      application({ feasibilityStudy: id }),
      application({ kind: 'feasibility', feasibilityStudy: ownStudy }),
    ]) {
      const res = await act(id, 'submit-application', 'applicant', body);
      expectProblem(res, 422, 'rule-violation');
      expect(res.body.rule).toBe('feasibility-study-unknown');
    }
    expectProblem(await act(id, 'submit-application', 'applicant', application({ feasibilityStudy: 'förstudien' })), 400, 'validation-failed');
    expect((await h.get(`/api/v1/cases/${id}`, 'officer')).body).toMatchObject({ stage: 'application', application: null });
  });
});

describe('the council: unique priorities within a portfolio on a meeting, and cases moved between meetings', () => {
  test('a case moved to another meeting is recorded and leaves the first agenda; a priority taken in the portfolio is a 422', async () => {
    const first = await forCouncil(application(claim('first')));
    const second = await forCouncil(application(claim('second')));
    const otherPortfolio = await forCouncil(application({ portfolio: 'p2', ...claim('p2') }));
    for (const id of [first, second, otherPortfolio]) await step(id, 'schedule-council', 'officer', { meetingId: M1 });

    // Moved to January, and back: each move recorded with where it came from.
    expect((await step(second, 'schedule-council', 'officer', { meetingId: M2 })).council).toEqual({ meetingId: M2 });
    const agendas = async () => Object.fromEntries((await h.get('/api/v1/council/meetings', 'council')).body.items.map((m: { id: string; agenda: string[] }) => [m.id, m.agenda]));
    expect(await agendas()).toEqual({ [M1]: [first, otherPortfolio].sort(), [M2]: [second] });
    await step(second, 'schedule-council', 'officer', { meetingId: M1 });
    expect((await agendas())[M2]).toEqual([]);
    const moves = (await h.get(`/api/v1/cases/${second}/history`, 'auditor')).body.items.filter((e: { action: string }) => e.action === 'schedule-council');
    expect(moves.map((e: { outcome: unknown }) => e.outcome)).toEqual([null, { meetingId: M2, movedFrom: M1 }, { meetingId: M1, movedFrom: M2 }]);

    await step(first, 'council-opinion', 'council', { opinion: 'recommend', priority: 1 });
    const taken = await act(second, 'council-opinion', 'council', { opinion: 'recommend', priority: 1 });
    expectProblem(taken, 422, 'rule-violation');
    expect(taken.body.rule).toBe('priority-taken');
    expect(taken.body.detail).toContain(first);
    expect((await h.get(`/api/v1/cases/${second}`, 'officer')).body).toMatchObject({ stage: 'council', council: { meetingId: M1 } });
    await step(second, 'council-opinion', 'council', { opinion: 'recommend', priority: 2 });
    // Another portfolio ranks on its own.
    await step(otherPortfolio, 'council-opinion', 'council', { opinion: 'recommend', priority: 1 });
    // Once the council has given its opinion the case stays on its meeting.
    expectProblem(await act(second, 'schedule-council', 'officer', { meetingId: M2 }), 409, 'stage-not-allowed');

    const pack = (await h.get(`/api/v1/council/meetings/${M1}/pack`, 'council')).body;
    expect(pack.portfolios.map((p: { id: string; cases: { caseId: string; priority: number; movedFrom: string | null }[] }) => [p.id, p.cases.map((c) => [c.caseId, c.priority, c.movedFrom])]))
      .toEqual([['p1', [[first, 1, null], [second, 2, M2]]], ['p2', [[otherPortfolio, 1, null]]]]);
  });
});

describe("the council's effect evaluation", () => {
  test('an effect report sends the council the evaluation table, the same figures the case shows', async () => {
    const id = await forCouncil(application(claim('effect')));
    await step(id, 'schedule-council', 'officer', { meetingId: M2 });
    await step(id, 'council-opinion', 'council', { opinion: 'recommend', priority: 1 });
    await step(id, 'budget-check', 'budget', { outcome: 'ok' });
    await step(id, 'decide', 'director', { outcome: 'approve', grantedAmount: 2_000_000, projectStart: '2027-01-01', motivation: 'Ryms i ramen' });
    await step(id, 'submit-final-report', 'applicant', {
      outcome: 'Skolvalet är digitalt', finalCost: 1_900_000, deliveredAgainstPlan: 'Allt levererat', handoverConfirmed: true, supportArrangement: 'Servicedesk', followUpPlan: 'Statistik',
    });
    await step(id, 'approve-closure', 'officer', {});
    await h.env.sleep('370 days');
    for (let i = 0; i < 200 && (await h.get(`/api/v1/cases/${id}`, 'officer')).body.reports.find((r: { id: string }) => r.id === 'E1').status === 'scheduled'; i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    await step(id, 'submit-effect-report', 'applicant', {
      reportId: 'E1', realised: { citizenBenefit: 2_800_000, businessBenefit: 1_400_000, developmentCost: 1_900_000, operationCost: 330_000 },
      savings: [{ key: `utbildning:effect`, realisedAmountPerYear: 380_000 }], comment: 'Nästan all nytta kom hem',
    });

    const evaluation = (await h.get(`/api/v1/cases/${id}/evaluation`, 'council')).body;
    expect(evaluation.parts.map((p: { part: string; applied: number; valued: number; realised: number }) => [p.part, p.applied, p.valued, p.realised])).toEqual([
      ['citizenBenefit', 3_000_000, 2_500_000, 2_800_000],
      ['businessBenefit', 1_500_000, 1_200_000, 1_400_000],
      ['developmentCost', 2_000_000, 2_100_000, 1_900_000],
      ['operationCost', 300_000, 320_000, 330_000],
    ]);
    expect(evaluation.savings).toMatchObject([{ key: 'utbildning:effect', booked: 400_000, realised: 380_000, kept: true }]);

    let email;
    for (let i = 0; i < 200 && !(email = h.smtp.to('utvecklingsradet@stockholm.se').find((m) => m.subject.includes(id) && m.subject.includes('Effektrapport'))); i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(email).toBeDefined();
    const kr = (n: number) => formatAmount(n, 'sv');
    const row = (...cells: string[]) => new RegExp(cells.map((c) => c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join(' +'));
    expect(email!.text).toMatch(row('Nytta för medborgare', kr(3_000_000), kr(2_500_000), kr(2_800_000), '112 %'));
    expect(email!.text).toMatch(row('Drift- och förvaltningskostnad', kr(300_000), kr(320_000), kr(330_000), '103 %'));
    expect(email!.text).toMatch(row('Pappershantering (utbildning:effect)', kr(400_000), kr(380_000)));
    expect(email!.text).toContain('Förväntade användare inom 1–3 år: 20\u00a0000');
    expect(email!.text).toContain('Utfall enligt slutrapporten: Skolvalet är digitalt');
    expect(email!.text).toContain(`${id}/evaluation`);
    expect(email!.html).toMatch(/<table[^>]*>.*Nytta för medborgare.*<\/table>/s);
    expect(email!.html).toContain(`>${kr(2_800_000)}</td>`);
  });
});
