// What a council meeting's pack is made of: the meeting, the case views on its agenda, the names of their
// organisations and portfolios, the frames of those portfolios with what other cases reserve of them, and
// which cases were moved here from another meeting. oversight/pack.ts sets them side by side.
import { and, asc, eq, inArray, ne, sql } from 'drizzle-orm';
import type { CaseView } from '../workflows/types';
import type { Db } from './client';
import { reservedByYear } from './frameReservations';
import { auditEvents, cases, councilAgenda, councilMeetings, councilPriorities, organisations, portfolioFrames, portfolios } from './schema';

export interface PackSources {
  meeting: { id: string; date: string; title: string | null };
  views: CaseView[];
  organisations: Map<string, string>;
  portfolios: { id: string; number: number; name: string }[];
  /** Per portfolio and year: the frame, and what cases not on this agenda reserve of it. */
  frames: { portfolioId: string; year: number; frame: number; reservedByOthers: number }[];
  /** Case → the meeting it was moved here from (its latest move). */
  movedFrom: Map<string, string>;
}

/** Undefined when there is no such meeting. */
export async function packSources(db: Db, meetingId: string): Promise<PackSources | undefined> {
  const [meeting] = await db.select({ id: councilMeetings.id, date: councilMeetings.date, title: councilMeetings.title })
    .from(councilMeetings).where(eq(councilMeetings.id, meetingId));
  if (!meeting) return undefined;
  const rows = await db.select({ view: cases.view }).from(councilAgenda).innerJoin(cases, eq(cases.id, councilAgenda.caseId))
    .where(eq(councilAgenda.meetingId, meetingId)).orderBy(asc(cases.id));
  const views = rows.map((r) => r.view);
  const ids = views.map((v) => v.id);
  const orgIds = [...new Set(views.map((v) => v.organisation))];
  const portfolioIds = [...new Set(views.map((v) => v.portfolio).filter((p): p is string => p !== null))];
  const [orgs, ports, frameRows, held, moves] = await Promise.all([
    orgIds.length === 0 ? [] : db.select({ id: organisations.id, name: organisations.name }).from(organisations).where(inArray(organisations.id, orgIds)),
    db.select({ id: portfolios.id, number: portfolios.number, name: portfolios.nameSv }).from(portfolios).orderBy(asc(portfolios.number)),
    portfolioIds.length === 0 ? [] : db.select().from(portfolioFrames).where(inArray(portfolioFrames.portfolioId, portfolioIds)),
    portfolioIds.length === 0 ? [] : reservedByYear(db, { portfolioIds, exceptCases: ids }),
    ids.length === 0 ? [] : db.select({ caseId: sql<string>`${auditEvents.caseId}`, movedFrom: sql<string>`${auditEvents.outcome}->>'movedFrom'` }).from(auditEvents)
      .where(and(
        inArray(auditEvents.caseId, ids), eq(auditEvents.action, 'schedule-council'),
        sql`${auditEvents.outcome}->>'meetingId' = ${meetingId}`, sql`${auditEvents.outcome}->>'movedFrom' IS NOT NULL`,
      )).orderBy(asc(auditEvents.seq)),
  ]);
  const years = new Map<string, { portfolioId: string; year: number; frame: number; reservedByOthers: number }>();
  const at = (portfolioId: string, year: number) => {
    const key = `${portfolioId}:${year}`;
    if (!years.has(key)) years.set(key, { portfolioId, year, frame: 0, reservedByOthers: 0 });
    return years.get(key)!;
  };
  for (const f of frameRows) at(f.portfolioId, f.year).frame = f.amount;
  for (const h of held) at(h.portfolioId, h.year).reservedByOthers = h.reserved;
  return {
    meeting,
    views,
    organisations: new Map(orgs.map((o) => [o.id, o.name])),
    portfolios: ports,
    frames: [...years.values()],
    movedFrom: new Map(moves.map((m) => [m.caseId, m.movedFrom])),
  };
}

/**
 * Claims a rank within a portfolio on a meeting for the case, atomically: two opinions with the same rank at
 * the same moment cannot both have it. The case's earlier claim on the meeting is given up. The case that
 * holds the rank when it is another's; null when the claim is the case's.
 */
export async function claimPriority(db: Db, { meetingId, portfolio, priority, caseId }: { meetingId: string; portfolio: string; priority: number; caseId: string }): Promise<string | null> {
  return db.transaction(async (tx) => {
    await tx.delete(councilPriorities).where(and(eq(councilPriorities.meetingId, meetingId), eq(councilPriorities.caseId, caseId), ne(councilPriorities.priority, priority)));
    await tx.insert(councilPriorities).values({ meetingId, portfolio, priority, caseId }).onConflictDoNothing();
    const [holder] = await tx.select({ caseId: councilPriorities.caseId }).from(councilPriorities)
      .where(and(eq(councilPriorities.meetingId, meetingId), eq(councilPriorities.portfolio, portfolio), eq(councilPriorities.priority, priority)));
    return holder && holder.caseId !== caseId ? holder.caseId : null;
  });
}
