// The office's dashboard: where cases are, what is late, how fast decisions come, how the frames are used,
// whether benefits come home, and whether emails get through.
import { z } from 'zod';
import { benefits, countsByStage, lateReportCounts, leadTimes, overdueReports } from '../../db/dashboard';
import { outboxHealth } from '../../db/outbox';
import { frameUse } from '../../db/readModel';
import { STAGES } from '../../workflows/types';
import type { AppDeps } from '../app';
import { defineOperation, type Operation } from '../operation';
import { frameYearSchema, sekAmount } from '../schemas/amounts';

const count = z.number().int();
const leadTime = z.object({ medianDays: z.number().nullable(), cases: count });
const benefitParts = z.object({ citizenBenefit: sekAmount, businessBenefit: sekAmount, operationCost: sekAmount, savingsPerYear: sekAmount });

const dashboardSchema = z.object({
  stages: z.record(z.enum(STAGES), count).describe('Cases per stage'),
  reports: z.object({
    overdue: count,
    escalated: count.describe('Open escalations: overdue past the escalation offset'),
    items: z.array(z.object({
      caseId: z.string(), title: z.string(), organisation: z.string(), reportId: z.string(), type: z.string(), dueDate: z.string(),
      status: z.enum(['overdue', 'escalated']),
    })).describe('Longest overdue first, at most 200'),
  }),
  leadTimes: z.object({ ideaToDecision: leadTime, applicationToDecision: leadTime, decisionToStart: leadTime })
    .describe('Median days over cases decided (approved or rejected) in the range'),
  frames: z.array(z.object({ portfolioId: z.string(), ...frameYearSchema.shape })),
  benefits: z.object({
    cases: count.describe('Cases with at least one effect report received'),
    planned: benefitParts.describe("Their applications' benefit calculation (nyttokalkyl) and savings claims"),
    realised: benefitParts.describe('What their latest effect reports say was realised'),
  }),
  emails: z.object({
    pending: count,
    sending: count.describe('Handed to the mail server, its answer not yet recorded'),
    sent: count,
    failed: count,
    oldestPendingAt: z.string().nullable().describe('ISO 8601 instant the oldest email not yet sent was queued; a long wait means mail is not going out'),
    latestFailures: z.array(z.object({
      caseId: z.string(), seq: z.number().int(), template: z.string(), lastError: z.string().nullable(), at: z.string().describe('ISO 8601 instant'),
    })).describe('Refused emails, newest first, at most 20; no addresses'),
  }).describe('The outbox: emails by delivery status'),
}).meta({ id: 'Dashboard' });

export function dashboardOperations({ db }: AppDeps): Operation[] {
  return [
    defineOperation({
      id: 'dashboard', method: 'get', path: '/dashboard', tag: 'Dashboard', access: ['officer', 'council', 'auditor'],
      summary: 'Counts per stage, overdue reports and escalations, lead times, frame use, benefits, email delivery',
      query: z.strictObject({
        from: z.iso.date().optional().describe('Lead times: decisions from this date (inclusive, UTC)'),
        to: z.iso.date().optional().describe('Lead times: decisions before this date (exclusive, UTC)'),
      }),
      success: { status: 200, description: 'The dashboard', schema: dashboardSchema },
      handler: async ({ query }) => {
        const [byStage, late, longestLate, lead, frames, benefit, mail] = await Promise.all([
          countsByStage(db),
          lateReportCounts(db),
          overdueReports(db),
          leadTimes(db, { from: query.from && `${query.from}T00:00:00Z`, to: query.to && `${query.to}T00:00:00Z` }),
          frameUse(db),
          benefits(db),
          outboxHealth(db),
        ]);
        return {
          stages: Object.fromEntries(STAGES.map((s) => [s, byStage[s] ?? 0])),
          reports: { ...late, items: longestLate },
          leadTimes: lead,
          frames,
          benefits: benefit,
          emails: { ...mail.counts, oldestPendingAt: mail.oldestPendingAt, latestFailures: mail.latestFailures },
        };
      },
    }),
  ];
}
