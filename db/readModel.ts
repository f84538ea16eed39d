// Queries over the read model for the API: the case list and view, a case's history, the audit search and
// frame use (the dashboard's other figures are in db/dashboard.ts). Each is shaped to be answered from an
// index (see db/schema.ts): lists page by a keyset (db/paging.ts), never by OFFSET.
import { and, asc, desc, eq, gte, inArray, lt, lte, type SQL, sql } from 'drizzle-orm';
import { LATE_REPORT_STATUSES } from '../workflows/reports';
import type { ApplicantStatus, CaseView, Stage } from '../workflows/types';
import { auditColumns, type AuditRow } from './audit';
import type { Db } from './client';
import { decodeCursor, isText, toPage, type Page } from './paging';
import { reservedByYear } from './frameReservations';
import { reportTextsOf, withReportTexts } from './reportTexts';
import { auditEvents, cases, caseTimeline, portfolioFrames, reports } from './schema';

/** An instant as the case view holds it (Date#toISOString, years 0001-9999): one PostgreSQL reads as a timestamptz. */
export const isViewInstant = (v: unknown): boolean => typeof v === 'string' && /^(?!0000)\d{4}-/.test(v) && !Number.isNaN(Date.parse(v)) && new Date(v).toISOString() === v;

/**
 * A prefix query for the cases_text index: every word the user typed must start a word of the case
 * number or title. tsquery operators are dropped, so any text is safe; null when nothing is left.
 */
export function textQuery(q: string): string | null {
  const words = q.split(/\s+/).map((w) => w.replace(/[&|!():*<>'\\]/g, '')).filter((w) => w.length > 0);
  return words.length > 0 ? words.map((w) => `${w}:*`).join(' & ') : null;
}

export interface CaseFilter {
  stage?: Stage;
  portfolio?: string;
  organisation?: string;
  /** Words of the title or the case number. */
  q?: string;
  /** Only cases with a report that is overdue or escalated. */
  overdue?: boolean;
}

/** A line of the case list: the few fields of the view a list shows, and how many reports are late. */
export type CaseSummary = Pick<CaseView,
  'id' | 'title' | 'organisation' | 'portfolio' | 'kind' | 'stage' | 'applicantStatus' | 'grantedAmount' | 'ruleSetVersion' | 'createdAt' | 'updatedAt'
> & { overdueReports: number };

// Taken out of the view in SQL: a finished project's view is ~18 kB of JSON, and parsing a page of whole
// views only to keep these fields was most of a list request's time.
const summaryColumns = {
  id: cases.id,
  title: cases.title,
  organisation: cases.organisation,
  portfolio: cases.portfolio,
  kind: sql<CaseSummary['kind']>`${cases.kind}`,
  stage: sql<Stage>`${cases.stage}`,
  applicantStatus: sql<ApplicantStatus>`${cases.view}->'applicantStatus'`,
  grantedAmount: cases.grantedAmount,
  // From the report rows, as the overdue filter and the dashboard count them: one source for a late report.
  // Both sides qualified: drizzle leaves a select list's columns bare, and a bare "id" here would be the report's.
  overdueReports: sql<number>`(SELECT count(*)::int FROM ${reports} WHERE ${reports}.${sql.identifier(reports.caseId.name)} = ${cases}.${sql.identifier(cases.id.name)} AND ${reports}.${sql.identifier(reports.status.name)} IN (${sql.join(LATE_REPORT_STATUSES.map((status) => sql`${status}`), sql`, `)}))`,
  ruleSetVersion: cases.ruleSetVersion,
  // As the view writes them (toISOString), which the cursor and the API give out.
  createdAt: sql<string>`${cases.view}->>'createdAt'`,
  updatedAt: sql<string>`${cases.view}->>'updatedAt'`,
};

/** Cases newest first, filtered; the cursor continues after the last item of the previous page. */
export async function listCases(db: Db, filter: CaseFilter, page: { limit?: number; cursor?: string } = {}): Promise<Page<CaseSummary>> {
  const limit = Math.min(Math.max(page.limit ?? 50, 1), 200);
  const where: (SQL | undefined)[] = [
    filter.stage !== undefined ? eq(cases.stage, filter.stage) : undefined,
    filter.portfolio !== undefined ? eq(cases.portfolio, filter.portfolio) : undefined,
    filter.organisation !== undefined ? eq(cases.organisation, filter.organisation) : undefined,
  ];
  const text = filter.q !== undefined ? textQuery(filter.q) : null;
  if (text !== null) {
    // The same expression as the cases_text index, so the planner uses it.
    where.push(sql`to_tsvector('simple', ${cases.id} || ' ' || ${cases.title}) @@ to_tsquery('simple', ${text})`);
  }
  if (filter.overdue) {
    where.push(inArray(cases.id, db.select({ caseId: reports.caseId }).from(reports).where(inArray(reports.status, [...LATE_REPORT_STATUSES]))));
  }
  if (page.cursor !== undefined) {
    const [createdAt, id] = decodeCursor<[string, string]>(page.cursor, [isViewInstant, isText]);
    where.push(sql`(${cases.createdAt}, ${cases.id}) < (${createdAt}::timestamptz, ${id})`);
  }
  const rows = await db.select(summaryColumns).from(cases).where(and(...where))
    .orderBy(desc(cases.createdAt), desc(cases.id)).limit(limit + 1);
  return toPage(rows, limit, (r) => [r.createdAt, r.id]);
}

/** A case's kind and organisation, as a step checks a reference to it; null for an unknown case. */
export async function caseKindOf(db: Db, id: string): Promise<{ kind: CaseView['kind']; organisation: string } | null> {
  const [found] = await db.select({ kind: sql<CaseView['kind']>`${cases.kind}`, organisation: cases.organisation }).from(cases).where(eq(cases.id, id));
  return found ?? null;
}

/** A case's title; undefined for an unknown case. */
export async function caseTitle(db: Db, id: string): Promise<string | undefined> {
  const [known] = await db.select({ title: cases.title }).from(cases).where(eq(cases.id, id));
  return known?.title;
}

/** The case's view, its filed reports' free texts (kept in the reports table, not in the view) put back in. */
export async function caseById(db: Db, id: string): Promise<CaseView | null> {
  const [row] = await db.select({ view: cases.view, texts: reportTextsOf(id) }).from(cases).where(eq(cases.id, id));
  return row ? withReportTexts(row.view, row.texts) : null;
}

/** The case's audit trail, oldest first. */
export async function caseHistory(db: Db, caseId: string): Promise<AuditRow[]> {
  return db.select(auditColumns).from(auditEvents).where(eq(auditEvents.caseId, caseId)).orderBy(asc(auditEvents.caseSeq));
}

/** A step of a case as its applicants saw it: when, the status they then saw, and the step if they took it themselves. */
export interface TimelineEntry { seq: number; at: string; status: ApplicantStatus | null; action: string | null }

/**
 * The case's timeline for its applicants, oldest first: the steps that changed what they saw and the steps
 * they took; no officials, no internal assessments, nothing a later step took back out of their view.
 */
export async function applicantTimeline(db: Db, caseId: string): Promise<TimelineEntry[]> {
  const rows = await db.select({
    seq: caseTimeline.seq, at: sql<string>`to_char(${caseTimeline.at} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`,
    status: caseTimeline.applicantStatus, action: caseTimeline.applicantAction,
  }).from(caseTimeline).where(eq(caseTimeline.caseId, caseId)).orderBy(asc(caseTimeline.seq));
  let shown: string | undefined;
  return rows.filter((r) => {
    const key = r.status ? `${r.status.code}\n${r.status.text.sv}` : undefined;
    const changed = key !== undefined && key !== shown;
    if (key !== undefined) shown = key;
    return changed || r.action !== null;
  });
}

export interface AuditFilter { from?: string; to?: string; actor?: string; action?: string; caseId?: string; subject?: string; upToSeq?: number }

/**
 * Audit events across cases, oldest first, for search and export. Ordered by (at, seq) so that each
 * filter is served by its (column, at) index; the cursor is the last (at, seq) seen.
 */
export async function searchAuditEvents(db: Db, filter: AuditFilter, page: { limit?: number; cursor?: string } = {}): Promise<Page<AuditRow>> {
  const limit = Math.min(Math.max(page.limit ?? 100, 1), 1000);
  const after = page.cursor !== undefined
    ? decodeCursor<[string, number]>(page.cursor, [(v) => typeof v === 'string' && !Number.isNaN(Date.parse(v)), Number.isSafeInteger])
    : undefined;
  const rows = await db.select(auditColumns).from(auditEvents).where(and(
    after !== undefined ? sql`(${auditEvents.at}, ${auditEvents.seq}) > (${after[0]}::timestamptz, ${after[1]})` : undefined,
    filter.from !== undefined ? gte(auditEvents.at, filter.from) : undefined,
    filter.to !== undefined ? lt(auditEvents.at, filter.to) : undefined,
    filter.actor !== undefined ? eq(auditEvents.actorId, filter.actor) : undefined,
    filter.action !== undefined ? eq(auditEvents.action, filter.action) : undefined,
    filter.caseId !== undefined ? eq(auditEvents.caseId, filter.caseId) : undefined,
    filter.subject !== undefined ? eq(auditEvents.subject, filter.subject) : undefined,
    filter.upToSeq !== undefined ? lte(auditEvents.seq, filter.upToSeq) : undefined,
  )).orderBy(asc(auditEvents.at), asc(auditEvents.seq)).limit(limit + 1);
  return toPage(rows, limit, (r) => [r.at, r.seq]);
}

export interface FrameUse { portfolioId: string; year: number; frame: number; reserved: number; remaining: number }

/** Frame, reserved and remaining per portfolio and year; a year with reservations but no frame has frame 0. */
export async function frameUse(db: Db, filter: { portfolioId?: string; year?: number } = {}): Promise<FrameUse[]> {
  // Filtered on both sides before the join, so frame_reservations_portfolio_year answers for one portfolio.
  const frames = db.select({ portfolioId: portfolioFrames.portfolioId, year: portfolioFrames.year, amount: portfolioFrames.amount })
    .from(portfolioFrames).where(and(
      filter.portfolioId !== undefined ? eq(portfolioFrames.portfolioId, filter.portfolioId) : undefined,
      filter.year !== undefined ? eq(portfolioFrames.year, filter.year) : undefined,
    )).as('frames');
  const held = reservedByYear(db, {
    portfolioIds: filter.portfolioId !== undefined ? [filter.portfolioId] : undefined,
    years: filter.year !== undefined ? [filter.year] : undefined,
  }).as('held');
  const portfolioId = sql<string>`coalesce(${frames.portfolioId}, ${held.portfolioId})`;
  const year = sql<number>`coalesce(${frames.year}, ${held.year})`;
  const rows = await db.select({
    portfolioId,
    year: year.mapWith(Number),
    frame: sql<number>`coalesce(${frames.amount}, 0)`.mapWith(Number),
    reserved: sql<number>`coalesce(${held.reserved}, 0)`.mapWith(Number),
  }).from(frames)
    .fullJoin(held, and(eq(held.portfolioId, frames.portfolioId), eq(held.year, frames.year)))
    .orderBy(portfolioId, year);
  return rows.map((r) => ({ ...r, remaining: r.frame - r.reserved }));
}
