// Cases: submitting an idea sketch (starts the case's workflow), the list, and the case view.
// Reads come from the read model; only the workflow writes a case's state.
import { WithStartWorkflowOperation, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { z } from 'zod';
import { caseNumberFor } from '../../db/caseNumbers';
import { caseById, listCases } from '../../db/readModel';
import { currentRuleSet, organisationById, portfolioKinds } from '../../db/referenceData';
import { withCallDeadline } from '../../platform/temporal';
import { caseInput } from '../../workflows/inputs';
import { CASE_WORKFLOW, caseStartedUpdate } from '../../workflows/messages';
import { STAGES, type Actor, type CaseInput } from '../../workflows/types';
import { ACTION_NAMES } from '../../workflows/vocabulary';
import type { Services } from '../services';
import { hasRole, seesAllCases } from '../auth';
import { caseForCaller, forCaller } from '../caseAccess';
import { retryId } from '../idempotency';
import { BASE_PATH } from '../openapi';
import { actionOperationId, defineOperation, type Operation } from '../operation';
import { HttpProblem, ruleProblem } from '../problems';
import { caseIdParam, caseSummarySchema, caseViewSchema } from '../schemas/cases';
import { listOf, paging } from '../schemas/lists';

const listQuery = z.strictObject({
  stage: z.enum(STAGES).optional(),
  portfolio: z.string().max(50).optional(),
  organisation: z.string().max(100).optional().describe("Applicants see only their own organisation's cases"),
  overdue: z.enum(['true']).optional().describe('true: only cases with a report overdue or escalated'),
  q: z.string().max(200).optional().describe('Words of the case number or title (prefix match)'),
  ...paging,
});

const sameAddress = (a: string | null | undefined, b: string | null | undefined) => !!a && !!b && a.trim().toLowerCase() === b.trim().toLowerCase();

/**
 * The idea with a contact address the city may send to on an applicant's word: their own (the token's) or
 * their organisation's notice address. Any other is replaced by their own, or dropped when the token has none.
 * Without one, the applicant's own address is the contact: the person who sent the idea hears of it.
 */
function withOwnAddress<T extends { contact?: { name?: string; email?: string } }>(idea: T, actor: Actor, noticeAddress: string | null): T {
  const email = idea.contact?.email;
  if (email === undefined) return actor.email ? { ...idea, contact: { name: actor.name, ...idea.contact, email: actor.email } } : idea;
  if (sameAddress(email, actor.email) || sameAddress(email, noticeAddress)) return idea;
  const contact = { ...idea.contact };
  delete contact.email;
  return { ...idea, contact: actor.email ? { ...contact, email: actor.email } : contact };
}

export function caseOperations({ db, temporal, config, limits }: Services): Operation[] {
  return [
    defineOperation({
      id: 'createCase', method: 'post', path: '/cases', tag: 'Cases', access: ['applicant', 'officer'],
      summary: 'Submit an idea sketch (idéskiss); starts the case',
      description: "An applicant's organisation is taken from the token; an officer names it (422 organisation-required without). The case is pinned to the rule set in force now. "
        + "An applicant's emails (the receipt first) go to their own address (the token's email) or the organisation's notice address: "
        + 'without a contact.email the token\'s email is used; a contact.email that is neither is replaced by the token\'s email, or dropped when '
        + 'the token has none (then the notice address is used). '
        + 'New cases, each answered with a receipt, are limited per user and hour (429).',
      body: caseInput().meta({ id: 'CreateCaseInput' }),
      success: { status: 201, description: 'The new case', schema: caseViewSchema, linksById: ['getCase', 'caseHistory', ...ACTION_NAMES.map(actionOperationId)] },
      problems: ['forbidden', 'rule-violation', 'unavailable', 'engine-unavailable'],
      handler: async ({ req, actor, body, res }) => {
        const organisation = body.organisation ?? actor.org;
        // Required of officers only (an applicant's comes from the token): a rule of the role, not of the body's shape.
        if (organisation === undefined) throw ruleProblem('organisation-required', 'An officer names the organisation the idea comes from');
        if (!hasRole(actor, 'officer') && organisation !== actor.org) {
          throw new HttpProblem('forbidden', 'Applicants submit ideas for their own organisation only');
        }
        const known = await organisationById(db, organisation);
        if (!known) throw ruleProblem('organisation-unknown', `Unknown organisation ${organisation}`);
        const idea = hasRole(actor, 'officer') ? body : withOwnAddress(body, actor, known.email);
        await limits.receipt(res, actor.id);
        const rules = await currentRuleSet(db);
        if (!rules) throw new HttpProblem('unavailable', 'No rule set is in force; an administrator must add one');
        const portfolios = await portfolioKinds(db);

        const requestId = retryId(req, actor.id);
        const caseId = await caseNumberFor(db, requestId);
        const input: CaseInput = {
          caseId,
          idea: { ...idea, organisation },
          actor,
          ruleSet: { version: rules.version, ...rules.rules },
          portfolios: portfolios.map((p) => p.id),
          experimentalPortfolios: portfolios.filter((p) => p.experimental).map((p) => p.id),
        };
        // Answered once the workflow's first step has recorded the case, so the caller can read it back at once.
        // A retry of a keyed submission finds its case already started and waits on the same update; a case
        // closed since (withdrawn) is never started again, and the retry gets it as the read model has it.
        const view = await withCallDeadline(temporal, config, () => temporal.workflow.executeUpdateWithStart(caseStartedUpdate, {
          updateId: requestId,
          startWorkflowOperation: new WithStartWorkflowOperation(CASE_WORKFLOW, {
            workflowId: caseId, taskQueue: config.temporal.taskQueue, args: [input],
            workflowIdConflictPolicy: 'USE_EXISTING', workflowIdReusePolicy: 'REJECT_DUPLICATE',
          }),
        })).catch(async (err: unknown) => {
          const closed = err instanceof WorkflowExecutionAlreadyStartedError && requestId !== undefined ? await caseById(db, caseId) : null;
          if (!closed) throw err;
          return closed;
        });
        res.location(`${BASE_PATH}/cases/${caseId}`);
        return forCaller(db, view, actor);
      },
    }),
    defineOperation({
      id: 'listCases', method: 'get', path: '/cases', tag: 'Cases', access: 'authenticated',
      summary: 'Cases, newest first',
      description: "Applicants see only their own organisation's cases.",
      query: listQuery,
      success: { status: 200, description: 'A page of cases', schema: listOf(caseSummarySchema, 'CaseList') },
      problems: ['forbidden'],
      handler: async ({ actor, query }) => {
        let organisation = query.organisation;
        if (!seesAllCases(actor)) {
          if (organisation !== undefined && organisation !== actor.org) throw new HttpProblem('forbidden', "Applicants see only their own organisation's cases");
          if (actor.org === undefined) throw new HttpProblem('forbidden', 'The token names no organisation');
          organisation = actor.org;
        }
        const { items, nextCursor } = await listCases(db, {
          stage: query.stage, portfolio: query.portfolio, organisation, q: query.q, overdue: query.overdue === 'true' ? true : undefined,
        }, { limit: query.limit, cursor: query.cursor });
        return { items, nextCursor };
      },
    }),
    defineOperation({
      id: 'getCase', method: 'get', path: '/cases/{id}', tag: 'Cases', access: 'authenticated',
      summary: 'The case view, with the actions the caller may take now',
      params: z.strictObject({ id: caseIdParam }),
      success: { status: 200, description: 'The case', schema: caseViewSchema },
      problems: ['forbidden', 'not-found'],
      handler: async ({ actor, params }) => caseForCaller(db, params.id, actor),
    }),
  ];
}
