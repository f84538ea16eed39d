// Response schemas of the follow-up and oversight endpoints: the effect evaluation, the savings register, the
// meeting pack, the running projects and the catalogue. The figures are computed in oversight/.
import { z } from 'zod';
import { BENEFIT_PARTS } from '../../oversight/evaluation';
import { REPORT_STATUSES, STAGES } from '../../workflows/types';
import { sekAmount } from './amounts';

const instant = z.string().describe('ISO 8601 instant, UTC');
const day = z.string().describe('YYYY-MM-DD');
const stage = z.enum(STAGES);
const light = z.enum(['green', 'yellow', 'red']);
const byReport = z.array(z.object({ reportId: z.string(), realised: sekAmount.nullable() })).describe('What each received effect report gave, oldest first');

export const evaluationSchema = z.object({
  caseId: z.string(),
  title: z.string(),
  organisation: z.string(),
  portfolio: z.string().nullable(),
  stage,
  effectReports: z.array(z.object({ id: z.string(), dueDate: day, status: z.enum(REPORT_STATUSES), receivedAt: instant.nullable(), comment: z.string().nullable() })),
  basedOn: z.string().nullable().describe('The latest received effect report, which the realised figures come from; null before the first'),
  parts: z.array(z.object({
    part: z.enum(BENEFIT_PARTS),
    applied: sekAmount.nullable().describe("The application's benefit calculation (nyttokalkyl)"),
    valued: sekAmount.nullable().describe('The central valuation (nyttovärdering)'),
    realised: sekAmount.nullable().describe("Realised, as the latest effect report gives it; a development cost an earlier case's effect report did not carry is the final report's final cost"),
    realisedOfValuedPercent: z.number().int().nullable().describe('Realised as a share of the valuation, whole percent'),
    byReport,
  })).describe('The four parts of the benefit calculation'),
  savings: z.array(z.object({
    key: z.string(),
    description: z.string().nullable(),
    booked: sekAmount.nullable().describe('Per year, as the application booked it'),
    kept: z.boolean().describe('False when removed in the double-count check: another case books it'),
    realised: sekAmount.nullable().describe('Per year, as the latest effect report gives it'),
    byReport,
  })),
  savingsTotal: z.object({ booked: sekAmount, realised: sekAmount.nullable() }).describe('Kept claims only'),
  expectations: z.object({
    expectedUsers: z.number().int().nullable().describe('Expected users within 1-3 years, from the application'),
    timeFreedHoursPerYear: z.number().int().nullable(),
    qualitative: z.string().nullable().describe('Qualitative benefits, from the application'),
    outcome: z.string().nullable().describe('What the final report says came of the project'),
    deliveredAgainstPlan: z.string().nullable(),
  }).describe('Expected users and time freed, beside the outcome'),
}).meta({ id: 'EffectEvaluation' });

const registerClaimSchema = z.object({
  caseId: z.string(),
  title: z.string(),
  stage,
  key: z.string(),
  description: z.string().nullable(),
  status: z.enum(['pending', 'booked', 'withdrawn']),
  amountPerYear: sekAmount.describe('As booked in the application'),
  realisedAmountPerYear: sekAmount.nullable().describe('From the latest received effect report'),
  effectReport: z.string().nullable(),
  withdrawnBecause: z.enum(['rejected', 'withdrawn', 'lapsed', 'terminated']).nullable(),
}).meta({ id: 'SavingsRegisterClaim' });
const figure = (description: string) => z.object({ amount: sekAmount.describe('Per year'), claims: z.array(registerClaimSchema) }).describe(description);

export const savingsRegisterSchema = z.object({
  items: z.array(z.object({
    organisation: z.string(),
    year: z.number().int().describe('The budget year: the first calendar year after the planned end'),
    pending: figure('Claims of applications not yet decided'),
    booked: figure('Claims of granted projects'),
    realised: figure('Booked claims an effect report has answered, at what they realised'),
    notYetRealised: figure('Booked claims no effect report has answered yet'),
    withdrawn: figure('Claims of cases that ended without a grant, or of terminated projects'),
  })),
}).meta({ id: 'SavingsRegister' });

const frameLeft = z.object({
  year: z.number().int(),
  requested: sekAmount.describe('What the case asks of the year: its grant when granted, else its cost in that year'),
  leftBefore: sekAmount.describe('The frame less what cases not on this agenda reserve and what the cases ahead ask'),
  leftAfter: sekAmount,
});

export const meetingPackSchema = z.object({
  meeting: z.object({ id: z.string(), date: day, title: z.string().nullable() }),
  portfolios: z.array(z.object({
    id: z.string(),
    number: z.number().int().nullable(),
    name: z.string(),
    frames: z.array(z.object({
      year: z.number().int(), frame: sekAmount, reservedByOthers: sekAmount, requestedHere: sekAmount, leftAfterAll: sekAmount,
    })),
    cases: z.array(z.object({
      caseId: z.string(),
      title: z.string(),
      stage,
      organisation: z.object({ id: z.string(), name: z.string() }),
      kind: z.enum(['feasibility', 'implementation']).nullable(),
      amountApplied: sekAmount.nullable(),
      grantedAmount: sekAmount.nullable(),
      valuation: z.object({
        citizenBenefit: sekAmount, businessBenefit: sekAmount, developmentCost: sekAmount, operationCost: sekAmount, comment: z.string().nullable(),
      }).nullable(),
      recommendation: z.object({ recommendation: z.enum(['support', 'notSupport']), motivation: z.string() }).nullable(),
      doubleCount: z.array(z.object({ key: z.string(), conflictingCases: z.array(z.string()), resolution: z.enum(['keep', 'removed']).nullable() })),
      opinion: z.object({ opinion: z.enum(['recommend', 'notRecommend']), comment: z.string().nullable() }).nullable(),
      priority: z.number().int().nullable(),
      movedFrom: z.string().nullable().describe('The meeting the case was moved here from'),
      frameLeft: z.array(frameLeft),
      fits: z.boolean().describe('Every year of the case within what is left of the frame after it'),
    })).describe('In priority order: ranked first, then those the preparation group supports, then by case number'),
  })).describe('By portfolio number'),
}).meta({ id: 'MeetingPack' });

export const runningProjectsSchema = z.object({
  items: z.array(z.object({
    portfolio: z.object({ id: z.string(), number: z.number().int().nullable(), name: z.string() }),
    totals: z.object({
      projects: z.number().int(), granted: sekAmount, spentToDate: sekAmount,
      forecastTotalCost: sekAmount.describe("Each project's latest forecast, or its grant before its first report"),
      red: z.number().int().describe('Projects whose last report shows a red light'),
      openDeviations: z.number().int(), openChangeRequests: z.number().int(), lateReports: z.number().int(),
    }),
    projects: z.array(z.object({
      caseId: z.string(),
      title: z.string(),
      organisation: z.string(),
      stage,
      terminated: z.boolean(),
      grantedAmount: sekAmount,
      projectStart: day.nullable(),
      plannedEnd: day.nullable(),
      lastReport: z.object({ id: z.string(), type: z.string(), periodEnd: z.string(), receivedAt: instant, time: light, cost: light, scope: light }).nullable(),
      spentToDate: sekAmount.nullable(),
      spentOfGrantPercent: z.number().int().nullable(),
      forecastTotalCost: sekAmount.nullable(),
      forecastEndDate: day.nullable(),
      openDeviations: z.array(z.object({ reportId: z.string(), at: instant, reasons: z.array(z.string()) })),
      openChangeRequests: z.array(z.object({ id: z.string(), requestedAt: instant, reason: z.string(), newTotalCost: sekAmount.nullable(), newEndDate: day.nullable() })),
      lateReports: z.array(z.object({ id: z.string(), type: z.string(), dueDate: day, status: z.enum(['overdue', 'escalated']) })),
    })),
  })).describe('By portfolio number'),
}).meta({ id: 'RunningProjects' });

export const catalogueEntrySchema = z.object({
  id: z.string(),
  title: z.string(),
  organisation: z.string(),
  portfolio: z.string().nullable(),
  kind: z.enum(['feasibility', 'implementation']).nullable(),
  stage,
  need: z.string(),
  idea: z.string(),
  expectedBenefits: z.string().nullable(),
  projectLeader: z.string().nullable(),
  outcome: z.string().nullable().describe('What the final report says came of a finished project'),
  feasibilityStudy: z.string().nullable().describe('The feasibility study an implementation follows'),
  createdAt: instant,
}).meta({ id: 'CatalogueEntry' });
