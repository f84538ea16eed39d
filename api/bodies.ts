// Bodies only the API validates: a new case (the idea sketch, idéskiss) and a rule set. The action bodies,
// which the case workflow validates as well, are in workflows/inputs.ts.
import { z } from 'zod';
import { sek, text } from '../workflows/inputs';
import { addDuration } from '../workflows/rules';

const language = z.enum(['sv', 'en']);

export const createCase = z.strictObject({
  title: text(200),
  need: text(),
  idea: text(),
  expectedBenefits: text().optional(),
  roughCost: sek.optional(),
  organisation: text(100).optional().describe("Taken from the token for applicants"),
  contact: z.strictObject({ name: text(200).optional(), email: z.email().max(320).optional() }).optional(),
  language: language.optional(),
});

const DURATION = /^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+S)?)?$/;
// At most about 50 years: longer deadlines would carry a case's calendar past what dates can express.
const duration = z.string().regex(DURATION, 'an ISO 8601 duration, e.g. P14D or PT20S')
  .refine((d) => !DURATION.test(d) || addDuration(0, d) <= 50 * 366 * 86_400_000, 'a duration of at most 50 years');
const monthDay = z.string().regex(/^(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/, 'MM-DD');

export const ruleSetBody = z.strictObject({
  delegation: z.array(z.strictObject({ tier: z.string().regex(/^[a-z0-9-]{1,50}$/, 'lowercase letters, digits and -'), upTo: sek.nullable() })).min(1).max(20),
  ideaScreeningDeadline: duration,
  applicationDeadline: duration,
  applicationReminderAfter: duration,
  completionDeadline: duration,
  reportInterval: duration,
  reminderBefore: duration,
  escalationAfter: duration,
  tertialDueDates: z.array(monthDay).max(3),
  yearEndDueDate: monthDay,
  lightReportingBelow: sek,
  deviation: z.strictObject({ costTolerance: z.number().min(0).max(10), endDateSlip: duration }),
  followUpOffsets: z.array(duration).min(1).max(10),
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
