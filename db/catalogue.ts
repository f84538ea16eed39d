// What every signed-in user may see of every case: the catalogue of what the organisations develop, and the
// links between a feasibility study (förstudie) and the implementations that follow it. Only fields open to
// all are taken out of the view, in SQL: no valuation, budget remark, council opinion or contact detail
// ever leaves the database through these queries.
import { and, desc, eq, type SQL, sql } from 'drizzle-orm';
import type { PgColumn } from 'drizzle-orm/pg-core';
import type { CaseView, Stage } from '../workflows/types';
import type { Db } from './client';
import { decodeCursor, isText, toPage, type Page, type PageRequest } from './paging';
import { isViewInstant, textQuery } from './readModel';
import { cases, catalogueText } from './schema';
import { reportTextsOf, withReportTexts } from './reportTexts';

export interface CatalogueEntry {
  id: string;
  title: string;
  organisation: string;
  portfolio: string | null;
  kind: 'feasibility' | 'implementation' | null;
  stage: Stage;
  need: string;
  idea: string;
  expectedBenefits: string | null;
  projectLeader: string | null;
  /** What the final report says came of it, once the closure is approved. */
  outcome: string | null;
  feasibilityStudy: string | null;
  createdAt: string;
}

export interface CatalogueFilter { q?: string; portfolio?: string; organisation?: string; stage?: Stage }

/** Cases newest first; q matches word prefixes of the case number, title, need, idea and expected benefits. */
export async function listCatalogue(db: Db, filter: CatalogueFilter, { limit, cursor }: PageRequest): Promise<Page<CatalogueEntry>> {
  const where: (SQL | undefined)[] = [
    filter.stage !== undefined ? eq(cases.stage, filter.stage) : undefined,
    filter.portfolio !== undefined ? eq(cases.portfolio, filter.portfolio) : undefined,
    filter.organisation !== undefined ? eq(cases.organisation, filter.organisation) : undefined,
  ];
  const text = filter.q !== undefined ? textQuery(filter.q) : null;
  // The same expression as the cases_catalogue_text index, so the planner uses it.
  if (text !== null) where.push(sql`to_tsvector('simple', ${catalogueText(cases.id, cases.title, cases.view)}) @@ to_tsquery('simple', ${text})`);
  if (cursor !== undefined) {
    const [createdAt, id] = decodeCursor<[string, string]>(cursor, [isViewInstant, isText]);
    where.push(sql`(${cases.createdAt}, ${cases.id}) < (${createdAt}::timestamptz, ${id})`);
  }
  const rows = await db.select({
    id: cases.id,
    title: cases.title,
    organisation: cases.organisation,
    portfolio: cases.portfolio,
    kind: sql<CatalogueEntry['kind']>`${cases.kind}`,
    stage: sql<Stage>`${cases.stage}`,
    need: sql<string>`${cases.view}->'idea'->>'need'`,
    idea: sql<string>`${cases.view}->'idea'->>'idea'`,
    expectedBenefits: sql<string | null>`${cases.view}->'idea'->>'expectedBenefits'`,
    projectLeader: sql<string | null>`${cases.view}->'application'->>'projectLeader'`,
    outcome: sql<string | null>`CASE WHEN jsonb_typeof(${cases.view}->'closure') = 'object' THEN ${cases.view}->'finalReport'->>'outcome' END`,
    feasibilityStudy: sql<string | null>`${cases.view}->'application'->>'feasibilityStudy'`,
    createdAt: sql<string>`${cases.view}->>'createdAt'`,
  }).from(cases).where(and(...where)).orderBy(desc(cases.createdAt), desc(cases.id)).limit(limit + 1);
  return toPage(rows, limit, (r) => [r.createdAt, r.id]);
}

export interface CaseLink { id: string; title: string; organisation: string; stage: Stage }
export interface CaseLinks { follows: CaseLink | null; followedBy: CaseLink[] }

/**
 * A column of the case's own row, qualified: drizzle leaves a select list's columns bare, and inside the
 * subqueries below a bare name would be the linked case's.
 */
const own = (column: PgColumn) => sql`${cases}.${sql.identifier(column.name)}`;

const linkObject = sql.raw(`jsonb_build_object('id', l.id, 'title', l.title, 'organisation', l.organisation, 'stage', l.stage)`);

/**
 * A case's links as columns of its own row: the feasibility study it follows (when its view names one) and the
 * implementations that name it (by the cases_feasibility_study index), so a case and its links are one statement.
 */
const linkColumns = {
  follows: sql<CaseLink | null>`(SELECT ${linkObject} FROM ${cases} l WHERE l.id = ${own(cases.view)}->'application'->>'feasibilityStudy')`,
  followedBy: sql<CaseLink[]>`(SELECT coalesce(jsonb_agg(${linkObject} ORDER BY l.id), '[]') FROM ${cases} l WHERE l.view->'application'->>'feasibilityStudy' = ${own(cases.id)})`,
};

/** The feasibility study a case follows, and the implementations that follow it. */
export async function caseLinks(db: Db, id: string): Promise<CaseLinks> {
  const [row] = await db.select(linkColumns).from(cases).where(eq(cases.id, id));
  return row ?? { follows: null, followedBy: [] };
}

/** The case's view with its links; null when there is no such case. */
export async function caseWithLinks(db: Db, id: string): Promise<{ view: CaseView; links: CaseLinks } | null> {
  const [row] = await db.select({ view: cases.view, texts: reportTextsOf(id), ...linkColumns }).from(cases).where(eq(cases.id, id));
  return row ? { view: withReportTexts(row.view, row.texts), links: { follows: row.follows, followedBy: row.followedBy } } : null;
}
