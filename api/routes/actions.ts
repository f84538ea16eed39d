// Every human step as POST /cases/{id}/actions/{action}: sent to the case's workflow as a Temporal Update,
// which validates (stage, role, delegation, rules) and records it; the caller gets the case view back.
import { ApplicationFailure, WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { z } from 'zod';
import type { Db } from '../../db/client';
import { withCallDeadline } from '../../platform/temporal';
import { actionInput } from '../../workflows/inputs';
import { actionUpdates } from '../../workflows/messages';
import { LATEST } from '../../workflows/editions';
import { checkRequest, STEPS } from '../../workflows/steps';
import { validationOf } from '../../workflows/validation';
import type { Actor } from '../../workflows/types';
import { ACTION_NAMES, REFUSALS, type ActionName, type RefusalKind } from '../../workflows/vocabulary';
import type { AppDeps } from '../services';
import { forCaller, loadCase } from '../caseAccess';
import { retryId } from '../idempotency';
import { actionOperationId, defineOperation, type Operation } from '../operation';
import { HttpProblem, REFUSAL_PROBLEMS, type FieldError } from '../problems';
import { caseIdParam, caseViewSchema } from '../schemas/cases';

const SUMMARIES: Record<ActionName, string> = {
  'screen-idea': 'Screen the idea sketch: approve (invite an application), reject or redirect',
  'submit-application': 'Submit the application (ansökan), or answer a completion request with an updated one',
  assign: 'Assign a coach and a preparation group (beredningsgrupp)',
  'record-valuation': 'Record the central valuation (nyttovärdering); not by a valuer from the applying organisation',
  'resolve-double-count': 'Resolve a savings claim that another case has already booked',
  'request-completion': 'Ask the applicant for completion (komplettering) by a date',
  recommend: "Give the preparation group's recommendation",
  'schedule-council': "Put the case on a meeting of utvecklingsrådet (the development council)",
  'council-opinion': "Record the council's advisory opinion and priority",
  'budget-check': "Record budgetledningen's check of the decision proposal",
  decide: 'Decide: approve (with grant and project start), reject, or return to preparation; by the delegation tier for the amount',
  'submit-report': 'File a status, tertial or year-end report',
  'request-change': 'Request a change of money, time or scope (ändringsbegäran)',
  'decide-change': 'Decide the open change request; by the delegation tier for the new total',
  terminate: 'Terminate the project (avbryta); a final report is still required',
  'submit-final-report': 'File the final report (slutrapport)',
  'return-final-report': 'Return the final report to the applicant with what is missing, and a date to file it again by',
  'approve-closure': "Approve the closure (avslut); needs the owner's confirmed handover unless the project was terminated; effect follow-up begins",
  'submit-effect-report': 'File an effect report (effekthemtagning): realised benefits and savings',
  withdraw: 'Withdraw the case (before the decision)',
};

const pascal = (action: string) => action.replace(/(^|-)([a-z])/g, (_, __, c: string) => c.toUpperCase());

const REFUSAL_OF_TYPE = new Map(Object.entries(REFUSALS).map(([kind, r]) => [r.type as string, kind as RefusalKind]));

/**
 * No workflow runs for the case, so no step checks the request: it is checked here as a step would (the role,
 * then the body), then whether there is such a case (404) and it is the caller's to see (403); a closed case
 * takes no more steps (409 naming its stage). Read from the read model only on this path.
 */
async function noWorkflow<A extends ActionName>(db: Db, action: A, id: string, actor: Actor, body: unknown): Promise<unknown> {
  try {
    // The organisation is loadCase's to check: it answers 403 or 404 without telling whether the case exists.
    checkRequest(action, { organisation: actor.org ?? '' }, actor, body, validationOf(action, LATEST));
  } catch (err) {
    return refusalProblem(err);
  }
  const view = await loadCase(db, id, actor);
  return new HttpProblem('stage-not-allowed', `The case is closed (${view.stage})`, { stage: view.stage, allowedActions: [] });
}

/** The workflow's refusal (an ApplicationFailure of a refusal type) as the matching problem. */
function refusalProblem(err: unknown): unknown {
  const failure = err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure ? err.cause
    : err instanceof ApplicationFailure ? err : undefined;
  const kind = failure ? REFUSAL_OF_TYPE.get(failure.type ?? '') : undefined;
  if (!failure || kind === undefined) return err;
  const details = (failure.details?.[0] ?? {}) as { stage?: string; allowedActions?: string[]; errors?: FieldError[]; rule?: string };
  const extra = kind === 'stage' ? { stage: details.stage, allowedActions: details.allowedActions ?? [] }
    : kind === 'invalid' ? { errors: details.errors ?? [] }
      : details.rule ? { rule: details.rule } : {};
  return new HttpProblem(REFUSAL_PROBLEMS[kind], failure.message, extra);
}

/**
 * The request goes to the case's workflow without reading anything first: the step checks the stage, the role,
 * the organisation, the body and the rules, and looks up what it refers to; its answer is the case view.
 */
async function act<A extends ActionName>(deps: AppDeps, action: A, id: string, actor: Actor, input: unknown, updateId: string | undefined) {
  try {
    // Past the deadline the answer is a 503; the update may still be taken, once, and a retry with the same
    // Idempotency-Key (the same update id) gets its outcome.
    const after = await withCallDeadline(deps.temporal, deps.config, () => deps.temporal.workflow.getHandle(id)
      .executeUpdate(actionUpdates[action] as (typeof actionUpdates)[A], { args: [{ actor, input }], updateId }));
    return forCaller(deps.db, after, actor);
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw await noWorkflow(deps.db, action, id, actor, input);
    throw refusalProblem(err);
  }
}

export function actionOperations(deps: AppDeps): Operation[] {
  return ACTION_NAMES.map((action) => {
    const { roles, stages } = STEPS[action];
    return defineOperation({
      id: actionOperationId(action),
      method: 'post',
      path: `/cases/{id}/actions/${action}`,
      tag: 'Actions',
      access: [...roles],
      stepChecks: true,
      summary: SUMMARIES[action],
      description: `In stage ${stages.join(', ')}. Answers with the case view after the step. A 409 names the stage and the actions the caller may take in it.`,
      params: z.strictObject({ id: caseIdParam }),
      body: actionInput(action).meta({ id: `${pascal(action)}Input` }),
      success: { status: 200, description: 'The case after the step', schema: caseViewSchema },
      problems: ['forbidden', 'not-found', 'stage-not-allowed', 'rule-violation', 'engine-unavailable'],
      handler: ({ req, actor, params, body }) => act(deps, action, params.id, actor, body, retryId(req, actor.id)),
    });
  });
}
