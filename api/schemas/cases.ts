// Response schemas of the case endpoints: the case view, which is the workflow's CaseView (workflows/types.ts)
// with the caller's allowedActions added, and the list's summary line (CaseSummary, db/readModel.ts). The
// compile-time check at the bottom fails when CaseView gains a field this schema does not document; it does
// not compare nested fields or types.
import { z } from 'zod';
import { ACTION_NAMES } from '../../workflows/vocabulary';
import { actionInput, caseInput } from '../../workflows/inputs';
import type { CaseView } from '../../workflows/types';
import { REPORT_STATUSES, STAGES } from '../../workflows/types';
import { sekAmount } from './amounts';

const instant = z.string().describe('ISO 8601 instant, UTC');
const day = z.string().describe('YYYY-MM-DD');

export const caseIdParam = z.string().regex(/^PK-\d{4}-\d{4,}$/, 'a case number, e.g. PK-2026-0001').describe('Case number, e.g. PK-2026-0001');

/** Who took a step and when; applicants are not told who among the officials did (api/applicantView.ts). */
const by = { by: z.string().optional().describe("Who took the step; absent in an applicant's view"), at: instant };

const applicantStatusSchema = z.object({
  code: z.string(),
  text: z.object({ sv: z.string(), en: z.string() }),
}).meta({ id: 'ApplicantStatus', description: 'What the applicant sees: who holds the ball, in plain words' });

const reportSchema = z.object({
  id: z.string(),
  type: z.enum(['sixWeek', 'tertial1', 'tertial2', 'yearEnd', 'final', 'effect']),
  periodStart: z.string(),
  periodEnd: z.string(),
  dueDate: day,
  dueAt: instant,
  status: z.enum(REPORT_STATUSES).describe('notReceived: a periodic report never filed when execution ended; kept on record, no longer awaited'),
  receivedAt: instant.optional(),
  content: z.record(z.string(), z.unknown()).optional()
    .describe("What was filed. The free texts (milestones, risks, benefitOutlook, comment) are kept in the database: the case read with GET /cases/{id} has them, an action's answer does not"),
}).meta({ id: 'Report' });

const changeRequestSchema = z.object({
  id: z.string(),
  requestedBy: z.string().optional().describe("Absent in an applicant's view"),
  requestedAt: instant,
  reason: z.string(),
  newTotalCost: sekAmount.optional(),
  newEndDate: day.optional(),
  scopeChange: z.string().optional(),
  tier: z.string().describe('The lowest delegation tier that may decide it'),
  status: z.enum(['open', 'approved', 'rejected', 'closed']).describe('closed: still open when the project was terminated'),
  budgetCheckRequired: z.boolean().optional().describe('The change raises the total: the budget check comes before the decision'),
  budgetCheck: z.object({ outcome: z.enum(['ok', 'remarks']), remarks: z.string().optional(), ...by }).optional().describe("Absent in an applicant's view"),
  decidedAt: instant.optional(),
  decidedBy: z.string().optional(),
  motivation: z.string().optional(),
}).meta({ id: 'ChangeRequest' });

const deadlineSchema = z.object({
  what: z.string(),
  from: z.enum(['applicant', 'officer', 'valuer', 'preparer', 'council', 'budget', 'decider']),
  by: instant.describe('The instant the deadline acts'),
  dueDate: day.optional().describe('The last day it allows'),
}).meta({ id: 'Deadline' });

const ideaSchema = caseInput().extend({
  organisation: z.string(),
  screening: z.object({ outcome: z.string(), reason: z.string().optional(), coach: z.string().optional(), ...by }).optional(),
});

const caseLinkSchema = z.object({ id: z.string(), title: z.string(), organisation: z.string(), stage: z.enum(STAGES) }).meta({ id: 'CaseLink' });

export const caseViewSchema = z.object({
  id: z.string(),
  title: z.string(),
  organisation: z.string(),
  portfolio: z.string().nullable(),
  kind: z.enum(['feasibility', 'implementation']).nullable(),
  stage: z.enum(STAGES),
  applicantStatus: applicantStatusSchema,
  allowedActions: z.array(z.enum(ACTION_NAMES)).describe('What the caller may do now'),
  idea: ideaSchema,
  application: actionInput('submit-application').safeExtend({ submittedAt: instant, round: z.number().int() }).nullable(),
  assignment: z.object({ coach: z.string().optional(), preparationGroup: z.string().optional() }).nullable(),
  valuation: z.object({ citizenBenefit: sekAmount, businessBenefit: sekAmount, developmentCost: sekAmount, operationCost: sekAmount, comment: z.string().optional(), ...by }).nullable()
    .describe("The central valuation (nyttovärdering); null in an applicant's view"),
  doubleCount: z.array(z.object({
    key: z.string(), conflictingCases: z.array(z.string()).optional().describe("The cases that booked the key first; absent in an applicant's view"),
    resolution: z.enum(['keep', 'removed']).optional(), comment: z.string().optional(),
  })).describe('Savings claims flagged in the double-count check'),
  completionRequests: z.array(z.object({ missing: z.array(z.string()), dueDate: day, dueAt: instant, requestedAt: instant, by: by.by, answeredAt: instant.optional() })),
  preparation: z.object({ recommendation: z.enum(['support', 'notSupport']), motivation: z.string(), ...by }).nullable()
    .describe("The preparation group's recommendation; null in an applicant's view"),
  council: z.object({
    meetingId: z.string(), opinion: z.enum(['recommend', 'notRecommend']).optional(), priority: z.number().int().optional(),
    comment: z.string().optional(), by: z.string().optional(), at: instant.optional(),
  }).nullable().describe("The meeting the case is on and the council's opinion; an applicant's view holds the meeting only"),
  budgetCheck: z.object({ outcome: z.enum(['ok', 'remarks']), remarks: z.string().optional(), ...by }).nullable()
    .describe("The budget check (budgetledning); null in an applicant's view"),
  decision: z.object({
    outcome: z.enum(['approve', 'reject', 'return']), grantedAmount: sekAmount.optional(), conditions: z.string().optional(),
    projectStart: day.optional(), motivation: z.string(), tier: z.string(), ...by,
  }).nullable().describe("The grant decision and its grounds; a return to preparation is not in an applicant's view"),
  grantedAmount: sekAmount.nullable(),
  decisionTier: z.string().nullable().describe('The delegation tier that decides the pending grant'),
  grantTier: z.string().nullable().describe("The grant's own tier (decides termination)"),
  delegation: z.array(z.object({ tier: z.string(), upTo: sekAmount.nullable() })).optional()
    .describe("The case's delegation ladder: a tier may decide any amount up to its upTo (null: no limit)"),
  terminated: z.object({ motivation: z.string(), ...by }).nullable(),
  plannedEnd: day.nullable(),
  reports: z.array(reportSchema),
  deviations: z.array(z.object({ at: instant, reportId: z.string(), reasons: z.array(z.string()), resolvedBy: z.string().optional() })),
  changeRequests: z.array(changeRequestSchema),
  finalReport: z.record(z.string(), z.unknown()).nullable(),
  finalReportReturns: z.array(z.object({
    missing: z.array(z.string()), dueDate: day, report: z.record(z.string(), z.unknown()), ...by,
  })).optional().describe('Final reports the officer returned with what is missing'),
  closure: z.object({ comment: z.string().optional(), ...by }).nullable(),
  deadlines: z.array(deadlineSchema).describe('What is awaited, from whom, by when'),
  openConditions: z.array(z.object({
    code: z.enum(['owner-operation-cost-accepted', 'double-count-unresolved']).describe('The rule the decision will hold the case to'),
    from: z.enum(['applicant', 'officer']).describe('Who can mend it'),
    text: z.object({ sv: z.string(), en: z.string() }),
  })).optional().describe('What the case still lacks for a grant, from the application to the decision, in plain words'),
  ruleSetVersion: z.number().int(),
  language: z.enum(['sv', 'en']),
  createdAt: instant,
  updatedAt: instant,
  closedAt: instant.nullable(),
  seq: z.number().int().describe('Sequence number of the last recorded step'),
  links: z.object({
    feasibilityStudy: caseLinkSchema.nullable().describe('The feasibility study (förstudie) this implementation follows, as its application names it'),
    implementations: z.array(caseLinkSchema).describe('The implementations whose applications name this case as their feasibility study'),
  }),
}).meta({
  id: 'CaseView',
  description: 'A case as its caller may read it. Applicants get their own organisation\'s cases without the internal assessments (valuation, '
    + 'preparation, council opinion, budget check, which cases a savings claim collides with) and without who among the officials took each step.',
});

/** A line of the case list: the fields of the view a list shows, as CaseSummary (db/readModel.ts) picks them. */
export const caseSummarySchema = caseViewSchema.pick({
  id: true, title: true, organisation: true, portfolio: true, kind: true, stage: true, applicantStatus: true, grantedAmount: true,
  ruleSetVersion: true, createdAt: true, updatedAt: true,
}).extend({ overdueReports: z.number().int().describe('Reports overdue or escalated') }).meta({ id: 'CaseSummary' });

type Documented = z.infer<typeof caseViewSchema>;
type Assert<T extends true> = T;
/** Fails to compile when the workflow's CaseView gains a field this schema does not document. */
export type CaseViewDocumented = Assert<[Exclude<keyof CaseView, keyof Documented>] extends [never] ? true : false>;
