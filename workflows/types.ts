// The case's data shapes, shared by workflows, activities and the API. Types only: no runtime code.

export const STAGES = [
  'idea', 'application', 'preparation', 'completion', 'council', 'decision', 'execution',
  'closure', 'followUp', 'completed', 'rejected', 'redirected', 'lapsed', 'withdrawn', 'terminated',
] as const;
export type Stage = (typeof STAGES)[number];

export const TERMINAL_STAGES: readonly Stage[] = ['completed', 'rejected', 'redirected', 'lapsed', 'withdrawn', 'terminated'];

/** Who acted: taken from the verified token by the API, recorded with every step. */
export interface Actor {
  id: string;
  name: string;
  email?: string;
  roles: string[];
  org?: string;
}

export const SYSTEM_ACTOR: Actor = { id: 'system', name: 'Systemet', roles: ['system'] };

export type Language = 'sv' | 'en';

/** A rule set version: every number the domain marks *design*. Durations are ISO 8601. */
export interface RuleSet {
  version: number;
  delegation: { tier: string; upTo: number | null }[];
  ideaScreeningDeadline: string;
  applicationDeadline: string;
  applicationReminderAfter: string;
  completionDeadline: string;
  reportInterval: string;
  reminderBefore: string;
  escalationAfter: string;
  /** MM-DD, due dates of tertial reports T1, T2. */
  tertialDueDates: string[];
  /** MM-DD in the year after the reported year. */
  yearEndDueDate: string;
  lightReportingBelow: number;
  deviation: { costTolerance: number; endDateSlip: string };
  followUpOffsets: string[];
}

export interface IdeaInput {
  title: string;
  need: string;
  idea: string;
  expectedBenefits?: string;
  roughCost?: number;
  organisation: string;
  contact?: { name?: string; email?: string };
  language?: Language;
}

export interface Benefits {
  citizenBenefit: number;
  businessBenefit: number;
  developmentCost: number;
  operationCost: number;
  qualitative?: string;
  timeFreedHoursPerYear?: number;
  expectedUsers?: number;
}

export interface SavingsClaim { key: string; description?: string; amountPerYear?: number }

export interface ApplicationInput {
  portfolio: string;
  kind: 'feasibility' | 'implementation';
  totalCost: number;
  costPerYear?: Record<string, number>;
  plannedStart: string;
  plannedEnd: string;
  projectLeader: string;
  benefits: Partial<Benefits> & { qualitative?: string };
  savingsClaims?: SavingsClaim[];
  owner?: { name?: string; managementObject?: string; operationCostAccepted?: boolean };
  realisationPlan?: string;
  accessibility?: string;
  security?: string;
}

/** Everything the workflow needs to start a case; built by the API. */
export interface CaseInput {
  caseId: string;
  idea: IdeaInput;
  actor: Actor;
  ruleSet: RuleSet;
  /** Portfolio ids an application may name, and those that are experimental (waive exact benefit figures). */
  portfolios: string[];
  experimentalPortfolios: string[];
}

export type TrafficLight = 'green' | 'yellow' | 'red';
export type ReportType = 'sixWeek' | 'tertial1' | 'tertial2' | 'yearEnd' | 'final' | 'effect';
export type ReportStatus = 'scheduled' | 'due' | 'overdue' | 'escalated' | 'received';

export interface Report {
  id: string;
  type: ReportType;
  periodStart: string;
  periodEnd: string;
  /** Stockholm calendar date of dueAt. */
  dueDate: string;
  /** The instant the report is due (end of dueDate in Stockholm, or exact for sub-day rule sets). */
  dueAt: string;
  status: ReportStatus;
  receivedAt?: string;
  content?: Record<string, unknown>;
}

export interface ChangeRequest {
  id: string;
  requestedBy: string;
  requestedAt: string;
  reason: string;
  newTotalCost?: number;
  newEndDate?: string;
  scopeChange?: string;
  /** The delegation tier that decides it, from the new total. */
  tier: string;
  status: 'open' | 'approved' | 'rejected';
  decidedAt?: string;
  decidedBy?: string;
  motivation?: string;
}

export interface Deadline {
  what: string;
  from: 'applicant' | 'officer' | 'valuer' | 'preparer' | 'council' | 'budget' | 'decider';
  by: string;
}

export interface ApplicantStatus { code: string; text: { sv: string; en: string } }

export interface CaseView {
  id: string;
  title: string;
  organisation: string;
  portfolio: string | null;
  kind: 'feasibility' | 'implementation' | null;
  stage: Stage;
  applicantStatus: ApplicantStatus;
  idea: IdeaInput & { screening?: { outcome: string; reason?: string; coach?: string; by: string; at: string } };
  application: (ApplicationInput & { submittedAt: string; round: number }) | null;
  assignment: { coach?: string; preparationGroup?: string } | null;
  valuation: { citizenBenefit: number; businessBenefit: number; developmentCost: number; operationCost: number; comment?: string; by: string; at: string } | null;
  doubleCount: { key: string; conflictingCases: string[]; resolution?: 'keep' | 'removed'; comment?: string }[];
  completionRequests: { missing: string[]; dueDate: string; dueAt: string; requestedAt: string; by: string; answeredAt?: string }[];
  preparation: { recommendation: 'support' | 'notSupport'; motivation: string; by: string; at: string } | null;
  council: { meetingId: string; opinion?: 'recommend' | 'notRecommend'; priority?: number; comment?: string; by?: string; at?: string } | null;
  budgetCheck: { outcome: 'ok' | 'remarks'; remarks?: string; by: string; at: string } | null;
  decision: { outcome: 'approve' | 'reject' | 'return'; grantedAmount?: number; conditions?: string; projectStart?: string; motivation: string; tier: string; by: string; at: string } | null;
  grantedAmount: number | null;
  /** The delegation tier that decides the pending grant (from the requested total), and the grant's own tier. */
  decisionTier: string | null;
  grantTier: string | null;
  /** Set when the decider terminated the project; the final report is still required. */
  terminated: { by: string; at: string; motivation: string } | null;
  /** Current planned end; moved by approved change requests. */
  plannedEnd: string | null;
  reports: Report[];
  deviations: { at: string; reportId: string; reasons: string[]; resolvedBy?: string }[];
  changeRequests: ChangeRequest[];
  finalReport: Record<string, unknown> | null;
  closure: { by: string; at: string; comment?: string } | null;
  deadlines: Deadline[];
  ruleSetVersion: number;
  language: Language;
  createdAt: string;
  updatedAt: string;
  closedAt: string | null;
  /** Sequence number of the last recorded step. */
  seq: number;
}

/** Who an email goes to; the notification activity resolves addresses. */
export type Audience = 'applicant' | 'officers' | 'preparers' | 'valuers' | 'council' | 'budget' | `decider:${string}`;

/**
 * Email templates (activities/templates/<template>.<lang>.*):
 * - receipt (applicant): a submission arrived; data.what = idea|application|completion|report|changeRequest|finalReport|effectReport
 * - status-changed (applicant): applicantStatus changed; data may carry missing[] and dueDate
 * - reminder / overdue (applicant): data.what = application|completion|report, data.dueDate, data.reportId
 * - escalation (officers): a report data.reportId is overdue past the escalation offset
 * - deviation (officers): data.reasons[] from a report's forecast
 * - case-arrived (preparers|valuers|council|budget|decider:<tier>|officers): data.step names what awaits them
 * - screening-overdue (officers): an idea sketch not screened by its deadline
 * - effect-report-received (council): data.reportId
 * - delivery-failed (officers): written by the delivery activity, not by the workflow, when an email is refused
 */
export type EmailTemplate = 'receipt' | 'status-changed' | 'reminder' | 'overdue' | 'escalation' | 'deviation'
  | 'case-arrived' | 'screening-overdue' | 'effect-report-received' | 'delivery-failed';

export interface NotificationIntent {
  template: EmailTemplate;
  to: Audience;
  /** Values the template needs beyond the case view. */
  data?: Record<string, unknown>;
}

/** One recorded step of a case: becomes one audit row, one read-model upsert and its emails. */
export interface StepRecord {
  caseId: string;
  seq: number;
  at: string;
  actor: Actor;
  action: string;
  stageBefore: Stage | null;
  stageAfter: Stage;
  input: unknown;
  outcome: unknown;
  motivation?: string;
  view: CaseView;
  notifications: NotificationIntent[];
}

export interface SavingsConflict { key: string; caseIds: string[] }

export type FrameReservation =
  | { ok: true }
  | { ok: false; year: number; frame: number; reserved: number; requested: number };
