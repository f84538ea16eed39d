// What the office's dashboard shows, computed in the database: cases per stage, late reports, lead times
// and benefits planned against realised. Frame use is db/readModel.ts's frameUse, the outbox's figures
// db/outbox.ts's outboxHealth.
import { and, asc, eq, gte, inArray, lt, type SQL, type SQLWrapper, sql } from 'drizzle-orm';
import type { ApplicationInput, Report, Stage } from '../workflows/types';
import type { Db } from './client';
import { LATE_REPORT_STATUSES } from '../workflows/reports';
import { cases, reports } from './schema';

export async function countsByStage(db: Db): Promise<Partial<Record<Stage, number>>> {
  const rows = await db.select({ stage: cases.stage, n: sql<number>`count(*)`.mapWith(Number) }).from(cases).groupBy(cases.stage);
  return Object.fromEntries(rows.map((r) => [r.stage, r.n]));
}

/** Reports overdue, and escalated (overdue past the escalation offset), now. */
export async function lateReportCounts(db: Db): Promise<{ overdue: number; escalated: number }> {
  const rows = await db.select({ status: reports.status, n: sql<number>`count(*)`.mapWith(Number) }).from(reports)
    .where(inArray(reports.status, [...LATE_REPORT_STATUSES])).groupBy(reports.status);
  const by = Object.fromEntries(rows.map((r) => [r.status, r.n]));
  return { overdue: by.overdue ?? 0, escalated: by.escalated ?? 0 };
}

export interface OverdueReport {
  caseId: string; title: string; organisation: string; reportId: string; type: string; dueDate: string; status: string;
}

/** Reports past due and not received (overdue, or escalated to the officers), longest overdue first. */
export async function overdueReports(db: Db, { limit = 200 }: { limit?: number } = {}): Promise<OverdueReport[]> {
  return db.select({
    caseId: reports.caseId, title: cases.title, organisation: cases.organisation,
    reportId: reports.id, type: reports.type, dueDate: reports.dueDate, status: reports.status,
  }).from(reports).innerJoin(cases, eq(cases.id, reports.caseId))
    .where(inArray(reports.status, [...LATE_REPORT_STATUSES]))
    .orderBy(asc(reports.dueAt), asc(reports.caseId), asc(reports.id)).limit(limit);
}

export interface LeadTime { medianDays: number | null; cases: number }

const days = (later: SQLWrapper, earlier: SQLWrapper) =>
  sql`extract(epoch from (${later} - ${earlier})) / 86400`;

function median(expr: SQL) {
  return sql<number | null>`percentile_cont(0.5) WITHIN GROUP (ORDER BY ${expr})`.mapWith((v) => (v === null ? null : Number(v)));
}

/**
 * Median days from idea to decision, application to decision and decision to project start, over
 * cases decided (approved or rejected) in [from, to).
 */
export async function leadTimes(db: Db, range: { from?: string; to?: string } = {}): Promise<Record<'ideaToDecision' | 'applicationToDecision' | 'decisionToStart', LeadTime>> {
  const start = sql`(${cases.projectStart}::timestamp AT TIME ZONE 'Europe/Stockholm')`;
  const [row] = await db.select({
    ideaToDecision: median(days(cases.decisionAt, cases.createdAt)),
    ideaN: sql<number>`count(*)`.mapWith(Number),
    applicationToDecision: median(days(cases.decisionAt, cases.applicationAt)),
    applicationN: sql<number>`count(${cases.applicationAt})`.mapWith(Number),
    decisionToStart: median(days(start, cases.decisionAt)),
    startN: sql<number>`count(${cases.projectStart})`.mapWith(Number),
  }).from(cases).where(and(
    sql`${cases.decisionAt} IS NOT NULL`,
    range.from !== undefined ? gte(cases.decisionAt, range.from) : undefined,
    range.to !== undefined ? lt(cases.decisionAt, range.to) : undefined,
  ));
  return {
    ideaToDecision: { medianDays: row.ideaToDecision, cases: row.ideaN },
    applicationToDecision: { medianDays: row.applicationToDecision, cases: row.applicationN },
    decisionToStart: { medianDays: row.decisionToStart, cases: row.startN },
  };
}

export interface BenefitParts { citizenBenefit: number; businessBenefit: number; operationCost: number; savingsPerYear: number }
const zero = (): BenefitParts => ({ citizenBenefit: 0, businessBenefit: 0, operationCost: 0, savingsPerYear: 0 });

/** Planned against realised, over the cases whose effect follow-up has begun; read from their case views. */
export async function benefits(db: Db): Promise<{ cases: number; planned: BenefitParts; realised: BenefitParts }> {
  const received = '$.reports[*] ? (@.type == "effect" && @.status == "received")';
  const rows = await db.select({
    application: sql<Pick<ApplicationInput, 'benefits' | 'savingsClaims'> | null>`${cases.view}->'application'`,
    effects: sql<Report[]>`jsonb_path_query_array(${cases.view}, ${received})`,
  }).from(cases).where(sql`jsonb_path_exists(${cases.view}, ${received})`);
  const planned = zero();
  const realised = zero();
  for (const { application, effects } of rows) {
    planned.citizenBenefit += application?.benefits.citizenBenefit ?? 0;
    planned.businessBenefit += application?.benefits.businessBenefit ?? 0;
    planned.operationCost += application?.benefits.operationCost ?? 0;
    planned.savingsPerYear += (application?.savingsClaims ?? []).reduce((sum, c) => sum + (c.amountPerYear ?? 0), 0);
    const latest = [...effects].sort((a, b) => (a.receivedAt ?? '').localeCompare(b.receivedAt ?? '')).pop()?.content as
      { realised?: Partial<BenefitParts>; savings?: { realisedAmountPerYear: number }[] } | undefined;
    realised.citizenBenefit += latest?.realised?.citizenBenefit ?? 0;
    realised.businessBenefit += latest?.realised?.businessBenefit ?? 0;
    realised.operationCost += latest?.realised?.operationCost ?? 0;
    realised.savingsPerYear += (latest?.savings ?? []).reduce((sum, s) => sum + s.realisedAmountPerYear, 0);
  }
  return { cases: rows.length, planned, realised };
}
