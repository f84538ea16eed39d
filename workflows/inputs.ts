// The zod schemas of every body the case lifecycle takes: one per action, the idea sketch that starts a case,
// and a rule set. The API validates requests and generates its OpenAPI document from these; the workflow's
// update validators check the same shapes; the data types of workflows/types.ts are inferred from them.
// Pure, deterministic code only.
import { z } from 'zod';
import { addDuration } from './calendar';
import { utf8Bytes } from './utf8';
import type { ActionName } from './vocabulary';

/** Whether text() counts bytes: not in the bodies of cases of editions before 3, whose histories replay with what they accepted. */
let bytesCounted = true;
function withoutByteLimits<T>(build: () => T): T {
  bytesCounted = false;
  try {
    return build();
  } finally {
    bytesCounted = true;
  }
}

// The patterns say in the OpenAPI document what trim().min(1) and the database ask: something besides white
// space, and no NUL (PostgreSQL's text cannot hold it).
// The limit is in bytes (UTF-8), which is what a case's size is counted in; maxLength says the same number
// of characters to the OpenAPI document, which a text of multi-byte characters reaches later.
export const text = (max = 10_000) => {
  const chars = z.string().regex(/\S/, 'must hold more than white space')
    // eslint-disable-next-line no-control-regex -- NUL is the character it refuses
    .regex(/^[^\u0000]*$/, 'must not hold NUL characters')
    .trim().min(1).max(max);
  // Only past the bytes, not again past the characters (max already says so).
  return bytesCounted ? chars.refine((v) => v.length > max || utf8Bytes(v) <= max, `must be at most ${max} bytes in UTF-8 (å, ä and ö take two)`) : chars;
};

// A negative amount gets one message: the bound stops the others (a total's "above 0" among them).
export const sek = z.number().int().min(0, { error: 'must not be negative', abort: true }).max(100_000_000_000).describe('Whole SEK');
// Years 1900-2999: PostgreSQL has no year 0000, and the report calendar, counted on from a date near 9999,
// reaches years that JavaScript dates cannot be written in (a step that fails the workflow task for good).
// A pattern rather than a refinement, so that the OpenAPI document says it too.
// One message for a date in the wrong form: the form check stops the others.
export const isoDate = z.iso.date({ error: 'a date as YYYY-MM-DD that the calendar has, e.g. 2027-03-31', abort: true })
  .regex(/^(19\d\d|2\d\d\d)-/, 'a date in the years 1900-2999').describe('YYYY-MM-DD');
const light = z.enum(['green', 'yellow', 'red']);
const language = z.enum(['sv', 'en']);

/** The idea sketch (idéskiss) that starts a case; an applicant's organisation comes from the token. */
const createCase = () => z.strictObject({
  title: text(200),
  need: text(),
  idea: text(),
  expectedBenefits: text().optional(),
  roughCost: sek.optional(),
  organisation: text(100).optional().describe('Taken from the token for applicants'),
  contact: z.strictObject({ name: text(200).optional(), email: z.email().max(320).optional() }).optional(),
  language: language.optional(),
});

// Day-sized (P14D, P6W, P12M) or exact (PT20S), not both: a deadline is either the end of a Stockholm day or an instant.
const DURATION = /^P(?!$)(?:(\d+Y)?(\d+M)?(\d+W)?(\d+D)?|T(?=\d)(\d+H)?(\d+M)?(\d+S)?)$/;
// At most about 50 years: longer deadlines would carry a case's calendar past what dates can express.
const duration = () => z.string().regex(DURATION, 'an ISO 8601 duration, either day-sized (e.g. P14D, P6W, P12M) or exact (e.g. PT20S)')
  .refine((d) => !DURATION.test(d) || addDuration(0, d) <= 50 * 366 * 86_400_000, 'a duration of at most 50 years');
// A day that every year has (no 02-29): the due date recurs every year.
const monthDay = () => z.string().regex(/^(?:(?:0[13578]|1[02])-(?:0[1-9]|[12]\d|3[01])|(?:0[469]|11)-(?:0[1-9]|[12]\d|30)|02-(?:0[1-9]|1\d|2[0-8]))$/,
  'MM-DD, a day every year has');

/** A rule set: every number of the process that is policy, not law of nature. */
const ruleSet = () => z.strictObject({
  delegation: z.array(z.strictObject({ tier: z.string().regex(/^[a-z0-9-]{1,50}$/, 'lowercase letters, digits and -'), upTo: sek.nullable() })).min(1).max(20),
  ideaScreeningDeadline: duration(),
  applicationDeadline: duration(),
  applicationReminderAfter: duration(),
  completionDeadline: duration(),
  reportInterval: duration(),
  reminderBefore: duration(),
  escalationAfter: duration(),
  tertialDueDates: z.array(monthDay()).max(2).describe('Due dates of the tertial reports T1 (January-April) and T2 (May-August); the year-end report covers the third tertial'),
  yearEndDueDate: monthDay(),
  lightReportingBelow: sek,
  deviation: z.strictObject({ costTolerance: z.number().min(0).max(10), endDateSlip: duration() }),
  followUpOffsets: z.array(duration()).min(1).max(10),
  maxProjectLength: duration().optional().describe('The longest a project may run, from its start to its planned end (P5Y when not given): '
    + 'a project reports every interval until its end, and a case holds what it must decide on'),
}).superRefine((r, ctx) => {
  r.delegation.forEach((t, i) => {
    const prev = r.delegation[i - 1];
    if (prev && (prev.upTo === null || (t.upTo !== null && t.upTo <= prev.upTo))) {
      ctx.addIssue({ code: 'custom', path: ['delegation', i], message: 'tiers must be ordered by rising upTo, null (no limit) last' });
    }
  });
  if (r.delegation[r.delegation.length - 1]?.upTo !== null) ctx.addIssue({ code: 'custom', path: ['delegation'], message: 'the last tier must have upTo null (no limit)' });
  if (new Set(r.delegation.map((t) => t.tier)).size !== r.delegation.length) ctx.addIssue({ code: 'custom', path: ['delegation'], message: 'tier ids must be unique' });
});

let caseBody: ReturnType<typeof createCase> | undefined;
let ruleSetBody: ReturnType<typeof ruleSet> | undefined;
/** The body of POST /cases. */
export const caseInput = () => (caseBody ??= createCase());
/** The body of POST /rule-sets. */
export const ruleSetInput = () => (ruleSetBody ??= ruleSet());
export type IdeaBody = z.infer<ReturnType<typeof createCase>>;
export type RuleSetBody = z.infer<ReturnType<typeof ruleSet>>;

const screenIdea = () => z.strictObject({
  outcome: z.enum(['approve', 'reject', 'redirect']),
  reason: text().optional(),
  coach: text(200).optional(),
}).refine((b) => b.outcome === 'approve' || b.reason !== undefined, { path: ['reason'], message: 'reason is required unless the outcome is approve' })
  .meta({ anyOf: [{ properties: { outcome: { const: 'approve' } } }, { required: ['reason'] }] });

const benefits = () => z.strictObject({
  citizenBenefit: sek.optional(),
  businessBenefit: sek.optional(),
  developmentCost: sek.optional(),
  operationCost: sek.optional(),
  qualitative: text().optional(),
  timeFreedHoursPerYear: z.number().int().min(0).max(100_000_000).optional(),
  expectedUsers: z.number().int().min(0).max(100_000_000).optional(),
});

const submitApplication = () => z.strictObject({
  portfolio: text(50),
  kind: z.enum(['feasibility', 'implementation']),
  totalCost: sek.gt(0, 'totalCost must be above 0'),
  costPerYear: z.record(z.string().regex(/^\d{4}$/, 'a year, e.g. 2027'), sek).optional(),
  plannedStart: isoDate,
  plannedEnd: isoDate,
  projectLeader: text(200),
  benefits: benefits(),
  feasibilityStudy: z.string().regex(/^PK-\d{4}-\d{4,}$/, 'a case number, e.g. PK-2026-0001').optional()
    .describe('The feasibility study (förstudie) this implementation follows, by its case number'),
  savingsClaims: z.array(z.strictObject({
    key: z.string().trim().min(1).max(100).regex(/^[\p{L}\p{N}._:-]+$/u, 'letters, digits and . _ : - only'),
    description: text().optional(),
    amountPerYear: sek.optional(),
  })).max(100).optional(),
  owner: z.strictObject({
    name: text(200).optional(),
    managementObject: text(200).optional(),
    operationCostAccepted: z.boolean().optional(),
  }).optional(),
  realisationPlan: text().optional(),
  accessibility: text().optional(),
  security: text().optional(),
}).superRefine((b, ctx) => {
  if (b.plannedEnd < b.plannedStart) ctx.addIssue({ code: 'custom', path: ['plannedEnd'], message: 'plannedEnd must not be before plannedStart' });
  if (b.costPerYear) {
    const sum = Object.values(b.costPerYear).reduce((a, n) => a + n, 0);
    if (sum !== b.totalCost) ctx.addIssue({ code: 'custom', path: ['costPerYear'], message: `costPerYear sums to ${sum}, not totalCost ${b.totalCost}` });
  }
  const keys = (b.savingsClaims ?? []).map((c) => c.key);
  if (new Set(keys).size !== keys.length) ctx.addIssue({ code: 'custom', path: ['savingsClaims'], message: 'savings claim keys must be unique' });
});

const assign = () => z.strictObject({ coach: text(200).optional(), preparationGroup: text(200).optional() })
  .refine((b) => b.coach !== undefined || b.preparationGroup !== undefined, { message: 'coach or preparationGroup is required' })
  .meta({ anyOf: [{ required: ['coach'] }, { required: ['preparationGroup'] }] });

const recordValuation = () => z.strictObject({
  citizenBenefit: sek, businessBenefit: sek, developmentCost: sek, operationCost: sek, comment: text().optional(),
});

const resolveDoubleCount = () => z.strictObject({ key: text(100), resolution: z.enum(['keep', 'removed']), comment: text().optional() });

const requestCompletion = () => z.strictObject({ missing: z.array(text(2000)).min(1).max(50), dueDate: isoDate.optional() });

const recommend = () => z.strictObject({ recommendation: z.enum(['support', 'notSupport']), motivation: text() });

const scheduleCouncil = () => z.strictObject({ meetingId: text(100) });

const councilOpinion = () => z.strictObject({
  opinion: z.enum(['recommend', 'notRecommend']), priority: z.number().int().min(1).max(1000).optional(), comment: text().optional(),
});

const budgetCheck = () => z.strictObject({ outcome: z.enum(['ok', 'remarks']), remarks: text().optional() })
  .refine((b) => b.outcome === 'ok' || b.remarks !== undefined, { path: ['remarks'], message: 'remarks are required when the outcome is remarks' })
  .meta({ anyOf: [{ properties: { outcome: { const: 'ok' } } }, { required: ['remarks'] }] });

const decide = () => z.strictObject({
  outcome: z.enum(['approve', 'reject', 'return']),
  grantedAmount: sek.optional(),
  conditions: text().optional(),
  projectStart: isoDate.optional(),
  motivation: text(),
}).superRefine((b, ctx) => {
  if (b.outcome !== 'approve') return;
  if (b.grantedAmount === undefined || b.grantedAmount <= 0) ctx.addIssue({ code: 'custom', path: ['grantedAmount'], message: 'grantedAmount above 0 is required to approve' });
  if (b.projectStart === undefined) ctx.addIssue({ code: 'custom', path: ['projectStart'], message: 'projectStart is required to approve' });
}).meta({
  anyOf: [{ properties: { outcome: { enum: ['reject', 'return'] } } }, { required: ['grantedAmount', 'projectStart'], properties: { grantedAmount: { exclusiveMinimum: 0 } } }],
});

const submitReport = () => z.strictObject({
  reportId: text(50),
  time: light, cost: light, scope: light,
  spentToDate: sek,
  forecastTotalCost: sek,
  forecastEndDate: isoDate,
  milestones: text().optional(),
  risks: text().optional(),
  benefitOutlook: text().optional(),
  comment: text().optional(),
});

const requestChange = () => z.strictObject({
  reason: text(),
  newTotalCost: sek.optional(),
  newEndDate: isoDate.optional(),
  scopeChange: text().optional(),
}).refine((b) => b.newTotalCost !== undefined || b.newEndDate !== undefined || b.scopeChange !== undefined,
  { message: 'a change request changes at least one of newTotalCost, newEndDate, scopeChange' })
  .meta({ anyOf: [{ required: ['newTotalCost'] }, { required: ['newEndDate'] }, { required: ['scopeChange'] }] });

const decideChange = () => z.strictObject({ outcome: z.enum(['approve', 'reject']), motivation: text() });

const terminate = () => z.strictObject({ motivation: text() });

const submitFinalReport = () => z.strictObject({
  outcome: text(),
  finalCost: sek,
  deliveredAgainstPlan: text(),
  handoverConfirmed: z.boolean(),
  supportArrangement: text(),
  followUpPlan: text(),
});

const approveClosure = () => z.strictObject({ comment: text().optional() });

const returnFinalReport = () => z.strictObject({
  missing: z.array(text(2000)).min(1).max(50),
  dueDate: isoDate.optional().describe('When the completed final report is due; by default the completion deadline of the rule set'),
});

const effectReport = <R extends z.ZodType>(realised: R) => z.strictObject({
  reportId: text(50),
  realised,
  savings: z.array(z.strictObject({ key: text(100), realisedAmountPerYear: sek })).max(100).optional()
    .describe('One entry per savings claim the case kept, by its key'),
  comment: text().optional(),
});
const submitEffectReport = () => effectReport(z.strictObject({ citizenBenefit: sek, businessBenefit: sek, developmentCost: sek, operationCost: sek }));

const withdraw = () => z.strictObject({ reason: text().optional() });

/** Every human step: action name (as in the URL) to the builder of its body schema. */
const builders = {
  'screen-idea': screenIdea,
  'submit-application': submitApplication,
  assign,
  'record-valuation': recordValuation,
  'resolve-double-count': resolveDoubleCount,
  'request-completion': requestCompletion,
  recommend,
  'schedule-council': scheduleCouncil,
  'council-opinion': councilOpinion,
  'budget-check': budgetCheck,
  decide,
  'submit-report': submitReport,
  'request-change': requestChange,
  'decide-change': decideChange,
  terminate,
  'submit-final-report': submitFinalReport,
  'approve-closure': approveClosure,
  'return-final-report': returnFinalReport,
  'submit-effect-report': submitEffectReport,
  withdraw,
} satisfies Record<ActionName, () => z.ZodType>;

type ActionSchemas = { [A in ActionName]: ReturnType<(typeof builders)[A]> };
export type ActionInput<A extends ActionName> = z.infer<ActionSchemas[A]>;

const built: Partial<ActionSchemas> = {};

/**
 * Bodies as cases of edition 1 (editions/first.ts) accepted them, where they have changed since: their
 * histories replay through these. An effect report then carried no development cost. Here rather than in
 * first.ts because zod must load only when a step is first validated (validation.ts).
 */
const earlierBuilders: Partial<{ [A in ActionName]: () => z.ZodType }> = {
  'submit-effect-report': () => effectReport(z.strictObject({ citizenBenefit: sek, businessBenefit: sek, developmentCost: sek.optional(), operationCost: sek })),
};
const builtEarlier = new Map<string, z.ZodType>();

/** What of a case's edition its bodies depend on (editions/edition.ts). */
export interface BodyRules { number: number; firstBodies: boolean; boundsSize: boolean }

/** The body schema an action had in a case's edition: without size bounds, texts were counted in characters only. */
export function actionInputOf<A extends ActionName>(action: A, edition: BodyRules): z.ZodType<ActionInput<A>> {
  if (edition.boundsSize && !edition.firstBodies) return actionInput(action) as unknown as z.ZodType<ActionInput<A>>;
  const key = `${action}@${edition.number}`;
  let schema = builtEarlier.get(key);
  if (!schema) {
    const build = (edition.firstBodies ? earlierBuilders[action] : undefined) ?? builders[action];
    schema = withoutByteLimits(build);
    builtEarlier.set(key, schema);
  }
  return schema as z.ZodType<ActionInput<A>>;
}

/**
 * The body schema of an action, built on first use. Building all of them cost each workflow instance
 * ~15 ms and ~1.5 MB (zod schemas are heavy objects); an instance builds only those it validates.
 */
export function actionInput<A extends ActionName>(action: A): ActionSchemas[A] {
  return (built[action] ??= builders[action]() as ActionSchemas[A]) as ActionSchemas[A];
}
