// Follow-up and oversight over HTTP, on cases written into the read model the way the workflow's recordStep
// activity writes them: the effect evaluation, the savings register, the council's meeting pack, the running
// projects, the catalogue, and the dashboard's lead times by who holds the ball and adherence.
import request from 'supertest';
import { createApp } from '../../api/app';
import { frameReservations } from '../../db/schema';
import { stockholmYear } from '../../workflows/calendar';
import type { CaseView, Report } from '../../workflows/types';
import { actors, application, CaseStory } from '../support/steps';
import { apiHarness, expectProblem, type ApiHarness } from './support';

let h: ApiHarness;
/** The frames are seeded for this year and the next two: the pack's cases ask money of this year. */
const Y = stockholmYear(Date.now());
const KEY = 'utbildning:forskola-pappersblanketter';
const M0 = 'UR-2026-04-01';
const M = 'UR-2026-05-20';

const idea = (title: string, need: string) => ({
  title, need, idea: `En e-tjänst: ${title}.`, expectedBenefits: 'Kortare handläggning.', organisation: '', contact: { name: 'Kim Kontakt', email: 'kim@kontakt.example' },
});

/** A case prepared for the council: applied for this year's money, valued, recommended and put on a meeting. */
async function onAgenda(id: string, organisation: string, portfolio: string, cost: number, meetingId: string, over: { kind?: 'feasibility' | 'implementation'; need?: string } = {}) {
  const story = new CaseStory(id, { organisation, title: `Ärende ${id}`, idea: { ...idea(`Ärende ${id}`, over.need ?? 'Papper.'), organisation } });
  await h.record(story.started());
  await h.record(story.screen('approve'));
  await h.record(story.submitApplication(application({
    portfolio, kind: over.kind ?? 'implementation', totalCost: cost, costPerYear: { [Y]: cost }, plannedStart: `${Y}-03-01`, plannedEnd: `${Y}-12-31`,
    savingsClaims: [],
  })));
  await h.record(story.step('record-valuation', {
    actor: actors.valuer, view: { valuation: { citizenBenefit: 2 * cost, businessBenefit: cost, developmentCost: cost, operationCost: cost / 10, by: 'vera', at: story.nextAt } },
  }));
  await h.record(story.recommend());
  await h.record(story.scheduleCouncil(meetingId));
  return story;
}

async function opinion(story: CaseStory, priority: number) {
  const council = { meetingId: story.view.council!.meetingId, opinion: 'recommend' as const, priority, by: 'rolf', at: story.nextAt };
  await h.record(story.step('council-opinion', { actor: actors.council, view: { stage: 'decision', council } }));
}

/** Granted after the usual steps, valued as given. */
async function granted(story: CaseStory, app = application(), valuation?: CaseView['valuation']) {
  await h.record(story.started());
  await h.record(story.screen('approve'));
  await h.record(story.submitApplication(app));
  if (valuation) await h.record(story.step('record-valuation', { actor: actors.valuer, view: { valuation } }));
  await h.record(story.recommend());
  await h.record(story.scheduleCouncil(M0));
  await h.record(story.councilOpinion());
  await h.record(story.budgetCheck());
  await h.record(story.decide('approve'));
}

const effect = (over: Partial<Report> & { content: Record<string, unknown> }): Report => ({
  id: 'E1', type: 'effect', periodStart: '2027-06-01', periodEnd: '2028-06-01', dueDate: '2028-06-01', dueAt: '2028-06-01T21:59:59.999Z',
  status: 'received', receivedAt: '2028-05-20T10:00:00.000Z', ...over,
});

const finalReport = (finalCost: number, submittedAt: string) => ({
  outcome: 'E-tjänsten är i drift i alla förskolor.', finalCost, deliveredAgainstPlan: 'Allt levererat', handoverConfirmed: true,
  supportArrangement: 'Servicedesk', followUpPlan: 'Statistik', submittedAt,
});

beforeAll(async () => {
  h = await apiHarness();
  for (const date of ['2026-04-01', '2026-05-20']) expect((await h.post('/api/v1/council/meetings', 'officer', { date })).status).toBe(201);

  // The meeting: three cases of p1 and one of p2; another case already reserves 5 000 000 of p1 this year.
  await h.database.db.insert(frameReservations).values({ caseId: 'PK-2025-0999', portfolioId: 'p1', year: Y, amount: 5_000_000 });
  await opinion(await onAgenda('PK-2026-0201', 'stadsbyggnad', 'p1', 15_000_000, M, { need: 'Bygglovshandlingar skickas på papper.' }), 1);
  await opinion(await onAgenda('PK-2026-0202', 'socialforvaltningen', 'p1', 30_000_000, M), 2);
  const flagged = await onAgenda('PK-2026-0203', 'stockholm-vatten', 'p1', 1_000_000, M);
  await h.record(flagged.step('resolve-double-count', { actor: actors.officer, view: { doubleCount: [{ key: 'vatten:mätare', conflictingCases: ['PK-2026-0202'], resolution: 'keep' }] } }));
  const moved = await onAgenda('PK-2026-0204', 'stokab', 'p2', 500_000, M0, { kind: 'feasibility' });
  await h.record(moved.step('schedule-council', { actor: actors.officer, input: { meetingId: M }, outcome: { meetingId: M, movedFrom: M0 }, view: { council: { meetingId: M } } }));

  // Followed up: valued, closed over budget, an effect report with every part.
  const followed = new CaseStory('PK-2026-0205', { title: 'Elevhälsans journal' });
  const app = application({ benefits: { ...application().benefits, timeFreedHoursPerYear: 5_000 } });
  await granted(followed, app, { citizenBenefit: 3_500_000, businessBenefit: 1_200_000, developmentCost: 3_100_000, operationCost: 320_000, by: 'vera', at: followed.nextAt });
  await h.record(followed.step('submit-final-report', { actor: actors.applicant, view: { stage: 'closure', finalReport: finalReport(3_200_000, followed.nextAt) } }));
  await h.record(followed.step('approve-closure', { actor: actors.officer, view: { stage: 'followUp', closure: { by: 'olof', at: followed.nextAt }, closedAt: followed.nextAt } }));
  await h.record(followed.step('submit-effect-report', {
    actor: actors.applicant,
    view: {
      stage: 'completed',
      reports: [...followed.view.reports, effect({
        content: { realised: { citizenBenefit: 3_000_000, businessBenefit: 1_000_000, developmentCost: 2_900_000, operationCost: 350_000 }, savings: [{ key: KEY, realisedAmountPerYear: 300_000 }], comment: 'Färre pappersansökningar än väntat.' },
      })],
    },
  }));

  // An earlier case: its effect report carried no development cost; it ended after its plan allowed.
  const earlier = new CaseStory('PK-2026-0206', { title: 'Skolskjuts i appen', createdAt: '2026-06-01T09:00:00.000Z' });
  await granted(earlier, application({ plannedStart: '2026-01-01', plannedEnd: '2026-03-31', costPerYear: undefined, savingsClaims: [{ key: 'utbildning:skolskjuts', amountPerYear: 100_000 }] }));
  await h.record(earlier.step('decide-change', { actor: actors.decider, view: { plannedEnd: '2027-06-30' } }));
  await h.record(earlier.step('submit-final-report', { actor: actors.applicant, view: { stage: 'closure', finalReport: finalReport(1_900_000, earlier.nextAt) } }));
  await h.record(earlier.step('approve-closure', { actor: actors.officer, view: { stage: 'followUp', closure: { by: 'olof', at: earlier.nextAt }, closedAt: earlier.nextAt } }));
  await h.record(earlier.step('submit-effect-report', {
    actor: actors.applicant,
    view: { reports: [...earlier.view.reports, effect({ content: { realised: { citizenBenefit: 10, businessBenefit: 20, operationCost: 30 }, savings: [{ key: 'utbildning:skolskjuts', realisedAmountPerYear: 0 }] } })] },
  }));

  // Savings that no longer count: a case withdrawn before its decision, and a terminated project.
  const gone = new CaseStory('PK-2026-0207', { title: 'Lärplattform' });
  await h.record(gone.started());
  await h.record(gone.screen('approve'));
  await h.record(gone.submitApplication(application({ savingsClaims: [{ key: 'utbildning:larplattform', amountPerYear: 50_000 }] })));
  await h.record(gone.withdraw());
  const stopped = new CaseStory('PK-2026-0208', { title: 'Skolmat' });
  await granted(stopped, application({ savingsClaims: [{ key: 'utbildning:skolmat', amountPerYear: 70_000 }] }));
  await h.record(stopped.terminate());

  // A running project: a completion round before its grant; its last report late, red on cost, a deviation and a change request open, a report overdue.
  const running = new CaseStory('PK-2026-0209', { organisation: 'socialforvaltningen', title: 'Försörjningsstöd digitalt' });
  await h.record(running.started());
  await h.record(running.screen('approve'));
  await h.record(running.submitApplication(application({ portfolio: 'p2', savingsClaims: [] })));
  await h.record(running.step('request-completion', { actor: actors.preparer, view: { stage: 'completion' } }));
  await h.record(running.submitApplication(application({ portfolio: 'p2', savingsClaims: [] })));
  await h.record(running.step('record-valuation', { actor: actors.valuer }));
  await h.record(running.recommend());
  await h.record(running.scheduleCouncil(M0));
  await h.record(running.councilOpinion());
  await h.record(running.budgetCheck());
  await h.record(running.decide('approve'));
  const [r1, r2, r3] = running.view.reports;
  const received = { ...r1, status: 'received' as const, receivedAt: '2026-07-16T21:59:59.999Z', content: { time: 'green', cost: 'red', scope: 'yellow', spentToDate: 1_000_000, forecastTotalCost: 3_200_000, forecastEndDate: '2027-08-31' } };
  await h.record(running.step('submit-report', {
    actor: actors.applicant,
    view: { reports: [received, r2, r3], deviations: [{ at: received.receivedAt, reportId: 'r1', reasons: ['Prognosen överstiger beviljat belopp med mer än 10 %'] }] },
  }));
  await h.record(running.reportOverdue('r2'));
  await h.record(running.requestChange(3_200_000));
});
afterAll(() => h?.close());

describe('the effect evaluation', () => {
  test('each part applied for, valued and realised; each savings claim booked and realised; users and time beside the outcome', async () => {
    const res = await h.get('/api/v1/cases/PK-2026-0205/evaluation', 'council');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ caseId: 'PK-2026-0205', stage: 'completed', basedOn: 'E1' });
    expect(res.body.parts).toEqual([
      { part: 'citizenBenefit', applied: 4_000_000, valued: 3_500_000, realised: 3_000_000, realisedOfValuedPercent: 86, byReport: [{ reportId: 'E1', realised: 3_000_000 }] },
      { part: 'businessBenefit', applied: 1_500_000, valued: 1_200_000, realised: 1_000_000, realisedOfValuedPercent: 83, byReport: [{ reportId: 'E1', realised: 1_000_000 }] },
      { part: 'developmentCost', applied: 3_000_000, valued: 3_100_000, realised: 2_900_000, realisedOfValuedPercent: 94, byReport: [{ reportId: 'E1', realised: 2_900_000 }] },
      { part: 'operationCost', applied: 300_000, valued: 320_000, realised: 350_000, realisedOfValuedPercent: 109, byReport: [{ reportId: 'E1', realised: 350_000 }] },
    ]);
    expect(res.body.savings).toEqual([{
      key: KEY, description: 'Manuell registrering av pappersansökningar', booked: 400_000, kept: true, realised: 300_000, byReport: [{ reportId: 'E1', realised: 300_000 }],
    }]);
    expect(res.body.savingsTotal).toEqual({ booked: 400_000, realised: 300_000 });
    expect(res.body.expectations).toEqual({
      expectedUsers: 20_000, timeFreedHoursPerYear: 5_000, qualitative: null, outcome: 'E-tjänsten är i drift i alla förskolor.', deliveredAgainstPlan: 'Allt levererat',
    });
    expect(res.body.effectReports).toEqual([{ id: 'E1', dueDate: '2028-06-01', status: 'received', receivedAt: '2028-05-20T10:00:00.000Z', comment: 'Färre pappersansökningar än väntat.' }]);
  });

  test("an earlier case's effect report without a development cost shows the final report's final cost as realised", async () => {
    const res = await h.get('/api/v1/cases/PK-2026-0206/evaluation', 'officer');
    expect(res.body.parts.find((p: { part: string }) => p.part === 'developmentCost')).toMatchObject({ applied: 3_000_000, valued: null, realised: 1_900_000, realisedOfValuedPercent: null });
  });

  test('before any effect report the realised figures are empty', async () => {
    const res = await h.get('/api/v1/cases/PK-2026-0209/evaluation', 'auditor');
    expect(res.body.basedOn).toBeNull();
    expect(res.body.parts.map((p: { realised: number | null }) => p.realised)).toEqual([null, null, null, null]);
    expect(res.body.savingsTotal).toEqual({ booked: 0, realised: null });
  });

  test("applicants read their own organisation's evaluations only; an unknown case is a 404; budget may not", async () => {
    expect((await h.get('/api/v1/cases/PK-2026-0205/evaluation', 'applicant')).status).toBe(200);
    expectProblem(await h.get('/api/v1/cases/PK-2026-0205/evaluation', 'otherApplicant'), 403, 'forbidden');
    expectProblem(await h.get('/api/v1/cases/PK-2026-0999/evaluation', 'officer'), 404, 'not-found');
    expectProblem(await h.get('/api/v1/cases/nonsense/evaluation', 'officer'), 400, 'validation-failed');
    expectProblem(await h.get('/api/v1/cases/PK-2026-0205/evaluation', 'budget'), 403, 'forbidden');
  });
});

describe('the savings register', () => {
  test('per organisation and budget year: pending, booked, realised, not yet realised and withdrawn, with the cases behind each', async () => {
    const res = await h.get('/api/v1/savings-register?organisation=utbildning&year=2028', 'budget');
    expect(res.status).toBe(200);
    expect(res.body.items).toHaveLength(1);
    const [entry] = res.body.items;
    const cases = (f: { claims: { caseId: string }[] }) => f.claims.map((c) => c.caseId);
    expect(entry).toMatchObject({ organisation: 'utbildning', year: 2028 });
    // The applications plan to end in May 2027 (-0206's end was moved to June 2027): all in budget year 2028.
    expect({ amount: entry.booked.amount, cases: cases(entry.booked) }).toEqual({ amount: 500_000, cases: ['PK-2026-0205', 'PK-2026-0206'] });
    expect({ amount: entry.realised.amount, cases: cases(entry.realised) }).toEqual({ amount: 300_000, cases: ['PK-2026-0205', 'PK-2026-0206'] });
    expect({ amount: entry.notYetRealised.amount, cases: cases(entry.notYetRealised) }).toEqual({ amount: 0, cases: [] });
    expect({ amount: entry.withdrawn.amount, cases: cases(entry.withdrawn) }).toEqual({ amount: 120_000, cases: ['PK-2026-0207', 'PK-2026-0208'] });
    expect(entry.withdrawn.claims.map((c: { withdrawnBecause: string }) => c.withdrawnBecause)).toEqual(['withdrawn', 'terminated']);
    expect(entry.pending).toEqual({ amount: 0, claims: [] });
    expect(entry.booked.claims[0]).toEqual({
      caseId: 'PK-2026-0205', title: 'Elevhälsans journal', stage: 'completed', key: KEY, description: 'Manuell registrering av pappersansökningar', status: 'booked',
      amountPerYear: 400_000, realisedAmountPerYear: 300_000, effectReport: 'E1', withdrawnBecause: null,
    });
  });

  test('as CSV, one row per claim, ready for a spreadsheet', async () => {
    const res = await request(h.app).get('/api/v1/savings-register?organisation=utbildning&year=2028').set('Authorization', await h.auth('officer')).set('Accept', 'text/csv');
    expect(res.headers['content-type']).toContain('text/csv');
    expect(res.headers['content-disposition']).toContain('besparingsregister-utbildning-2028.csv');
    const [header, ...rows] = res.text.replace(/^\uFEFF/, '').trim().split('\r\n');
    expect(header).toBe('organisation,year,status,caseId,title,stage,key,description,amountPerYear,realisedAmountPerYear,effectReport,withdrawnBecause');
    expect(rows).toEqual([
      `utbildning,2028,booked,PK-2026-0205,Elevhälsans journal,completed,${KEY},Manuell registrering av pappersansökningar,400000,300000,E1,`,
      'utbildning,2028,booked,PK-2026-0206,Skolskjuts i appen,followUp,utbildning:skolskjuts,,100000,0,E1,',
      'utbildning,2028,withdrawn,PK-2026-0207,Lärplattform,withdrawn,utbildning:larplattform,,50000,,,withdrawn',
      'utbildning,2028,withdrawn,PK-2026-0208,Skolmat,closure,utbildning:skolmat,,70000,,,terminated',
    ]);
  });

  test("applicants read their own organisation's register; another's is a 403; a bad year is a 400", async () => {
    const own = await h.get('/api/v1/savings-register', 'applicant');
    expect(own.status).toBe(200);
    expect(new Set(own.body.items.map((e: { organisation: string }) => e.organisation))).toEqual(new Set(['utbildning']));
    expectProblem(await h.get('/api/v1/savings-register?organisation=utbildning', 'otherApplicant'), 403, 'forbidden');
    expect((await h.get('/api/v1/savings-register', 'otherApplicant')).body.items).toEqual([]);
    const bad = await h.get('/api/v1/savings-register?year=abc', 'officer');
    expectProblem(bad, 400, 'validation-failed');
    expect(bad.body.errors[0].path).toBe('query.year');
    expectProblem(await h.get('/api/v1/savings-register', 'valuer'), 403, 'forbidden');
  });
});

describe("the council's meeting pack", () => {
  test('every case on the agenda side by side, in priority order per portfolio, with the frame left after the cases ahead', async () => {
    const res = await h.get(`/api/v1/council/meetings/${M}/pack`, 'council');
    expect(res.status).toBe(200);
    expect(res.body.meeting).toEqual({ id: M, date: '2026-05-20', title: null });
    const [p1, p2] = res.body.portfolios;
    expect(p1.id).toBe('p1');
    expect(p1.cases.map((c: { caseId: string; priority: number | null }) => [c.caseId, c.priority])).toEqual([['PK-2026-0201', 1], ['PK-2026-0202', 2], ['PK-2026-0203', null]]);
    // 40 mnkr frame, 5 mnkr held by a case not on the agenda: 35 left before the first.
    expect(p1.cases.map((c: { frameLeft: unknown[] }) => c.frameLeft)).toEqual([
      [{ year: Y, requested: 15_000_000, leftBefore: 35_000_000, leftAfter: 20_000_000 }],
      [{ year: Y, requested: 30_000_000, leftBefore: 20_000_000, leftAfter: -10_000_000 }],
      [{ year: Y, requested: 1_000_000, leftBefore: -10_000_000, leftAfter: -11_000_000 }],
    ]);
    expect(p1.cases.map((c: { fits: boolean }) => c.fits)).toEqual([true, false, false]);
    expect(p1.frames).toEqual([{ year: Y, frame: 40_000_000, reservedByOthers: 5_000_000, requestedHere: 46_000_000, leftAfterAll: -11_000_000 }]);
    expect(p1.cases[0]).toMatchObject({
      title: 'Ärende PK-2026-0201', stage: 'decision', organisation: { id: 'stadsbyggnad', name: 'Stadsbyggnadskontoret' }, kind: 'implementation', amountApplied: 15_000_000,
      valuation: { citizenBenefit: 30_000_000, businessBenefit: 15_000_000, developmentCost: 15_000_000, operationCost: 1_500_000, comment: null },
      recommendation: { recommendation: 'support', motivation: 'Tydlig nyttokalkyl och beslutad förvaltning.' },
      opinion: { opinion: 'recommend', comment: null }, doubleCount: [], movedFrom: null,
    });
    expect(p1.cases[2].doubleCount).toEqual([{ key: 'vatten:mätare', conflictingCases: ['PK-2026-0202'], resolution: 'keep' }]);
    expect(p2.cases).toEqual([expect.objectContaining({ caseId: 'PK-2026-0204', kind: 'feasibility', movedFrom: M0 })]);
  });

  test('a case moved to another meeting leaves the first one', async () => {
    const before = await h.get(`/api/v1/council/meetings/${M0}/pack`, 'officer');
    expect(before.body.portfolios.flatMap((p: { cases: { caseId: string }[] }) => p.cases.map((c) => c.caseId))).not.toContain('PK-2026-0204');
  });

  test('is for officers, the council and auditors; an unknown meeting is a 404', async () => {
    expectProblem(await h.get(`/api/v1/council/meetings/${M}/pack`, 'applicant'), 403, 'forbidden');
    expectProblem(await h.get(`/api/v1/council/meetings/${M}/pack`, 'budget'), 403, 'forbidden');
    expect((await h.get(`/api/v1/council/meetings/${M}/pack`, 'auditor')).status).toBe(200);
    expectProblem(await h.get('/api/v1/council/meetings/UR-1999-01-01/pack', 'officer'), 404, 'not-found');
  });
});

describe('running projects', () => {
  test('per portfolio: last lights, spent against grant, forecast, open deviations and change requests, late reports', async () => {
    const res = await h.get('/api/v1/running-projects', 'council');
    expect(res.status).toBe(200);
    expect(res.body.items.map((p: { portfolio: { id: string } }) => p.portfolio.id)).toEqual(['p1', 'p2']);
    const [p1, p2] = res.body.items;
    expect(p1.projects.map((x: { caseId: string; terminated: boolean; stage: string }) => [x.caseId, x.stage, x.terminated])).toEqual([['PK-2026-0208', 'closure', true]]);
    expect(p2.projects).toEqual([{
      caseId: 'PK-2026-0209', title: 'Försörjningsstöd digitalt', organisation: 'socialforvaltningen', stage: 'execution', terminated: false,
      grantedAmount: 2_800_000, projectStart: '2026-06-01', plannedEnd: '2027-05-31',
      lastReport: { id: 'r1', type: 'sixWeek', periodEnd: '2026-07-13', receivedAt: '2026-07-16T21:59:59.999Z', time: 'green', cost: 'red', scope: 'yellow' },
      spentToDate: 1_000_000, spentOfGrantPercent: 36, forecastTotalCost: 3_200_000, forecastEndDate: '2027-08-31',
      openDeviations: [{ reportId: 'r1', at: '2026-07-16T21:59:59.999Z', reasons: ['Prognosen överstiger beviljat belopp med mer än 10 %'] }],
      openChangeRequests: [{ id: 'cr1', requestedAt: expect.any(String), reason: 'Integrationen med placeringssystemet blev dyrare.', newTotalCost: 3_200_000, newEndDate: null }],
      lateReports: [{ id: 'r2', type: 'tertial2', dueDate: '2026-09-15', status: 'overdue' }],
    }]);
    expect(p2.totals).toEqual({ projects: 1, granted: 2_800_000, spentToDate: 1_000_000, forecastTotalCost: 3_200_000, red: 1, openDeviations: 1, openChangeRequests: 1, lateReports: 1 });
    expect((await h.get('/api/v1/running-projects?portfolio=p2', 'officer')).body.items.map((p: { portfolio: { id: string } }) => p.portfolio.id)).toEqual(['p2']);
  });

  test('as CSV, one row per project', async () => {
    const res = await request(h.app).get('/api/v1/running-projects').set('Authorization', await h.auth('auditor')).set('Accept', 'text/csv');
    expect(res.headers['content-type']).toContain('text/csv');
    const lines = res.text.replace(/^\uFEFF/, '').trim().split('\r\n');
    expect(lines[0]).toBe('portfolio,caseId,title,organisation,stage,terminated,grantedAmount,spentToDate,spentOfGrantPercent,forecastTotalCost,forecastEndDate,plannedEnd,lastReport,time,cost,scope,openDeviations,openChangeRequests,lateReports');
    expect(lines).toContain('p2,PK-2026-0209,Försörjningsstöd digitalt,socialforvaltningen,execution,false,2800000,1000000,36,3200000,2027-08-31,2027-05-31,r1,green,red,yellow,1,1,r2');
  });

  test('is not for applicants', async () => {
    expectProblem(await h.get('/api/v1/running-projects', 'applicant'), 403, 'forbidden');
  });
});

describe('overviews stay bounded', () => {
  test('past OVERVIEW_MAX_CASES the running projects and the savings register ask to be narrowed (422), never answer a part as the whole', async () => {
    const capped = createApp({ ...h.deps, config: { ...h.config, overviewMaxCases: 1 } });
    const get = async (url: string) => request(capped).get(url).set('Authorization', await h.auth('officer'));
    // Two running projects, one in each of p1 and p2.
    const both = await get('/api/v1/running-projects');
    expectProblem(both, 422, 'rule-violation');
    expect(both.body).toMatchObject({ rule: 'overview-too-broad', detail: expect.stringContaining('name a portfolio') });
    expect((await get('/api/v1/running-projects?portfolio=p2')).status).toBe(200);
    const register = await get('/api/v1/savings-register');
    expectProblem(register, 422, 'rule-violation');
    expect(register.body.detail).toContain('name an organisation or a year');
    expect((await request(h.app).get('/api/v1/savings-register').set('Authorization', await h.auth('officer'))).status).toBe(200);
  });
});

describe('the catalogue', () => {
  test('every signed-in user sees what all organisations develop, and nothing internal', async () => {
    const res = await h.get('/api/v1/catalogue?limit=200', 'applicant');
    expect(res.status).toBe(200);
    expect(res.body.items.map((c: { organisation: string }) => c.organisation)).toEqual(expect.arrayContaining(['stadsbyggnad', 'socialforvaltningen', 'stokab', 'utbildning']));
    const entry = res.body.items.find((c: { id: string }) => c.id === 'PK-2026-0205');
    expect(entry).toEqual({
      id: 'PK-2026-0205', title: 'Elevhälsans journal', organisation: 'utbildning', portfolio: 'p1', kind: 'implementation', stage: 'completed',
      need: 'Föräldrar ansöker på papper och väntar veckor på besked.', idea: 'En e-tjänst där ansökan, placering och besked sker digitalt.',
      expectedBenefits: 'Kortare handläggning, färre fel.', projectLeader: 'Karin Nord', outcome: 'E-tjänsten är i drift i alla förskolor.', feasibilityStudy: null,
      createdAt: '2026-02-02T09:00:00.000Z',
    });
    // No contact details, valuations, budget remarks or council opinions.
    const text = JSON.stringify(res.body);
    for (const hidden of ['@', 'kim@kontakt', 'valuation', 'budgetCheck', 'Hög prioritet', 'Kim Kontakt']) expect(text).not.toContain(hidden);
    // A terminated project's final report is not yet approved: no outcome.
    expect(res.body.items.find((c: { id: string }) => c.id === 'PK-2026-0208').outcome).toBeNull();
  });

  test('searchable by words of the need, idea, title or number; filtered by portfolio, organisation and stage', async () => {
    const ids = async (q: string) => (await h.get(`/api/v1/catalogue?${q}`, 'otherApplicant')).body.items.map((c: { id: string }) => c.id);
    expect(await ids('q=bygglovshandling')).toEqual(['PK-2026-0201']);
    expect(await ids('q=elevhälsans')).toEqual(['PK-2026-0205']);
    expect(await ids('portfolio=p2&stage=execution')).toEqual(['PK-2026-0209']);
    expect(await ids('organisation=stokab')).toEqual(['PK-2026-0204']);
    expectProblem(await h.get('/api/v1/catalogue?stage=nowhere', 'applicant'), 400, 'validation-failed');
  });

  test("pages by cursor; the case list stays limited to the applicant's own organisation", async () => {
    const first = await h.get('/api/v1/catalogue?limit=2', 'applicant');
    const second = await h.get(`/api/v1/catalogue?limit=2&cursor=${first.body.nextCursor}`, 'applicant');
    const all = await h.get('/api/v1/catalogue?limit=200', 'applicant');
    expect([...first.body.items, ...second.body.items].map((c: { id: string }) => c.id)).toEqual(all.body.items.slice(0, 4).map((c: { id: string }) => c.id));
    expectProblem(await h.get('/api/v1/cases/PK-2026-0201', 'applicant'), 403, 'forbidden');
    expect((await h.get('/api/v1/cases', 'applicant')).body.items.every((c: { organisation: string }) => c.organisation === 'utbildning')).toBe(true);
    expectProblem(await h.get('/api/v1/catalogue'), 401, 'unauthenticated');
  });
});

describe('the dashboard: lead times by who holds the ball, and adherence', () => {
  test('per portfolio, organisation and stage, the time waiting on the applicant apart from the time with the city', async () => {
    const { leadTimes } = (await h.get('/api/v1/dashboard', 'officer')).body;
    // PK-2026-0209, a step a day: idea 1, application 1, preparation 1 + 2, completion 1, council 2, decision 2; its first report 3 days late.
    expect(leadTimes.byOrganisation.find((o: { organisation: string }) => o.organisation === 'socialforvaltningen'))
      .toEqual({ organisation: 'socialforvaltningen', cases: 1, withCityMedianDays: 8, withApplicantMedianDays: 5 });
    expect(leadTimes.byPortfolio.find((p: { portfolio: string }) => p.portfolio === 'p2')).toEqual({ portfolio: 'p2', cases: 1, withCityMedianDays: 8, withApplicantMedianDays: 5 });
    const stage = (s: string) => leadTimes.byStage.find((x: { segment: string }) => x.segment === s);
    expect(stage('completion')).toEqual({ segment: 'completion', holder: 'applicant', cases: 1, medianDays: 1 });
    expect(stage('reportsLate')).toEqual({ segment: 'reportsLate', holder: 'applicant', cases: 1, medianDays: 3 });
    // The followed-up cases: the final report filed, reviewed for a day before the closure was approved.
    expect(stage('closure:city')).toEqual({ segment: 'closure:city', holder: 'city', cases: 2, medianDays: 1 });
    expect(stage('application')).toMatchObject({ holder: 'applicant', cases: 4, medianDays: 1 });
    // Decided: PK-2026-0205, -0206, -0208 (utbildning, p1) and -0209.
    expect(leadTimes.byOrganisation.find((o: { organisation: string }) => o.organisation === 'utbildning')).toMatchObject({ cases: 3 });
  });

  test('finished projects over budget and over time, by the tolerances of their rule set', async () => {
    const { adherence } = (await h.get('/api/v1/dashboard', 'auditor')).body;
    // PK-2026-0205: 3.2 mnkr against 2.8 granted (+10 % allowed). PK-2026-0206: planned to end in March 2026 (+8 weeks), ended in June.
    expect(adherence).toMatchObject({
      finished: 2,
      overBudget: { count: 1, share: 0.5, cases: ['PK-2026-0205'] },
      overTime: { count: 1, share: 0.5, cases: ['PK-2026-0206'] },
      tolerances: [{ ruleSetVersion: 1, costTolerance: 0.1, endDateSlip: 'P8W', projects: 2 }],
    });
    expect(adherence.byPortfolio).toEqual([expect.objectContaining({ portfolio: 'p1', finished: 2 })]);
  });
});

describe('the OpenAPI document', () => {
  test('documents every endpoint, with its CSV and HTML forms', async () => {
    const { paths } = (await h.get('/openapi.json')).body;
    expect(Object.keys(paths['/cases/{id}/evaluation'].get.responses)).toEqual(expect.arrayContaining(['200', '400', '401', '403', '404']));
    expect(Object.keys(paths['/savings-register'].get.responses['200'].content)).toEqual(['application/json', 'text/csv']);
    expect(Object.keys(paths['/council/meetings/{id}/pack'].get.responses['200'].content)).toEqual(['application/json', 'text/html']);
    expect(Object.keys(paths['/running-projects'].get.responses['200'].content)).toEqual(['application/json', 'text/csv', 'text/html']);
    expect(paths['/catalogue'].get.parameters.map((p: { name: string }) => p.name)).toEqual(['q', 'portfolio', 'organisation', 'stage', 'limit', 'cursor']);
  });
});
