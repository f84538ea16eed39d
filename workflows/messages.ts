// Update, query and signal definitions of the case workflow: imported by the API too.
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import { ACTION_NAMES, type ActionName } from './actions';
import type { Actor, CaseView } from './types';

export const CASE_WORKFLOW = 'caseWorkflow';

/** What every human step carries: who acts (from the verified token) and the body. */
export interface ActionRequest { actor: Actor; input: unknown }

/** One Update per action, named as in the API (`screen-idea`, `decide`, ...). */
export const actionUpdates = Object.fromEntries(
  ACTION_NAMES.map((name) => [name, defineUpdate<CaseView, [ActionRequest]>(name)]),
) as Record<ActionName, ReturnType<typeof defineUpdate<CaseView, [ActionRequest]>>>;

export const caseViewQuery = defineQuery<CaseView>('caseView');

/**
 * Answers with the view once the case's first step is recorded. The API starts a case together with it
 * (update-with-start), so the applicant's answer comes from the same workflow task as the record.
 */
export const caseStartedUpdate = defineUpdate<CaseView>('case-started');

/** Failure types an update throws for a broken rule; the API maps them to HTTP problems. */
export const REFUSAL = {
  stage: 'StageNotAllowed',      // 409
  role: 'RoleNotAllowed',        // 403
  invalid: 'InvalidInput',       // 400
  rule: 'RuleViolation',         // 422
} as const;
