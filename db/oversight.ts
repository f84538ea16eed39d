// The read model as the follow-up and oversight figures need it: running projects, savings claims, the
// stretches of lead time and finished projects with the tolerances of their rule sets. Each query takes
// only the parts of the case views it needs out of the JSON, in SQL; oversight/ computes the figures.
import { and, asc, eq, gte, inArray, lt, or, type SQL, sql } from 'drizzle-orm';
import type { FinishedProject } from '../oversight/adherence';
import type { BallEvent, LeadTimeCase } from '../oversight/leadTimes';
import type { RunningCase } from '../oversight/runningProjects';
import type { SavingsCase } from '../oversight/savingsRegister';
import type { CaseView, Report, RuleSet, Stage } from '../workflows/types';
import { auditColumns } from './audit';
import type { Db } from './client';
import { auditEvents, cases, portfolios, ruleSets } from './schema';

const RUNNING: Stage[] = ['execution', 'closure'];

/** Projects in execution, or in closure with the final report not yet approved. */
export async function runningCases(db: Db, filter: { portfolio?: string }, limit: number): Promise<RunningCase[]> {
  return db.select({
    id: cases.id, title: cases.title, organisation: cases.organisation, portfolio: cases.portfolio, stage: sql<Stage>`${cases.stage}`,
    grantedAmount: cases.grantedAmount, projectStart: cases.projectStart,
    plannedEnd: sql<string | null>`${cases.view}->>'plannedEnd'`,
    reports: sql<Report[]>`${cases.view}->'reports'`,
    deviations: sql<CaseView['deviations']>`${cases.view}->'deviations'`,
    changeRequests: sql<CaseView['changeRequests']>`${cases.view}->'changeRequests'`,
    terminated: sql<CaseView['terminated']>`${cases.view}->'terminated'`,
  }).from(cases).where(and(
    inArray(cases.stage, RUNNING),
    filter.portfolio !== undefined ? eq(cases.portfolio, filter.portfolio) : undefined,
  )).orderBy(asc(cases.id)).limit(limit);
}

/** Portfolios by number with their Swedish names: the pages and the overview name them. */
export async function portfolioNames(db: Db): Promise<{ id: string; number: number; name: string }[]> {
  return db.select({ id: portfolios.id, number: portfolios.number, name: portfolios.nameSv }).from(portfolios).orderBy(asc(portfolios.number));
}

const RECEIVED_EFFECTS = '$.reports[*] ? (@.type == "effect" && @.status == "received")';

/** Cases with savings claims in their application; of one organisation, and with savings in one budget year, when asked. */
export async function savingsCases(db: Db, filter: { organisation?: string; year?: number }, limit: number): Promise<SavingsCase[]> {
  const plannedEnd = sql`${cases.view}->>'plannedEnd'`;
  return db.select({
    id: cases.id, title: cases.title, organisation: cases.organisation, stage: sql<Stage>`${cases.stage}`,
    plannedEnd: sql<string | null>`${plannedEnd}`,
    doubleCount: sql<CaseView['doubleCount']>`${cases.view}->'doubleCount'`,
    claims: sql<SavingsCase['claims']>`${cases.view}->'application'->'savingsClaims'`,
    granted: sql<boolean>`coalesce(${cases.view}->'decision'->>'outcome' = 'approve', false)`,
    terminated: sql<boolean>`jsonb_typeof(${cases.view}->'terminated') = 'object'`,
    effects: sql<Report[]>`jsonb_path_query_array(${cases.view}, ${RECEIVED_EFFECTS})`,
  }).from(cases).where(and(
    sql`jsonb_array_length(coalesce(${cases.view}->'application'->'savingsClaims', '[]'::jsonb)) > 0`,
    filter.organisation !== undefined ? eq(cases.organisation, filter.organisation) : undefined,
    // The budget year is the year after the planned end (oversight/savingsRegister.ts).
    filter.year !== undefined ? sql`${plannedEnd} LIKE ${`${filter.year - 1}-%`}` : undefined,
  )).orderBy(asc(cases.id)).limit(limit);
}

/** Decided (approved or rejected) in [from, to): the cases whose lead times the dashboard shows. */
const decidedIn = (range: { from?: string; to?: string }): SQL => and(
  sql`${cases.decisionAt} IS NOT NULL`,
  range.from !== undefined ? gte(cases.decisionAt, range.from) : undefined,
  range.to !== undefined ? lt(cases.decisionAt, range.to) : undefined,
) as SQL;

const RECEIVED_ON_DEADLINE = '$.reports[*] ? (@.status == "received" && @.type != "final")';

/** The decided cases with the audit events that move the ball between applicant and city, oldest first. */
export async function leadTimeCases(db: Db, range: { from?: string; to?: string }): Promise<LeadTimeCase[]> {
  const decided = await db.select({
    id: cases.id, organisation: cases.organisation, portfolio: cases.portfolio,
    reports: sql<Report[]>`jsonb_path_query_array(${cases.view}, ${RECEIVED_ON_DEADLINE})`,
  }).from(cases).where(decidedIn(range)).orderBy(asc(cases.id));
  if (decided.length === 0) return [];
  // Every row asked for here is a case's step, so its case id is set.
  const events = await db.select({ caseId: sql<string>`${auditEvents.caseId}`, at: auditColumns.at, action: auditEvents.action, stageAfter: sql<Stage>`${auditEvents.stageAfter}` })
    .from(auditEvents).where(and(
      inArray(auditEvents.caseId, db.select({ id: cases.id }).from(cases).where(decidedIn(range))),
      or(sql`${auditEvents.stageBefore} IS DISTINCT FROM ${auditEvents.stageAfter}`, inArray(auditEvents.action, ['submit-final-report', 'return-final-report'])),
    )).orderBy(asc(auditEvents.caseId), asc(auditEvents.caseSeq));
  const byCase = new Map<string, BallEvent[]>();
  for (const e of events) byCase.set(e.caseId, [...(byCase.get(e.caseId) ?? []), { at: e.at, action: e.action, stageAfter: e.stageAfter }]);
  return decided.map((c) => ({
    id: c.id, organisation: c.organisation, portfolio: c.portfolio, events: byCase.get(c.id) ?? [],
    reports: c.reports.filter((r) => r.receivedAt !== undefined).map((r) => ({ dueAt: r.dueAt, receivedAt: r.receivedAt as string })),
  }));
}

/** Projects whose closure was approved and that were not terminated, with the tolerances of their rule sets. */
export async function finishedProjects(db: Db): Promise<FinishedProject[]> {
  const rows = await db.select({
    id: cases.id, portfolio: cases.portfolio, ruleSetVersion: cases.ruleSetVersion,
    deviation: sql<RuleSet['deviation']>`${ruleSets.rules}->'deviation'`,
    grantedAtDecision: sql<number>`(${cases.view}->'decision'->>'grantedAmount')::bigint`.mapWith(Number),
    finalCost: sql<number>`(${cases.view}->'finalReport'->>'finalCost')::bigint`.mapWith(Number),
    plannedEndAtApplication: sql<string>`${cases.view}->'application'->>'plannedEnd'`,
    plannedEndNow: sql<string>`${cases.view}->>'plannedEnd'`,
    finalReportAt: sql<string>`${cases.view}->'finalReport'->>'submittedAt'`,
  }).from(cases).innerJoin(ruleSets, eq(ruleSets.version, cases.ruleSetVersion))
    .where(and(inArray(cases.stage, ['followUp', 'completed']), sql`jsonb_typeof(${cases.view}->'finalReport') = 'object'`))
    .orderBy(asc(cases.id));
  return rows.map(({ deviation, ...r }) => ({ ...r, tolerance: { costTolerance: deviation.costTolerance, endDateSlip: deviation.endDateSlip } }));
}
