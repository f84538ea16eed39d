// The case's data shapes, shared by workflows, activities and the API. The bodies people send are inferred
// from their schemas (inputs.ts); the rest is what the workflow builds from them.
import type { ActionInput, IdeaBody, RuleSetBody } from './inputs';
import type { DecisionKind, EmailTemplate, StepName } from './vocabulary';

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

/** A rule set version: every number the domain leaves to policy. Durations are ISO 8601. */
export type RuleSet = RuleSetBody & { version: number };

/** The idea sketch as the case holds it: the organisation is always known. */
export type IdeaInput = IdeaBody & { organisation: string };

export type ApplicationInput = ActionInput<'submit-application'>;
export type SavingsClaim = NonNullable<ApplicationInput['savingsClaims']>[number];

/** Everything the workflow needs to start a case; built by the API. */
export interface CaseInput {
  caseId: string;
  idea: IdeaInput;
  actor: Actor;
  ruleSet: RuleSet;
  /** Portfolio ids an application may name, and those that are experimental (waive exact benefit figures). */
  portfolios: string[];
  experimentalPortfolios: string[];
  /** History events after which the case continues as new; MAX_HISTORY_EVENTS when absent. */
  historyLimit?: number;
}

export type ReportType = 'sixWeek' | 'tertial1' | 'tertial2' | 'yearEnd' | 'final' | 'effect';
export const REPORT_STATUSES = ['scheduled', 'due', 'overdue', 'escalated', 'received', 'notReceived'] as const;
/** notReceived: a periodic report never filed when execution ended; kept on record, no longer awaited. */
export type ReportStatus = (typeof REPORT_STATUSES)[number];

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

export type ChangeRequest = ActionInput<'request-change'> & {
  id: string;
  requestedBy: string;
  requestedAt: string;
  /** The delegation tier that decides it, from the new total. */
  tier: string;
  /** closed: still open when the project was terminated. */
  status: 'open' | 'approved' | 'rejected' | 'closed';
  /** A change that raises the total passes the budget check (budgetledning) before it is decided. */
  budgetCheckRequired?: boolean;
  budgetCheck?: ActionInput<'budget-check'> & By;
  decidedAt?: string;
  decidedBy?: string;
  motivation?: string;
};

export interface Deadline {
  what: string;
  from: 'applicant' | 'officer' | 'valuer' | 'preparer' | 'council' | 'budget' | 'decider';
  /** The instant the deadline acts (the end of dueDate in Stockholm, or exact for sub-day rule sets). */
  by: string;
  /** The last day, as every email and view states it. */
  dueDate?: string;
}

/** Something a case lacks for a grant (grantConditions.ts): the rule, who can mend it, and in plain words. */
export interface OpenCondition {
  code: 'owner-operation-cost-accepted' | 'double-count-unresolved';
  from: 'applicant' | 'officer';
  text: { sv: string; en: string };
}

export interface ApplicantStatus { code: string; text: { sv: string; en: string } }

/** Who took a step and when. */
interface By { by: string; at: string }

export interface CaseView {
  id: string;
  title: string;
  organisation: string;
  portfolio: string | null;
  kind: 'feasibility' | 'implementation' | null;
  stage: Stage;
  applicantStatus: ApplicantStatus;
  idea: IdeaInput & { screening?: ActionInput<'screen-idea'> & By };
  application: (ApplicationInput & { submittedAt: string; round: number }) | null;
  assignment: { coach?: string; preparationGroup?: string } | null;
  valuation: (ActionInput<'record-valuation'> & By) | null;
  doubleCount: ({ key: string; conflictingCases: string[] } & Partial<Pick<ActionInput<'resolve-double-count'>, 'resolution' | 'comment'>>)[];
  completionRequests: (Pick<ActionInput<'request-completion'>, 'missing'> & { dueDate: string; dueAt: string; requestedAt: string; by: string; answeredAt?: string })[];
  preparation: (ActionInput<'recommend'> & By) | null;
  council: (ActionInput<'schedule-council'> & Partial<ActionInput<'council-opinion'> & By>) | null;
  budgetCheck: (ActionInput<'budget-check'> & By) | null;
  decision: (ActionInput<'decide'> & { tier: string } & By) | null;
  grantedAmount: number | null;
  /** The delegation tier that decides the pending grant (from the requested total), and the grant's own tier. */
  decisionTier: string | null;
  grantTier: string | null;
  /** The delegation ladder of the case's rule set: who may decide which amounts. */
  delegation?: RuleSet['delegation'];
  /** Set when the decider terminated the project; the final report is still required. */
  terminated: { by: string; at: string; motivation: string } | null;
  /** Current planned end; moved by approved change requests. */
  plannedEnd: string | null;
  reports: Report[];
  deviations: { at: string; reportId: string; reasons: string[]; resolvedBy?: string }[];
  changeRequests: ChangeRequest[];
  finalReport: (ActionInput<'submit-final-report'> & { submittedAt: string }) | null;
  /** Final reports the officer returned with what is missing, oldest first. */
  finalReportReturns?: (ActionInput<'return-final-report'> & { report: ActionInput<'submit-final-report'> & { submittedAt: string }; dueDate: string } & By)[];
  closure: { by: string; at: string; comment?: string } | null;
  deadlines: Deadline[];
  /** What the case still lacks for a grant (grantConditions.ts); absent on views recorded before it was kept. */
  openConditions?: OpenCondition[];
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

export interface NotificationIntent {
  template: EmailTemplate;
  to: Audience;
  /** Values the template needs beyond the case view. */
  data?: Record<string, unknown>;
}

/** A decision a step took: its kind and outcome, and for money the amount and the delegation tier. */
export interface Decision { kind: DecisionKind; outcome: string; amount?: number | null; tier?: string | null }

/** One recorded step of a case: becomes one audit row, one read-model upsert and its emails. */
export interface StepRecord {
  caseId: string;
  seq: number;
  at: string;
  actor: Actor;
  action: StepName;
  stageBefore: Stage | null;
  stageAfter: Stage;
  input: unknown;
  outcome: unknown;
  motivation?: string;
  /** The decision the step took, if it took one. */
  decision?: Decision;
  view: CaseView;
  notifications: NotificationIntent[];
}

export interface SavingsConflict { key: string; caseIds: string[] }

export type FrameReservation =
  | { ok: true }
  | { ok: false; year: number; frame: number; reserved: number; requested: number };
