// The office's dashboard: where cases are, what is late, how fast decisions come, how the frames are used,
// whether benefits come home, and whether emails get through.
import { z } from 'zod';
import { benefits, countsByStage, lateReportCounts, leadTimes, overdueReports } from '../../db/dashboard';
import { outboxHealth } from '../../db/outbox';
import { finishedProjects, leadTimeCases } from '../../db/oversight';
import { frameUse } from '../../db/readModel';
import { adherence, CASES_NAMED } from '../../oversight/adherence';
import { leadTimeBreakdown } from '../../oversight/leadTimes';
import { STAGES, type Stage } from '../../workflows/types';
import type { AppDeps } from '../services';
import { defineOperation, type Operation } from '../operation';
import { renderPage } from '../pages';
import { representation, sendHtml } from '../representation';
import { frameYearSchema, sekAmount } from '../schemas/amounts';

const count = z.number().int();
const leadTime = z.object({ medianDays: z.number().nullable(), cases: count });
const holderTimes = {
  cases: count,
  withCityMedianDays: z.number().nullable().describe('Median days with the city: screening, preparation, council, decision, reviewing the final report'),
  withApplicantMedianDays: z.number().nullable().describe('Median days waiting on the applicant: application, completion, final report, reports filed after their due date'),
};
const namedCases = z.array(z.string()).describe(`The latest ${CASES_NAMED} by case number; count holds them all`);
const adherenceFigures = {
  finished: count.describe('Projects whose closure was approved (not terminated)'),
  overBudget: z.object({ count, share: z.number().nullable(), cases: namedCases }).describe('Final cost above the first grant plus the cost tolerance'),
  overTime: z.object({ count, share: z.number().nullable(), cases: namedCases })
    .describe("Ended after the application's planned end plus the allowed slip"),
};
const benefitParts = z.object({ citizenBenefit: sekAmount, businessBenefit: sekAmount, operationCost: sekAmount, savingsPerYear: sekAmount });

const dashboardSchema = z.object({
  stages: z.object(Object.fromEntries(STAGES.map((stage) => [stage, count])) as Record<Stage, typeof count>).describe('Cases per stage'),
  reports: z.object({
    overdue: count,
    escalated: count.describe('Open escalations: overdue past the escalation offset'),
    items: z.array(z.object({
      caseId: z.string(), title: z.string(), organisation: z.string(), reportId: z.string(), type: z.string(), dueDate: z.string(),
      status: z.enum(['overdue', 'escalated']),
    })).describe('Longest overdue first, at most 200'),
  }),
  leadTimes: z.object({
    ideaToDecision: leadTime, applicationToDecision: leadTime, decisionToStart: leadTime,
    byPortfolio: z.array(z.object({ portfolio: z.string().nullable(), ...holderTimes })),
    byOrganisation: z.array(z.object({ organisation: z.string(), ...holderTimes })),
    byStage: z.array(z.object({
      segment: z.enum(['idea', 'application', 'preparation', 'completion', 'council', 'decision', 'closure:applicant', 'closure:city', 'reportsLate'])
        .describe('A stage; closure split by whether the final report is awaited (applicant) or being reviewed (city); reportsLate: days reports were filed after their due date'),
      holder: z.enum(['applicant', 'city']),
      cases: count,
      medianDays: z.number().nullable(),
    })),
  }).describe('Median days over cases decided (approved or rejected) in the range; by portfolio, organisation and stage, finished stretches of each case\'s '
    + 'audit trail, the time waiting on the applicant apart from the time with the city'),
  adherence: z.object({
    ...adherenceFigures,
    byPortfolio: z.array(z.object({ portfolio: z.string().nullable(), ...adherenceFigures })),
    tolerances: z.array(z.object({ ruleSetVersion: z.number().int(), costTolerance: z.number(), endDateSlip: z.string(), projects: count }))
      .describe('The deviation tolerances of the rule sets the finished projects are pinned to'),
  }).describe('Finished projects over budget and over time, each by the tolerances of its own rule set'),
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
      summary: 'Counts per stage, overdue reports and escalations, lead times by who holds the ball, adherence, frame use, benefits, email delivery',
      query: z.strictObject({
        from: z.iso.date().optional().describe('Lead times: decisions from this date (inclusive, UTC)'),
        to: z.iso.date().optional().describe('Lead times: decisions before this date (exclusive, UTC)'),
      }),
      success: {
        status: 200, description: 'The dashboard', schema: dashboardSchema,
        alternatives: [{ contentType: 'text/html', schema: z.string().describe('The printable page (Swedish): lead times and frame use as plots') }],
      },
      handler: async ({ req, res, query }) => {
        const range = { from: query.from && `${query.from}T00:00:00Z`, to: query.to && `${query.to}T00:00:00Z` };
        const [byStage, late, longestLate, lead, frames, benefit, mail, stretches, finished] = await Promise.all([
          countsByStage(db),
          lateReportCounts(db),
          overdueReports(db),
          leadTimes(db, range),
          frameUse(db),
          benefits(db),
          outboxHealth(db),
          leadTimeCases(db, range),
          finishedProjects(db),
        ]);
        const dashboard = {
          stages: Object.fromEntries(STAGES.map((s) => [s, byStage[s] ?? 0])),
          reports: { ...late, items: longestLate },
          leadTimes: { ...lead, ...leadTimeBreakdown(stretches) },
          adherence: adherence(finished),
          frames,
          benefits: benefit,
          emails: { ...mail.counts, oldestPendingAt: mail.oldestPendingAt, latestFailures: mail.latestFailures },
        };
        if (representation(req, ['json', 'html']) === 'json') return dashboard;
        sendHtml(res, renderPage('dashboard', 'Projektkontorets översikt', dashboard));
        return undefined;
      },
    }),
  ];
}
