// The largest case the rules allow runs its whole life: a project of the longest length the rule set permits,
// every text at its limit in bytes (four-byte characters), every one of its ~60 reports filed with all four
// texts at their limit, a change request and the final and effect reports likewise, the history continuing
// as new several times. The workflow holds only what it decides on: its answers stay within the bound,
// while the reports' texts, far beyond the engine's 2 MB payload limit together, are in the database.
import { eq, sql } from 'drizzle-orm';
import { verifyAuditChain } from '../../db/audit';
import { caseById } from '../../db/readModel';
import { reports } from '../../db/schema';
import { MAX_HELD_BYTES } from '../../workflows/caseSize';
import { DEFAULT_RULES } from '../../workflows/defaults';
import type { CaseView } from '../../workflows/types';
import { utf8Bytes } from '../../workflows/utf8';
import { application, createHarness, fileReportsWhile, NEXT_YEAR, people, type Harness } from './harness';

let h: Harness;
beforeAll(async () => { h = await createHarness('largest-case'); });
afterAll(() => h?.close());

/** A text of exactly `bytes` bytes in UTF-8, of four-byte characters: the fewest characters for its size. */
const full = (bytes: number) => '𝄞'.repeat(bytes / 4);
const LONG = full(10_000);
const ENGINE_PAYLOAD_LIMIT = 2 * 1024 * 1024;

test('a five-year project with every text at its limit goes from idea sketch to completed', async () => {
  expect(DEFAULT_RULES.maxProjectLength).toBe('P5Y');
  const c = await h.start({ idea: { title: full(200), need: LONG, idea: LONG, expectedBenefits: LONG }, historyLimit: 400 });
  const start = `${NEXT_YEAR}-01-01`;
  const end = `${NEXT_YEAR + 5}-01-01`;
  await c.toDecision(application({
    totalCost: 5_000_000, plannedStart: start, plannedEnd: end, projectLeader: full(200),
    realisationPlan: LONG, accessibility: LONG, security: LONG,
    benefits: { citizenBenefit: 3_000_000, businessBenefit: 1_500_000, developmentCost: 5_000_000, operationCost: 300_000, qualitative: LONG },
    savingsClaims: Array.from({ length: 10 }, (_, i) => ({ key: `utbildning:storst-${i}`, description: LONG, amountPerYear: 100_000 })),
    owner: { name: full(200), managementObject: full(200), operationCostAccepted: true },
  }));
  let largest = 0;
  const onAnswer = (view: CaseView) => { largest = Math.max(largest, utf8Bytes(JSON.stringify(view))); };
  onAnswer(await c.act('decide', people.director, { outcome: 'approve', grantedAmount: 5_000_000, projectStart: start, conditions: LONG, motivation: LONG }));
  onAnswer(await c.act('request-change', people.applicant, { reason: LONG, scopeChange: LONG }));
  onAnswer(await c.act('decide-change', people.director, { outcome: 'reject', motivation: LONG }));

  const v = await fileReportsWhile(h, c, ['execution', 'closure', 'followUp'], {
    report: { forecastEndDate: end, milestones: LONG, risks: LONG, benefitOutlook: LONG, comment: LONG },
    final: { outcome: LONG, deliveredAgainstPlan: LONG, supportArrangement: LONG, followUpPlan: LONG },
    effect: { comment: LONG },
    onAnswer,
  });
  expect(v.stage).toBe('completed');
  expect(v.reports.length).toBeGreaterThan(55);
  expect(v.reports.every((r) => r.status === 'received')).toBe(true);
  expect(await c.finished()).toMatchObject({ stage: 'completed' });
  expect((await c.handle.describe()).runId).not.toBe(c.handle.firstExecutionRunId);

  // What the workflow held and answered stayed within the bound, far from the engine's limit.
  expect(largest).toBeLessThan(MAX_HELD_BYTES);
  // The reports' texts together would not fit in one payload: they are in the database, not in the case.
  const [{ bytes }] = await h.database.db.select({ bytes: sql<number>`sum(octet_length(${reports.texts}::text))::int` }).from(reports).where(eq(reports.caseId, c.id));
  expect(bytes).toBeGreaterThan(ENGINE_PAYLOAD_LIMIT);
  expect(v.reports.filter((r) => r.type === 'sixWeek').every((r) => r.content && !('risks' in r.content))).toBe(true);
  // Whoever reads the case reads them as filed.
  const read = (await caseById(h.database.db, c.id))!;
  const sixWeek = read.reports.filter((r) => r.type === 'sixWeek');
  expect(sixWeek.every((r) => r.content?.milestones === LONG && r.content.risks === LONG && r.content.benefitOutlook === LONG && r.content.comment === LONG)).toBe(true);
  expect(read.reports.find((r) => r.type === 'effect')?.content?.comment).toBe(LONG);

  expect(await verifyAuditChain(h.database.db)).toMatchObject({ ok: true });
}, 900_000);
