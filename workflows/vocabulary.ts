// The words of the case lifecycle, each declared once: the human steps (actions), the system steps the audit
// trail records, the deadlines a case keeps as timers, the email templates, and the refusals with the rules
// that cause them. Free of zod and of the SDK, so a workflow instance and the API share it at no cost.

/** The roles a token can carry; deciders act as decider:<tier> and are the role `decider` in the steps table. */
export const ROLES = ['applicant', 'officer', 'valuer', 'preparer', 'council', 'budget', 'auditor', 'admin'] as const;
export type Role = (typeof ROLES)[number] | 'decider';

/** Human steps, as in the URL and as Update names. */
export const ACTION_NAMES = [
  'screen-idea', 'submit-application', 'assign', 'record-valuation', 'resolve-double-count', 'request-completion',
  'recommend', 'schedule-council', 'council-opinion', 'budget-check', 'decide', 'submit-report', 'request-change',
  'decide-change', 'terminate', 'submit-final-report', 'return-final-report', 'approve-closure', 'submit-effect-report', 'withdraw',
] as const;
export type ActionName = (typeof ACTION_NAMES)[number];

/** Steps the case takes by itself, recorded in the audit trail with the system as actor. */
export const SYSTEM_STEPS = [
  'case-started', 'screening-overdue', 'reminder', 'lapsed', 'report-overdue', 'report-escalated', 'report-scheduled', 'planned-end',
] as const;
export type SystemStep = (typeof SYSTEM_STEPS)[number];

/** The kinds of decision a step takes, kept in structured form with their grounds. */
export const DECISION_KINDS = ['screening', 'preparation', 'council', 'budget', 'grant', 'change', 'termination', 'closure'] as const;
export type DecisionKind = (typeof DECISION_KINDS)[number];

/** Every name an audit row's action can carry. */
export type StepName = ActionName | SystemStep;

/**
 * Deadlines a case keeps as timers, each named by the system step it records when it fires (the three
 * reminders all record `reminder`).
 */
export const TIMER_STEP = {
  'screening-overdue': 'screening-overdue',
  'application-reminder': 'reminder',
  'completion-reminder': 'reminder',
  lapsed: 'lapsed',
  'report-reminder': 'reminder',
  'report-overdue': 'report-overdue',
  'report-escalated': 'report-escalated',
  'report-scheduled': 'report-scheduled',
  'planned-end': 'planned-end',
} as const satisfies Record<string, SystemStep>;
export type TimerKind = keyof typeof TIMER_STEP;

/** Timer kinds under their earlier names, as cases carried across continue-as-new may still hold them. */
export const EARLIER_TIMER_KINDS: Record<string, TimerKind> = {
  lapse: 'lapsed',
  'report-escalate': 'report-escalated',
  'next-six-week': 'report-scheduled',
};

/**
 * Email templates (activities/templates/<template>.<lang>.*):
 * - receipt (applicant): a submission arrived; data.what = idea|application|completion|report|changeRequest|finalReport|effectReport
 * - status-changed (applicant): applicantStatus changed; data may carry missing[] and dueDate; a decision's amount,
 *   conditions and start, or its grounds, come from the view
 * - change-decided (applicant): data.changeRequestId was approved or rejected, with the motivation
 * - reminder / overdue (applicant): data.what = application|completion|report, data.dueDate, data.reportId
 * - report-escalated (officers): a report data.reportId is overdue past the escalation offset
 * - deviation (officers): data.reasons[] from a report's forecast
 * - case-arrived (preparers|valuers|council|budget|decider:<tier>|officers): data.step names what awaits them
 * - screening-overdue (officers): an idea sketch not screened by its deadline
 * - effect-report-received (council): data.reportId
 * - delivery-failed (officers): written by the delivery activity, not by the workflow, when an email is refused
 */
export const EMAIL_TEMPLATES = [
  'receipt', 'status-changed', 'change-decided', 'reminder', 'overdue', 'report-escalated', 'deviation', 'case-arrived', 'screening-overdue',
  'effect-report-received', 'delivery-failed',
] as const;
export type EmailTemplate = (typeof EMAIL_TEMPLATES)[number];

/**
 * How a refused step is refused: the failure type the workflow throws and the HTTP status the API answers.
 * A refusal changes nothing and records nothing.
 */
export const REFUSALS = {
  invalid: { type: 'InvalidInput', status: 400 },
  role: { type: 'RoleNotAllowed', status: 403 },
  stage: { type: 'StageNotAllowed', status: 409 },
  rule: { type: 'RuleViolation', status: 422 },
} as const;
export type RefusalKind = keyof typeof REFUSALS;

/**
 * The rules a step or a request can break, each with the refusal it causes: a rule about who may act is a
 * 403 like a missing role; every other rule a 422. The problem document names the rule.
 */
export const RULES = {
  'portfolio-unknown': 'rule',
  'benefit-calculation-required': 'rule',
  'valuer-independence': 'role',
  'double-count-unknown-key': 'rule',
  'double-count-unresolved': 'rule',
  'completion-due-in-past': 'rule',
  'valuation-required': 'rule',
  delegation: 'role',
  'grant-exceeds-request': 'rule',
  'owner-operation-cost-accepted': 'rule',
  'portfolio-frame': 'rule',
  'report-unknown': 'rule',
  'report-already-received': 'rule',
  'report-not-open': 'rule',
  'report-due-in-past': 'rule',
  'project-start-in-past': 'rule',
  'project-start-after-planned-end': 'rule',
  'handover-not-confirmed': 'rule',
  'project-too-long': 'rule',
  'case-too-large': 'rule',
  'savings-claim-unknown': 'rule',
  'savings-claim-unanswered': 'rule',
  // Looked up by the step itself, through a local activity.
  'meeting-unknown': 'rule',
  'feasibility-study-unknown': 'rule',
  'priority-taken': 'rule',
  // Checked by the API, for requests that are not a case's steps.
  'organisation-unknown': 'rule',
  'organisation-required': 'rule',
  'organisation-exists': 'rule',
  'frame-below-reserved': 'rule',
  'payload-undecryptable': 'rule',
  'overview-too-broad': 'rule',
} as const satisfies Record<string, RefusalKind>;
export type RuleId = keyof typeof RULES;
