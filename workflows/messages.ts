// The case workflow's updates and query, typed per action: imported by the API too, so a body of the wrong
// shape for its action does not compile.
import type { UpdateDefinition } from '@temporalio/common';
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { ActionInput } from './inputs';
import type { Actor, CaseView } from './types';
import { ACTION_NAMES, type ActionName } from './vocabulary';

export const CASE_WORKFLOW = 'caseWorkflow';

/** What a human step carries: who acts (from the verified token) and the action's body. */
export interface ActionRequest<A extends ActionName = ActionName> { actor: Actor; input: ActionInput<A> }

/** One Update per action, named as in the API (`screen-idea`, `decide`, ...). */
export const actionUpdates = Object.fromEntries(ACTION_NAMES.map((name) => [name, defineUpdate(name)])) as {
  [A in ActionName]: UpdateDefinition<CaseView, [ActionRequest<A>], A>;
};

export const caseViewQuery = defineQuery<CaseView>('caseView');

/**
 * Answers with the view once the case's first step is recorded. The API starts a case together with it
 * (update-with-start), so the applicant's answer comes from the same workflow task as the record.
 */
export const caseStartedUpdate = defineUpdate<CaseView>('case-started');
