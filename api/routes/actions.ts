// Every human step as POST /cases/{id}/actions/{action}: sent to the case's workflow as a Temporal Update,
// which validates (stage, role, delegation, rules) and records it; the caller gets the case view back.
import { ApplicationFailure, WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { z } from 'zod';
import type { Db } from '../../db/client';
import { withCallDeadline } from '../../platform/temporal';
import { priorityHolder } from '../../db/councilPack';
import { caseById } from '../../db/readModel';
import { councilMeetingExists } from '../../db/referenceData';
import { actionInput, type ActionInput } from '../../workflows/inputs';
import { actionUpdates } from '../../workflows/messages';
import { actorMayAct, STEPS } from '../../workflows/steps';
import type { Actor, CaseView } from '../../workflows/types';
import { ACTION_NAMES, REFUSALS, type ActionName, type RefusalKind } from '../../workflows/vocabulary';
import type { AppDeps } from '../services';
import { forCaller, loadCase } from '../caseAccess';
import { retryId } from '../idempotency';
import { actionOperationId, defineOperation, type Operation } from '../operation';
import { HttpProblem, REFUSAL_PROBLEMS, ruleProblem, type FieldError } from '../problems';
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

/** References the workflow cannot look up itself (it does no I/O): checked here, before the update. */
async function checkReferences(db: Db, action: ActionName, body: unknown, view: CaseView): Promise<void> {
  switch (action) {
    case 'schedule-council': {
      const { meetingId } = body as ActionInput<'schedule-council'>;
      if (!(await councilMeetingExists(db, meetingId))) throw ruleProblem('meeting-unknown', `No council meeting ${meetingId}`);
      return;
    }
    case 'submit-application': {
      const { feasibilityStudy, kind } = body as ActionInput<'submit-application'>;
      if (feasibilityStudy === undefined) return;
      if (kind !== 'implementation') throw ruleProblem('feasibility-study-unknown', 'Only an implementation names the feasibility study it follows');
      const study = feasibilityStudy === view.id ? null : await caseById(db, feasibilityStudy);
      if (study === null || study.kind !== 'feasibility' || study.organisation !== view.organisation) {
        throw ruleProblem('feasibility-study-unknown', `${feasibilityStudy} is not a feasibility study (förstudie) of ${view.organisation}`);
      }
      return;
    }
    case 'council-opinion': {
      const { priority } = body as ActionInput<'council-opinion'>;
      if (priority === undefined || !view.council || !view.portfolio) return;
      // Unique within the portfolio on the meeting. Checked, not locked: two opinions with the same rank sent at
      // the same instant from two API processes could both pass.
      const holder = await priorityHolder(db, view.council.meetingId, view.portfolio, priority, view.id);
      if (holder !== undefined) {
        throw ruleProblem('priority-taken', `${holder} already has priority ${priority} in portfolio ${view.portfolio} on ${view.council.meetingId}`);
      }
      return;
    }
    default:
  }
}

const REFUSAL_OF_TYPE = new Map(Object.entries(REFUSALS).map(([kind, r]) => [r.type as string, kind as RefusalKind]));

/** The workflow's refusal (an ApplicationFailure of a refusal type) as the matching problem. */
function refusalProblem(err: unknown, view: CaseView): unknown {
  if (err instanceof WorkflowNotFoundError) {
    // The workflow has finished: the case is closed and takes no more steps.
    return new HttpProblem('stage-not-allowed', `The case is closed (${view.stage})`, { stage: view.stage, allowedActions: [] });
  }
  const failure = err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure ? err.cause : undefined;
  const kind = failure ? REFUSAL_OF_TYPE.get(failure.type ?? '') : undefined;
  if (!failure || kind === undefined) return err;
  const details = (failure.details?.[0] ?? {}) as { stage?: string; allowedActions?: string[]; errors?: FieldError[]; rule?: string };
  const extra = kind === 'stage' ? { stage: details.stage, allowedActions: details.allowedActions ?? [] }
    : kind === 'invalid' ? { errors: details.errors ?? [] }
      : details.rule ? { rule: details.rule } : {};
  return new HttpProblem(REFUSAL_PROBLEMS[kind], failure.message, extra);
}

async function act<A extends ActionName>(deps: AppDeps, action: A, id: string, actor: Actor, input: ActionInput<A>, updateId: string | undefined) {
  const view = await loadCase(deps.db, id, actor);
  if (!actorMayAct(action, actor, view)) throw new HttpProblem('forbidden', `${action} is for the applying organisation's applicants only`);
  await checkReferences(deps.db, action, input, view);
  try {
    // Past the deadline the answer is a 503; the update may still be taken, once, and a retry with the same
    // Idempotency-Key (the same update id) gets its outcome.
    const after = await withCallDeadline(deps.temporal, deps.config, () => deps.temporal.workflow.getHandle(id)
      .executeUpdate(actionUpdates[action] as (typeof actionUpdates)[A], { args: [{ actor, input }], updateId }));
    return forCaller(deps.db, after, actor);
  } catch (err) {
    throw refusalProblem(err, view);
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
