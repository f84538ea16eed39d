// Effect follow-up (effekthemtagning): a case's effect evaluation, and the savings register across cases.
import { z } from 'zod';
import { savingsCases } from '../../db/oversight';
import { effectEvaluation } from '../../oversight/evaluation';
import { savingsRegister } from '../../oversight/savingsRegister';
import type { AppDeps } from '../services';
import { seesAllCases } from '../auth';
import { loadCase, readableBy } from '../caseAccess';
import { defineOperation, type Operation } from '../operation';
import { boundedCases } from '../overviews';
import { HttpProblem } from '../problems';
import { representation, sendCsv } from '../representation';
import { caseIdParam } from '../schemas/cases';
import { evaluationSchema, savingsRegisterSchema } from '../schemas/oversight';

const REGISTER_COLUMNS = [
  'organisation', 'year', 'status', 'caseId', 'title', 'stage', 'key', 'description', 'amountPerYear', 'realisedAmountPerYear', 'effectReport', 'withdrawnBecause',
] as const;

export function followUpOperations({ db, config }: AppDeps): Operation[] {
  return [
    defineOperation({
      id: 'caseEvaluation', method: 'get', path: '/cases/{id}/evaluation', tag: 'Follow-up', access: ['officer', 'council', 'auditor', 'applicant'],
      summary: 'The effect evaluation: each part of the benefit calculation applied for, valued and realised; each savings claim booked and realised',
      description: "The council gets the same evaluation by email when an effect report arrives. Realised figures come from the latest effect report; before the first they are null. Applicants see their own organisation's cases only, without the central valuation (valued is null for them).",
      params: z.strictObject({ id: caseIdParam }),
      success: { status: 200, description: 'The evaluation', schema: evaluationSchema },
      problems: ['not-found'],
      handler: async ({ actor, params }) => effectEvaluation(readableBy(actor, await loadCase(db, params.id, actor))),
    }),
    defineOperation({
      id: 'savingsRegister', method: 'get', path: '/savings-register', tag: 'Follow-up', access: ['officer', 'council', 'budget', 'auditor', 'applicant'],
      summary: 'Savings per organisation and budget year: pending, booked, realised and withdrawn, with the cases behind each figure',
      description: 'The budget year of a saving is the first calendar year after its project\'s planned end. A claim removed in the double-count check is left out: '
        + "the case that kept it books it. Applicants see their own organisation's register only. Accept: text/csv gives one row per claim. "
        + 'More cases than OVERVIEW_MAX_CASES in one answer is a 422 (overview-too-broad): name an organisation or a year.',
      query: z.strictObject({
        organisation: z.string().min(1).max(100).optional(),
        year: z.coerce.number().int().min(1901).max(3000).optional().describe('The budget year'),
      }),
      success: {
        status: 200, description: 'The register', schema: savingsRegisterSchema,
        alternatives: [{ contentType: 'text/csv', schema: z.string().describe(`Columns: ${REGISTER_COLUMNS.join(', ')}`) }],
      },
      problems: ['rule-violation'],
      handler: async ({ req, res, actor, query }) => {
        let organisation = query.organisation;
        if (!seesAllCases(actor)) {
          if (organisation !== undefined && organisation !== actor.org) throw new HttpProblem('forbidden', "Applicants see only their own organisation's savings");
          if (actor.org === undefined) throw new HttpProblem('forbidden', 'The token names no organisation');
          organisation = actor.org;
        }
        const items = savingsRegister(await boundedCases(config, (limit) => savingsCases(db, { organisation, year: query.year }, limit), 'name an organisation or a year'));
        if (representation(req, ['json', 'csv']) === 'json') return { items };
        const rows = items.flatMap((e) => [...e.pending.claims, ...e.booked.claims, ...e.withdrawn.claims].map((c) => [
          e.organisation, e.year, c.status, c.caseId, c.title, c.stage, c.key, c.description, c.amountPerYear, c.realisedAmountPerYear, c.effectReport, c.withdrawnBecause,
        ]));
        sendCsv(res, `besparingsregister${organisation ? `-${organisation}` : ''}${query.year ? `-${query.year}` : ''}.csv`, REGISTER_COLUMNS, rows);
        return undefined;
      },
    }),
  ];
}
