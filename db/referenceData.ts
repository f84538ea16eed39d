// Reference data as the API reads and changes it: portfolios with their yearly frames, organisations,
// council meetings with their agendas, and rule sets. Loaded at start by db/seed.ts. Every change is
// recorded in the audit chain in its own transaction, with who, when, and the state before and after
// (agendas change through the case's schedule-council step, which the chain records as the case's own).
import { and, asc, desc, eq, gt, gte, inArray, lte, or, sql } from 'drizzle-orm';
import type { Actor, RuleSet } from '../workflows/types';
import { recordSubjectChange } from './audit';
import { isoDate } from '../workflows/inputs';
import type { Db } from './client';
import { lockPortfolioFrames } from './locks';
import { decodeCursor, isText, toPage, type Page, type PageRequest } from './paging';
import { frameUse } from './readModel';
import { reservedByYear } from './frameReservations';
import { councilAgenda, councilMeetings, organisations, portfolioFrames, portfolios, ruleSets } from './schema';

// ---- portfolios and frames -------------------------------------------------------------------------

export interface Portfolio {
  id: string;
  number: number;
  name: { sv: string; en: string };
  experimental: boolean;
  frames: { year: number; frame: number; reserved: number; remaining: number }[];
}

async function withFrames(db: Db, rows: (typeof portfolios.$inferSelect)[]): Promise<Portfolio[]> {
  const use = await frameUse(db, rows.length === 1 ? { portfolioId: rows[0].id } : {});
  return rows.map((p) => ({
    id: p.id, number: p.number, name: { sv: p.nameSv, en: p.nameEn }, experimental: p.experimental,
    frames: use.filter((f) => f.portfolioId === p.id).map(({ year, frame, reserved, remaining }) => ({ year, frame, reserved, remaining })),
  }));
}

const isInt4 = (v: unknown): boolean => Number.isInteger(v) && Math.abs(v as number) <= 2_147_483_647;

/** Portfolios by number, with frame, reserved and remaining per year. */
export async function listPortfolios(db: Db, { limit, cursor }: PageRequest): Promise<Page<Portfolio>> {
  const after = cursor === undefined ? undefined : decodeCursor<[number]>(cursor, [isInt4])[0];
  const rows = await db.select().from(portfolios).where(after === undefined ? undefined : gt(portfolios.number, after))
    .orderBy(asc(portfolios.number)).limit(limit + 1);
  const listed = toPage(rows, limit, (p) => [p.number]);
  return { ...listed, items: await withFrames(db, listed.items) };
}

export async function portfolioById(db: Db, id: string): Promise<Portfolio | undefined> {
  const [portfolio] = await withFrames(db, await db.select().from(portfolios).where(eq(portfolios.id, id)));
  return portfolio;
}

/** Every portfolio a case may apply to, and whether it is experimental (lighter requirements). */
export async function portfolioKinds(db: Db): Promise<{ id: string; experimental: boolean }[]> {
  return db.select({ id: portfolios.id, experimental: portfolios.experimental }).from(portfolios);
}

/**
 * Sets a portfolio's frame for a year. Refused, changing nothing, when granted cases already reserve more
 * of that year than the new frame; undefined when there is no such portfolio.
 */
export async function setPortfolioFrame(db: Db, portfolioId: string, year: number, amount: number, actor: Actor): Promise<{ ok: true } | { ok: false; reserved: number } | undefined> {
  return db.transaction(async (tx) => {
    const [portfolio] = await tx.select({ id: portfolios.id }).from(portfolios).where(eq(portfolios.id, portfolioId));
    if (!portfolio) return undefined;
    // The lock reserveFrame takes (activities/persistence.ts): no reservation lands between the check and the change.
    await lockPortfolioFrames(tx, portfolioId);
    const [held] = await reservedByYear(tx, { portfolioIds: [portfolioId], years: [year] });
    const reserved = held?.reserved ?? 0;
    if (reserved > amount) return { ok: false, reserved };
    const [before] = await tx.select({ amount: portfolioFrames.amount }).from(portfolioFrames)
      .where(and(eq(portfolioFrames.portfolioId, portfolioId), eq(portfolioFrames.year, year)));
    await tx.insert(portfolioFrames).values({ portfolioId, year, amount })
      .onConflictDoUpdate({ target: [portfolioFrames.portfolioId, portfolioFrames.year], set: { amount } });
    await recordSubjectChange(tx, {
      subject: `portfolio:${portfolioId}`, action: 'set-portfolio-frame', actor, input: { year, amount },
      before: before ? { year, amount: before.amount } : null, after: { year, amount },
    });
    return { ok: true };
  });
}

// ---- organisations ---------------------------------------------------------------------------------

export type Organisation = typeof organisations.$inferSelect;

/** Organisations by id. */
export async function listOrganisations(db: Db, { limit, cursor }: PageRequest): Promise<Page<Organisation>> {
  const after = cursor === undefined ? undefined : decodeCursor<[string]>(cursor, [isText])[0];
  const rows = await db.select().from(organisations).where(after === undefined ? undefined : gt(organisations.id, after))
    .orderBy(asc(organisations.id)).limit(limit + 1);
  return toPage(rows, limit, (o) => [o.id]);
}

export async function organisationExists(db: Db, id: string): Promise<boolean> {
  return (await organisationById(db, id)) !== undefined;
}

export async function organisationById(db: Db, id: string): Promise<Organisation | undefined> {
  const [organisation] = await db.select().from(organisations).where(eq(organisations.id, id));
  return organisation;
}

/** An organisation's name and notice address and a portfolio's names, in one round trip (either may be missing). */
export async function organisationAndPortfolioNames(db: Db, organisation: string, portfolio: string | null) {
  const [row] = await db.select({ name: organisations.name, email: organisations.email, sv: portfolios.nameSv, en: portfolios.nameEn })
    .from(sql`(SELECT 1) AS one`)
    .leftJoin(organisations, eq(organisations.id, organisation))
    .leftJoin(portfolios, portfolio === null ? sql`false` : eq(portfolios.id, portfolio));
  return row;
}

/** The new organisation; undefined when its id is taken. */
export async function createOrganisation(db: Db, organisation: Organisation, actor: Actor): Promise<Organisation | undefined> {
  return db.transaction(async (tx) => {
    const [created] = await tx.insert(organisations).values(organisation).onConflictDoNothing().returning();
    if (created) await recordSubjectChange(tx, { subject: `organisation:${created.id}`, action: 'create-organisation', actor, input: organisation, before: null, after: created });
    return created;
  });
}

// ---- council meetings ------------------------------------------------------------------------------

export interface CouncilMeeting { id: string; date: string; title: string | null; agenda: string[] }

async function agendas(db: Db, meetingIds: string[]): Promise<Map<string, string[]>> {
  const rows = meetingIds.length === 0 ? [] : await db.select().from(councilAgenda)
    .where(inArray(councilAgenda.meetingId, meetingIds))
    .orderBy(asc(councilAgenda.caseId));
  const out = new Map<string, string[]>();
  for (const r of rows) out.set(r.meetingId, [...(out.get(r.meetingId) ?? []), r.caseId]);
  return out;
}

const isDay = (v: unknown): boolean => isoDate.safeParse(v).success;

/** Meetings in [from, to] (dates, both optional), latest first, each with the case numbers on its agenda. */
export async function listCouncilMeetings(db: Db, range: { from?: string; to?: string }, { limit, cursor }: PageRequest): Promise<Page<CouncilMeeting>> {
  const after = cursor === undefined ? undefined : decodeCursor<[string, string]>(cursor, [isDay, isText]);
  const rows = await db.select().from(councilMeetings).where(and(
    range.from === undefined ? undefined : gte(councilMeetings.date, range.from),
    range.to === undefined ? undefined : lte(councilMeetings.date, range.to),
    after === undefined ? undefined : or(sql`${councilMeetings.date} < ${after[0]}`, and(eq(councilMeetings.date, after[0]), sql`${councilMeetings.id} < ${after[1]}`)),
  )).orderBy(desc(councilMeetings.date), desc(councilMeetings.id)).limit(limit + 1);
  const listed = toPage(rows, limit, (m) => [m.date, m.id]);
  const agenda = await agendas(db, listed.items.map((m) => m.id));
  return { ...listed, items: listed.items.map((m) => ({ id: m.id, date: m.date, title: m.title, agenda: agenda.get(m.id) ?? [] })) };
}

/** A new meeting with a readable id: UR-2026-03-12, then UR-2026-03-12-2 for a second meeting that day. */
export async function createCouncilMeeting(db: Db, { date, title }: { date: string; title?: string }, actor: Actor): Promise<CouncilMeeting> {
  return db.transaction(async (tx) => {
    for (let n = 1; ; n++) {
      const id = `UR-${date}${n === 1 ? '' : `-${n}`}`;
      const [created] = await tx.insert(councilMeetings).values({ id, date, title: title ?? null }).onConflictDoNothing().returning();
      if (!created) continue;
      const meeting = { id, date: created.date, title: created.title, agenda: [] };
      await recordSubjectChange(tx, { subject: `council-meeting:${id}`, action: 'create-council-meeting', actor, input: { date, title }, before: null, after: meeting });
      return meeting;
    }
  });
}

export async function councilMeetingExists(db: Db, id: string): Promise<boolean> {
  const [meeting] = await db.select({ id: councilMeetings.id }).from(councilMeetings).where(eq(councilMeetings.id, id));
  return meeting !== undefined;
}

// ---- rule sets -------------------------------------------------------------------------------------

/** The latest rule set: the one a case started now is pinned to. */
export async function currentRuleSet(db: Db): Promise<typeof ruleSets.$inferSelect | undefined> {
  const [latest] = await db.select().from(ruleSets).orderBy(desc(ruleSets.version)).limit(1);
  return latest;
}

/** Every delegation tier a rule set names: the decider roles (decider:<tier>) the service knows. */
export async function delegationTiers(db: Db): Promise<string[]> {
  // A handful of rule sets in a programme's life: read whole.
  const rows = await db.select({ rules: ruleSets.rules }).from(ruleSets);
  return [...new Set(rows.flatMap((r) => r.rules.delegation.map((d) => d.tier)))];
}

/** Adds a rule set as the next version. */
export async function addRuleSet(db: Db, rules: Omit<RuleSet, 'version'>, actor: Actor): Promise<{ version: number }> {
  return db.transaction(async (tx) => {
    const before = await currentRuleSet(tx);
    const [created] = await tx.insert(ruleSets).values({ rules, createdBy: actor.id }).returning({ version: ruleSets.version });
    await recordSubjectChange(tx, {
      subject: `rule-set:${created.version}`, action: 'create-rule-set', actor, input: rules,
      before: before ? { version: before.version } : null, after: { version: created.version, rules },
    });
    return created;
  });
}
