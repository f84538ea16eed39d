// The names of the human steps, as in the URL and as Update names. Kept apart from their zod schemas
// (inputs.ts) so that a workflow instance can define its handlers without evaluating zod.

export const ACTION_NAMES = [
  'screen-idea', 'submit-application', 'assign', 'record-valuation', 'resolve-double-count', 'request-completion',
  'recommend', 'schedule-council', 'council-opinion', 'budget-check', 'decide', 'submit-report', 'request-change',
  'decide-change', 'terminate', 'submit-final-report', 'approve-closure', 'submit-effect-report', 'withdraw',
] as const;

export type ActionName = (typeof ACTION_NAMES)[number];
