// Idea sketch to decision: screening outcomes, the completion loop, the valuation and double-count
// gates, delegation, withdrawal, and refusals that record nothing.
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { asc, eq } from 'drizzle-orm';
import * as schema from '../../db/schema';
import { REFUSALS } from '../../workflows/vocabulary';

const REFUSAL = { stage: REFUSALS.stage.type, role: REFUSALS.role.type, invalid: REFUSALS.invalid.type, rule: REFUSALS.rule.type };
import { allowedActionsFor } from '../../workflows/steps';
import { application, createHarness, NEXT_YEAR, people, type Harness } from './harness';

let h: Harness;
beforeAll(async () => { h = await createHarness('preparation'); });
afterAll(() => h?.close());

test('screening: reject and redirect end the case with the reason; the applicant is told', async () => {
  const rejected = await h.start();
  const v = await rejected.act('screen-idea', people.officer, { outcome: 'reject', reason: 'Ryms inte i portföljerna' });
  expect(v.stage).toBe('rejected');
  expect(v.applicantStatus.text.sv).toBe('Avslagen');
  expect(await rejected.finished()).toMatchObject({ stage: 'rejected' });

  const redirected = await h.start();
  const r = await redirected.act('screen-idea', people.officer, { outcome: 'redirect', reason: 'Grundläggande it-stöd finansieras av förvaltningen' });
  expect(r.stage).toBe('redirected');
  const emails = await redirected.emails();
  expect(emails.map((e) => `${e.template}:${e.recipient}`)).toEqual([
    'receipt:anna@utbildning.example', 'case-arrived:projektkontoret@stockholm.se', 'status-changed:anna@utbildning.example',
  ]);
});

test('a refused step records nothing: wrong stage, wrong role, another organisation, bad body', async () => {
  const c = await h.start();
  const before = await c.auditCount();

  const stage = await c.refusal('recommend', people.preparer, { recommendation: 'support', motivation: 'x' });
  expect(stage.type).toBe(REFUSAL.stage);
  expect(stage.details[0]).toEqual({ stage: 'idea', allowedActions: [] });

  expect((await c.refusal('screen-idea', people.applicant, { outcome: 'approve' })).type).toBe(REFUSAL.role);
  expect((await c.refusal('withdraw', people.otherApplicant, {})).type).toBe(REFUSAL.role);

  const invalid = await c.refusal('screen-idea', people.officer, { outcome: 'reject' });
  expect(invalid.type).toBe(REFUSAL.invalid);
  expect(invalid.details[0]).toEqual({ errors: [{ path: 'reason', message: 'reason is required unless the outcome is approve' }] });

  expect(await c.auditCount()).toBe(before);
  expect((await c.view()).stage).toBe('idea');
});

test('a second case with the same number is refused', async () => {
  const c = await h.start();
  await expect(h.start({ caseId: c.id })).rejects.toBeInstanceOf(WorkflowExecutionAlreadyStartedError);
});

test('completion loop (komplettering): asked twice, answered twice, then recommended', async () => {
  const c = await h.start();
  await c.act('screen-idea', people.officer, { outcome: 'approve' });
  await c.act('submit-application', people.applicant, application({ accessibility: undefined }));
  let v = await c.act('request-completion', people.preparer, { missing: ['Tillgänglighetsanalys saknas'] });
  expect(v.stage).toBe('completion');
  expect(v.applicantStatus.code).toBe('completion-requested');
  expect(v.deadlines).toEqual([expect.objectContaining({ what: 'completion', from: 'applicant' })]);
  // The preparation group cannot recommend while it waits for the applicant.
  expect((await c.refusal('recommend', people.preparer, { recommendation: 'support', motivation: 'x' })).type).toBe(REFUSAL.stage);

  v = await c.act('submit-application', people.applicant, application());
  expect(v).toMatchObject({ stage: 'preparation', application: { round: 2 } });
  await c.act('request-completion', people.preparer, { missing: ['Driftkostnaden behöver brytas ned'] });
  v = await c.act('submit-application', people.applicant, application());
  expect(v.application?.round).toBe(3);
  expect(v.completionRequests.map((r) => r.answeredAt !== undefined)).toEqual([true, true]);

  expect((await c.refusal('recommend', people.preparer, { recommendation: 'support', motivation: 'x' })).message).toMatch(/^valuation-required/);
  // A valuer from the applying organisation is not independent.
  const own = await c.refusal('record-valuation', people.ownOrgValuer, { citizenBenefit: 1, businessBenefit: 1, developmentCost: 1, operationCost: 1 });
  expect(own).toMatchObject({ type: REFUSAL.role, details: [{ rule: 'valuer-independence' }] });
  await c.act('record-valuation', people.valuer, { citizenBenefit: 1, businessBenefit: 1, developmentCost: 1, operationCost: 1 });
  v = await c.act('recommend', people.preparer, { recommendation: 'support', motivation: 'Komplett' });
  expect(v.stage).toBe('council');

  const receipts = (await c.emails()).filter((e) => e.template === 'receipt');
  expect(receipts).toHaveLength(4); // idea, application, two completion answers
});

test('the nyttokalkyl (benefit calculation) is required except in the experimental portfolio', async () => {
  const c = await h.start();
  await c.act('screen-idea', people.officer, { outcome: 'approve' });
  const noFigures = application({ benefits: { qualitative: 'Nya arbetssätt' } });
  expect((await c.refusal('submit-application', people.applicant, noFigures)).message).toMatch(/^benefit-calculation-required/);
  expect((await c.refusal('submit-application', people.applicant, application({ portfolio: 'p9' }))).message).toMatch(/^portfolio-unknown/);
  const v = await c.act('submit-application', people.applicant, { ...noFigures, portfolio: 'p5' });
  expect(v.portfolio).toBe('p5');
});

test('double-count check: a savings claim booked by another case blocks council until resolved', async () => {
  const first = await h.start();
  await first.act('screen-idea', people.officer, { outcome: 'approve' });
  await first.act('submit-application', people.applicant, application({ savingsClaims: [{ key: 'gemensam:e-arkiv', amountPerYear: 100_000 }] }));

  const second = await h.start();
  await second.act('screen-idea', people.officer, { outcome: 'approve' });
  let v = await second.act('submit-application', people.applicant, application({ savingsClaims: [{ key: 'gemensam:e-arkiv', amountPerYear: 100_000 }] }));
  expect(v.doubleCount).toEqual([{ key: 'gemensam:e-arkiv', conflictingCases: [first.id] }]);
  await second.act('record-valuation', people.valuer, { citizenBenefit: 1, businessBenefit: 1, developmentCost: 1, operationCost: 1 });
  expect((await second.refusal('recommend', people.preparer, { recommendation: 'support', motivation: 'x' })).message).toMatch(/^double-count-unresolved/);
  expect((await second.refusal('resolve-double-count', people.officer, { key: 'annan', resolution: 'keep' })).message).toMatch(/^double-count-unknown-key/);
  v = await second.act('resolve-double-count', people.officer, { key: 'gemensam:e-arkiv', resolution: 'removed', comment: 'Bokas i ' + first.id });
  expect(v.doubleCount[0].resolution).toBe('removed');
  expect((await second.act('recommend', people.preparer, { recommendation: 'support', motivation: 'ok' })).stage).toBe('council');
  expect((await second.emails()).some((e) => e.template === 'case-arrived' && e.recipient === 'projektkontoret@stockholm.se' && e.seq === 3)).toBe(true);
});

test('delegation: a tier decides any amount up to its limit; the tier for the amount applied for is told', async () => {
  const c = await h.start();
  await c.toDecision(application({ totalCost: 20_000_000, owner: { name: 'Direktören' } }));
  // The budget check hands the case to the tier the amount applied for needs.
  expect((await c.emails()).filter((e) => e.template === 'case-arrived' && e.recipient.startsWith('beslut+')).map((e) => e.recipient)).toEqual(['beslut+ks-ekonomiutskott@stockholm.se']);
  const before = await c.auditCount();
  const approve = { outcome: 'approve', grantedAmount: 20_000_000, projectStart: await h.today(), motivation: 'Beviljas' };
  const wrongTier = await c.refusal('decide', people.director, approve);
  expect(wrongTier).toMatchObject({ type: REFUSAL.role, details: [{ rule: 'delegation', tier: 'ks-ekonomiutskott' }] });
  expect((await c.refusal('decide', people.committee, { ...approve, grantedAmount: 25_000_000 })).message).toMatch(/^grant-exceeds-request/);
  expect((await c.refusal('decide', people.committee, approve)).message).toMatch(/^owner-operation-cost-accepted/);
  // 15 mnkr is within the city director's delegation, and so within the committee's above it: both pass delegation.
  expect((await c.refusal('decide', people.director, { ...approve, grantedAmount: 15_000_000 })).message).toMatch(/^owner-operation-cost-accepted/);
  expect((await c.refusal('decide', people.committee, { ...approve, grantedAmount: 15_000_000 })).message).toMatch(/^owner-operation-cost-accepted/);
  // Both are offered the decision: the director may grant up to 15 mnkr of the 20 applied for.
  const view = await c.view();
  expect(allowedActionsFor(view, people.director, Date.now())).toContain('decide');
  expect(allowedActionsFor(view, people.committee, Date.now())).toContain('decide');
  expect(await c.auditCount()).toBe(before);

  const reduced = await h.start();
  await reduced.toDecision(application({ totalCost: 20_000_000 }));
  const v = await reduced.act('decide', people.committee, { ...approve, grantedAmount: 15_000_000 });
  expect(v).toMatchObject({ stage: 'execution', grantedAmount: 15_000_000, decision: { tier: 'stadsdirektor', by: 'erik' } });
  // Termination of a 15 mnkr grant: the director may, and so may the committee.
  expect(allowedActionsFor(v, people.director, Date.now())).toContain('terminate');
  expect(allowedActionsFor(v, people.committee, Date.now())).toContain('terminate');

  const big = await h.start();
  await big.toDecision(application({ totalCost: 150_000_000, plannedEnd: `${NEXT_YEAR}-12-31` }));
  const frame = await big.refusal('decide', people.committee, { ...approve, grantedAmount: 150_000_000, projectStart: `${NEXT_YEAR}-01-01` });
  expect(frame).toMatchObject({ type: REFUSAL.rule, details: [{ rule: 'portfolio-frame' }] });
  expect((await big.view()).stage).toBe('decision');
});

test('double counting: two applications naming the same saving at the same moment cannot both escape the check', async () => {
  for (let round = 0; round < 3; round++) {
    const key = `gemensam:samtidig-${round}`;
    const [a, b] = await Promise.all([h.start(), h.start()]);
    await Promise.all([a.act('screen-idea', people.officer, { outcome: 'approve' }), b.act('screen-idea', people.officer, { outcome: 'approve' })]);
    const [va, vb] = await Promise.all([a, b].map((c) => c.act('submit-application', people.applicant, application({ savingsClaims: [{ key, amountPerYear: 100_000 }] }))));
    // The one that booked second sees the first.
    expect([va.doubleCount.length, vb.doubleCount.length].sort()).toEqual([0, 1]);
    const flagged = va.doubleCount.length ? va : vb;
    expect(flagged.doubleCount[0]).toEqual({ key, conflictingCases: [flagged === va ? b.id : a.id] });
  }
});

test('return to beredning (preparation) takes the recommendation, council and budget check anew', async () => {
  const c = await h.start();
  await c.toDecision();
  const v = await c.act('decide', people.director, { outcome: 'return', motivation: 'Nyttokalkylen behöver ses över' });
  expect(v).toMatchObject({ stage: 'preparation', preparation: null, council: null, budgetCheck: null, decision: { outcome: 'return', tier: 'stadsdirektor' } });
  expect(v.applicantStatus.code).toBe('in-preparation');
});

test('withdrawal: any time before the decision, never after', async () => {
  const c = await h.start();
  await c.toDecision();
  const v = await c.act('withdraw', people.applicant, { reason: 'Löses inom ordinarie budget' });
  expect(v.stage).toBe('withdrawn');

  const granted = await h.start();
  await granted.toDecision();
  await granted.act('decide', people.director, { outcome: 'approve', grantedAmount: 1_800_000, projectStart: await h.today(), motivation: 'Beviljas' });
  const refused = await granted.refusal('withdraw', people.applicant, {});
  expect(refused.type).toBe(REFUSAL.stage);
  expect(refused.details[0]).toMatchObject({ stage: 'execution' });
});

test('the council advises against and the decider rejects: the grounds are kept in structured form', async () => {
  const c = await h.start();
  await c.act('screen-idea', people.officer, { outcome: 'approve' });
  await c.act('submit-application', people.applicant, application());
  await c.act('record-valuation', people.valuer, { citizenBenefit: 100_000, businessBenefit: 50_000, developmentCost: 2_000_000, operationCost: 400_000 });
  await c.act('recommend', people.preparer, { recommendation: 'notSupport', motivation: 'Nyttan motiverar inte kostnaden' });
  await c.act('schedule-council', people.officer, { meetingId: 'UR-2027-01' });
  let v = await c.act('council-opinion', people.council, { opinion: 'notRecommend', priority: 7, comment: 'Lägre prioritet än övriga förslag' });
  expect(v).toMatchObject({ stage: 'decision', council: { opinion: 'notRecommend', priority: 7 }, applicantStatus: { code: 'awaiting-decision' } });
  expect((await c.refusal('decide', people.director, { outcome: 'reject', motivation: 'x' })).type).toBe(REFUSAL.stage);
  await c.act('budget-check', people.budget, { outcome: 'remarks', remarks: 'Driftkostnaden saknar finansiering' });
  v = await c.act('decide', people.director, { outcome: 'reject', motivation: 'Avslås i enlighet med rådets yttrande' });
  expect(v).toMatchObject({ stage: 'rejected', grantedAmount: null, decision: { outcome: 'reject', tier: 'stadsdirektor', by: 'stina' } });
  const decisions = await h.database.db.select().from(schema.decisions).where(eq(schema.decisions.caseId, c.id)).orderBy(asc(schema.decisions.seq));
  expect(decisions.map((d) => [d.kind, d.outcome, d.decidedBy])).toEqual([
    ['screening', 'approve', 'karin'], ['preparation', 'notSupport', 'petra'], ['council', 'notRecommend', 'rolf'],
    ['budget', 'remarks', 'berit'], ['grant', 'reject', 'stina'],
  ]);
  expect(decisions[4].motivation).toBe('Avslås i enlighet med rådets yttrande');
});
