// Reference data: portfolios and their yearly frames, organisations, council meetings, rule sets.
import { z } from 'zod';
import {
  addRuleSet, createCouncilMeeting, createOrganisation, currentRuleSet, listCouncilMeetings, listOrganisations, listPortfolios,
  portfolioById, setPortfolioFrame,
} from '../../db/referenceData';
import { isoDate, ruleSetInput, sek } from '../../workflows/inputs';
import type { AppDeps } from '../services';
import { defineOperation, type Operation } from '../operation';
import { HttpProblem, ruleProblem } from '../problems';
import { frameYearSchema } from '../schemas/amounts';
import { listOf, paging } from '../schemas/lists';

const portfolioSchema = z.object({
  id: z.string(),
  number: z.number().int(),
  name: z.object({ sv: z.string(), en: z.string() }),
  experimental: z.boolean().describe('Waives exact benefit figures'),
  frames: z.array(frameYearSchema).describe('Per year: the frame, what granted cases have reserved, and what remains'),
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

const ruleSetSchema = ruleSetInput().safeExtend({ version: z.number().int(), createdAt: z.string(), createdBy: z.string() }).meta({ id: 'RuleSet' });

export function referenceOperations({ db }: AppDeps): Operation[] {
  return [
    defineOperation({
      id: 'listPortfolios', method: 'get', path: '/portfolios', tag: 'Reference data', access: 'authenticated',
      summary: 'Portfolios with frame, reserved and remaining per year',
      query: z.strictObject(paging),
      success: { status: 200, description: 'Portfolios by number', schema: listOf(portfolioSchema, 'PortfolioList') },
      handler: ({ query }) => listPortfolios(db, query),
    }),
    defineOperation({
      id: 'setPortfolioFrame', method: 'put', path: '/portfolios/{id}/frames/{year}', tag: 'Reference data', access: ['admin'],
      summary: "Set a portfolio's frame (ekonomisk ram) for a year",
      description: 'Refused (422) when the new frame is below what granted cases have already reserved that year.',
      params: z.strictObject({ id: z.string().min(1).max(50), year: z.coerce.number().int().min(2000).max(2100) }),
      body: z.strictObject({ amount: sek }).meta({ id: 'FrameInput' }),
      success: { status: 200, description: 'The portfolio after the change', schema: portfolioSchema },
      problems: ['not-found', 'rule-violation'],
      handler: async ({ params, body, actor }) => {
        const change = await setPortfolioFrame(db, params.id, params.year, body.amount, actor);
        if (!change) throw new HttpProblem('not-found', `No portfolio ${params.id}`);
        if (!change.ok) {
          throw ruleProblem('frame-below-reserved', `Granted cases already reserve ${change.reserved} SEK of ${params.year}; the frame cannot be lower`);
        }
        return portfolioById(db, params.id);
      },
    }),
    defineOperation({
      id: 'listOrganisations', method: 'get', path: '/organisations', tag: 'Reference data', access: 'authenticated',
      summary: 'Organisations (nämnder, förvaltningar, bolag)',
      query: z.strictObject(paging),
      success: { status: 200, description: 'Organisations by id', schema: listOf(organisationSchema, 'OrganisationList') },
      handler: ({ query }) => listOrganisations(db, query),
    }),
    defineOperation({
      id: 'createOrganisation', method: 'post', path: '/organisations', tag: 'Reference data', access: ['admin'],
      summary: 'Add an organisation',
      body: organisationBody,
      success: { status: 201, description: 'The organisation', schema: organisationSchema },
      problems: ['rule-violation'],
      handler: async ({ body, actor }) => {
        const created = await createOrganisation(db, { ...body, email: body.email ?? null }, actor);
        if (!created) throw ruleProblem('organisation-exists', `Organisation ${body.id} already exists`);
        return created;
      },
    }),
    defineOperation({
      id: 'listCouncilMeetings', method: 'get', path: '/council/meetings', tag: 'Council', access: ['officer', 'council', 'auditor'],
      summary: "Utvecklingsrådet's meetings with their agendas, latest first",
      query: z.strictObject({ from: isoDate.optional(), to: isoDate.optional(), ...paging }),
      success: { status: 200, description: 'Meetings by date, latest first', schema: listOf(meetingSchema, 'CouncilMeetingList') },
      handler: ({ query }) => listCouncilMeetings(db, { from: query.from, to: query.to }, query),
    }),
    defineOperation({
      id: 'createCouncilMeeting', method: 'post', path: '/council/meetings', tag: 'Council', access: ['officer', 'council'],
      summary: 'Add a council meeting; cases are put on its agenda with the schedule-council action',
      body: meetingBody,
      success: { status: 201, description: 'The meeting', schema: meetingSchema },
      handler: ({ body, actor }) => createCouncilMeeting(db, body, actor),
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
      body: ruleSetInput().meta({ id: 'RuleSetInput' }),
      success: { status: 201, description: 'The new version', schema: z.object({ version: z.number().int() }) },
      handler: ({ body, actor }) => addRuleSet(db, body, actor),
    }),
  ];
}
