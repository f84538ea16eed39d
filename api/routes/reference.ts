// Reference data: portfolios and their yearly frames, organisations, council meetings, rule sets.
import { and, asc, desc, eq, gt, gte, inArray, lte, or, sql } from 'drizzle-orm';
import { z } from 'zod';
import { councilAgenda, councilMeetings, frameReservations, organisations, portfolioFrames, portfolios, ruleSets } from '../../db/schema';
import type { Db } from '../../db/client';
import { lockPortfolioFrames } from '../../db/locks';
import { frameUse } from '../../db/readModel';
import { isoDate, sek } from '../../workflows/inputs';
import { ruleSetBody } from '../bodies';
import type { AppDeps } from '../app';
import { defineOperation, type Operation } from '../operation';
import { decodeCursor, page } from '../paging';
import { HttpProblem } from '../problems';
import { listOf, paging } from './caseSchemas';
import { sekAmount } from '../schemas/amounts';


const frameSchema = z.object({ year: z.number().int(), frame: sekAmount, reserved: sekAmount, remaining: sekAmount });
const portfolioSchema = z.object({
  id: z.string(),
  number: z.number().int(),
  name: z.object({ sv: z.string(), en: z.string() }),
  experimental: z.boolean().describe('Waives exact benefit figures'),
  frames: z.array(frameSchema).describe('Per year: the frame, what granted cases have reserved, and what remains'),
}).meta({ id: 'Portfolio' });

const organisationBody = z.strictObject({
  id: z.string().regex(/^[a-z0-9-]{1,50}$/, 'lowercase letters, digits and -'),
  name: z.string().trim().min(1).max(200),
  type: z.enum(['forvaltning', 'namnd', 'bolag']).describe('förvaltning (administration), nämnd (committee) or bolag (company)'),
  email: z.email().max(320).optional().describe('Where notices to the organisation go'),
}).meta({ id: 'OrganisationInput' });
const organisationSchema = organisationBody.extend({ email: z.string().nullable() }).meta({ id: 'Organisation' });

const meetingBody = z.strictObject({ date: isoDate, title: z.string().trim().min(1).max(200).optional() }).meta({ id: 'CouncilMeetingInput' });
const meetingSchema = z.object({
  id: z.string(), date: isoDate, title: z.string().nullable(), agenda: z.array(z.string()).describe('Case numbers on the agenda'),
}).meta({ id: 'CouncilMeeting' });

const ruleSetSchema = ruleSetBody.safeExtend({ version: z.number().int(), createdAt: z.string(), createdBy: z.string() }).meta({ id: 'RuleSet' });

async function describePortfolios(db: Db, rows: (typeof portfolios.$inferSelect)[]) {
  const use = await frameUse(db, rows.length === 1 ? { portfolioId: rows[0].id } : {});
  return rows.map((p) => ({
    id: p.id, number: p.number, name: { sv: p.nameSv, en: p.nameEn }, experimental: p.experimental,
    frames: use.filter((f) => f.portfolioId === p.id).map(({ year, frame, reserved, remaining }) => ({ year, frame, reserved, remaining })),
  }));
}

async function agendas(db: Db, meetingIds: string[]): Promise<Map<string, string[]>> {
  const rows = meetingIds.length === 0 ? [] : await db.select().from(councilAgenda)
    .where(inArray(councilAgenda.meetingId, meetingIds))
    .orderBy(asc(councilAgenda.caseId));
  const out = new Map<string, string[]>();
  for (const r of rows) out.set(r.meetingId, [...(out.get(r.meetingId) ?? []), r.caseId]);
  return out;
}

export function referenceOperations({ db }: AppDeps): Operation[] {
  return [
    defineOperation({
      id: 'listPortfolios', method: 'get', path: '/portfolios', tag: 'Reference data', access: 'authenticated',
      summary: 'Portfolios with frame, reserved and remaining per year',
      query: z.strictObject(paging),
      success: { status: 200, description: 'Portfolios by number', schema: listOf(portfolioSchema, 'PortfolioList') },
      handler: async ({ query }) => {
        const after = query.cursor === undefined ? undefined : Number(decodeCursor(query.cursor, ['number'])[0]);
        const rows = await db.select().from(portfolios).where(after === undefined ? undefined : gt(portfolios.number, after))
          .orderBy(asc(portfolios.number)).limit(query.limit + 1);
        return page(await describePortfolios(db, rows), query.limit, (p) => [p.number]);
      },
    }),
    defineOperation({
      id: 'setPortfolioFrame', method: 'put', path: '/portfolios/{id}/frames/{year}', tag: 'Reference data', access: ['admin'],
      summary: "Set a portfolio's frame (ekonomisk ram) for a year",
      description: 'Refused (422) when the new frame is below what granted cases have already reserved that year.',
      params: z.strictObject({ id: z.string().min(1).max(50), year: z.coerce.number().int().min(2000).max(2100) }),
      body: z.strictObject({ amount: sek }).meta({ id: 'FrameInput' }),
      success: { status: 200, description: 'The portfolio after the change', schema: portfolioSchema },
      problems: ['not-found', 'rule-violation'],
      handler: async ({ params, body }) => {
        await db.transaction(async (tx) => {
          const [portfolio] = await tx.select().from(portfolios).where(eq(portfolios.id, params.id));
          if (!portfolio) throw new HttpProblem('not-found', `No portfolio ${params.id}`);
          // The lock the reserveFrame activity takes (activities/persistence.ts): no reservation lands between check and change.
          await lockPortfolioFrames(tx, params.id);
          const [{ reserved }] = await tx.select({ reserved: sql<string>`coalesce(sum(${frameReservations.amount}), 0)` }).from(frameReservations)
            .where(and(eq(frameReservations.portfolioId, params.id), eq(frameReservations.year, params.year)));
          if (Number(reserved) > body.amount) {
            throw new HttpProblem('rule-violation', `Granted cases already reserve ${reserved} SEK of ${params.year}; the frame cannot be lower`);
          }
          await tx.insert(portfolioFrames).values({ portfolioId: params.id, year: params.year, amount: body.amount })
            .onConflictDoUpdate({ target: [portfolioFrames.portfolioId, portfolioFrames.year], set: { amount: body.amount } });
        });
        return (await describePortfolios(db, await db.select().from(portfolios).where(eq(portfolios.id, params.id))))[0];
      },
    }),
    defineOperation({
      id: 'listOrganisations', method: 'get', path: '/organisations', tag: 'Reference data', access: 'authenticated',
      summary: 'Organisations (nämnder, förvaltningar, bolag)',
      query: z.strictObject(paging),
      success: { status: 200, description: 'Organisations by id', schema: listOf(organisationSchema, 'OrganisationList') },
      handler: async ({ query }) => {
        const after = query.cursor === undefined ? undefined : String(decodeCursor(query.cursor, ['string'])[0]);
        const rows = await db.select().from(organisations).where(after === undefined ? undefined : gt(organisations.id, after))
          .orderBy(asc(organisations.id)).limit(query.limit + 1);
        return page(rows, query.limit, (o) => [o.id]);
      },
    }),
    defineOperation({
      id: 'createOrganisation', method: 'post', path: '/organisations', tag: 'Reference data', access: ['admin'],
      summary: 'Add an organisation',
      body: organisationBody,
      success: { status: 201, description: 'The organisation', schema: organisationSchema },
      problems: ['rule-violation'],
      handler: async ({ body }) => {
        const [created] = await db.insert(organisations).values({ ...body, email: body.email ?? null }).onConflictDoNothing().returning();
        if (!created) throw new HttpProblem('rule-violation', `Organisation ${body.id} already exists`);
        return created;
      },
    }),
    defineOperation({
      id: 'listCouncilMeetings', method: 'get', path: '/council/meetings', tag: 'Council', access: ['officer', 'council', 'auditor'],
      summary: "Utvecklingsrådet's meetings with their agendas, latest first",
      query: z.strictObject({ from: isoDate.optional(), to: isoDate.optional(), ...paging }),
      success: { status: 200, description: 'Meetings by date, latest first', schema: listOf(meetingSchema, 'CouncilMeetingList') },
      handler: async ({ query }) => {
        const cursor = query.cursor === undefined ? undefined : decodeCursor(query.cursor, ['date', 'string']).map(String);
        const rows = await db.select().from(councilMeetings).where(and(
          query.from === undefined ? undefined : gte(councilMeetings.date, query.from),
          query.to === undefined ? undefined : lte(councilMeetings.date, query.to),
          cursor === undefined ? undefined : or(sql`${councilMeetings.date} < ${cursor[0]}`, and(eq(councilMeetings.date, cursor[0]), sql`${councilMeetings.id} < ${cursor[1]}`)),
        )).orderBy(desc(councilMeetings.date), desc(councilMeetings.id)).limit(query.limit + 1);
        const agenda = await agendas(db, rows.map((m) => m.id));
        const listed = page(rows, query.limit, (m) => [m.date, m.id]);
        return { ...listed, items: listed.items.map((m) => ({ id: m.id, date: m.date, title: m.title, agenda: agenda.get(m.id) ?? [] })) };
      },
    }),
    defineOperation({
      id: 'createCouncilMeeting', method: 'post', path: '/council/meetings', tag: 'Council', access: ['officer', 'council'],
      summary: 'Add a council meeting; cases are put on its agenda with the schedule-council action',
      body: meetingBody,
      success: { status: 201, description: 'The meeting', schema: meetingSchema },
      handler: async ({ body }) => {
        // Readable ids (UR-2026-03-12, then UR-2026-03-12-2 for a second meeting that day).
        for (let n = 1; ; n++) {
          const id = `UR-${body.date}${n === 1 ? '' : `-${n}`}`;
          const [created] = await db.insert(councilMeetings).values({ id, date: body.date, title: body.title ?? null }).onConflictDoNothing().returning();
          if (created) return { id, date: created.date, title: created.title, agenda: [] };
        }
      },
    }),
    defineOperation({
      id: 'currentRuleSet', method: 'get', path: '/rule-sets/current', tag: 'Reference data', access: 'authenticated',
      summary: 'The rule set in force for cases started now',
      success: { status: 200, description: 'The latest rule set', schema: ruleSetSchema },
      problems: ['not-found'],
      handler: async () => {
        const current = await currentRuleSet(db);
        if (!current) throw new HttpProblem('not-found', 'No rule set has been defined');
        return { version: current.version, ...current.rules, createdAt: new Date(current.createdAt).toISOString(), createdBy: current.createdBy };
      },
    }),
    defineOperation({
      id: 'createRuleSet', method: 'post', path: '/rule-sets', tag: 'Reference data', access: ['admin'],
      summary: 'Add a rule set version; it applies to cases started after it, never to running ones',
      body: ruleSetBody.meta({ id: 'RuleSetInput' }),
      success: { status: 201, description: 'The new version', schema: z.object({ version: z.number().int() }) },
      handler: async ({ body, actor }) => {
        const [created] = await db.insert(ruleSets).values({ rules: body, createdBy: actor.id }).returning({ version: ruleSets.version });
        return created;
      },
    }),
  ];
}

export async function currentRuleSet(db: Db) {
  const [latest] = await db.select().from(ruleSets).orderBy(desc(ruleSets.version)).limit(1);
  return latest;
}
