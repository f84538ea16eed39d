// The effect evaluation (effektutvärdering) of one case: each part of the benefit calculation (nyttokalkyl)
// as applied for, as valued centrally and as realised; each savings claim as booked and as realised; the
// expected users and time freed beside what the project says came of it. Pure: the API's evaluation
// endpoint and the council's email after an effect report both build it from the case view.
import { keptClaims, type ClaimsOfCase } from '../workflows/savings';
import type { CaseView, Report } from '../workflows/types';

export const BENEFIT_PARTS = ['citizenBenefit', 'businessBenefit', 'developmentCost', 'operationCost'] as const;
export type BenefitPart = (typeof BENEFIT_PARTS)[number];

/** What an effect report holds (the submit-effect-report body without its report id). */
interface EffectContent {
  realised?: Partial<Record<BenefitPart, number>>;
  savings?: { key: string; realisedAmountPerYear: number }[];
  comment?: string;
}

export interface PartEvaluation {
  part: BenefitPart;
  applied: number | null;
  valued: number | null;
  /** As the latest received effect report gives it. */
  realised: number | null;
  /** Realised as a share of the central valuation, in whole percent; null without both figures or with a valuation of 0. */
  realisedOfValuedPercent: number | null;
  byReport: { reportId: string; realised: number | null }[];
}

export interface SavingsEvaluation {
  key: string;
  description: string | null;
  /** Booked per year in the application. */
  booked: number | null;
  /** False when the claim was removed in the double-count check (another case books it). */
  kept: boolean;
  realised: number | null;
  byReport: { reportId: string; realised: number | null }[];
}

export interface EffectEvaluation {
  caseId: string;
  title: string;
  organisation: string;
  portfolio: string | null;
  stage: CaseView['stage'];
  effectReports: { id: string; dueDate: string; status: Report['status']; receivedAt: string | null; comment: string | null }[];
  /** The latest received effect report, which the realised figures come from; null before the first. */
  basedOn: string | null;
  parts: PartEvaluation[];
  savings: SavingsEvaluation[];
  /** Kept claims only. */
  savingsTotal: { booked: number; realised: number | null };
  expectations: {
    expectedUsers: number | null;
    timeFreedHoursPerYear: number | null;
    qualitative: string | null;
    /** What the final report says came of the project, and how it was delivered against the plan. */
    outcome: string | null;
    deliveredAgainstPlan: string | null;
  };
}

/** What the evaluation reads of a case: the whole view, or an applicant's (applicants get no valuation). */
export type EvaluatedCase = Pick<CaseView, 'id' | 'title' | 'organisation' | 'portfolio' | 'stage' | 'reports' | 'finalReport'> & ClaimsOfCase & {
  valuation: Pick<NonNullable<CaseView['valuation']>, BenefitPart> | null;
};

const received = (view: EvaluatedCase) => view.reports
  .filter((r) => r.type === 'effect' && r.status === 'received')
  .sort((a, b) => (a.receivedAt ?? '').localeCompare(b.receivedAt ?? ''));

/**
 * A realised part as a report gives it. Effect reports of earlier cases carried no development cost; for those
 * the final report's final cost is what the development realised.
 */
function realisedPart(view: EvaluatedCase, content: EffectContent, part: BenefitPart): number | null {
  const value = content.realised?.[part];
  if (typeof value === 'number') return value;
  return part === 'developmentCost' ? view.finalReport?.finalCost ?? null : null;
}

const percent = (part: number | null, whole: number | null) => (part === null || whole === null || whole === 0 ? null : Math.round((part / whole) * 100));

export function effectEvaluation(view: EvaluatedCase): EffectEvaluation {
  const reports = received(view);
  const contentOf = (r: Report) => (r.content ?? {}) as EffectContent;
  const latest = reports[reports.length - 1];
  const app = view.application;
  const parts = BENEFIT_PARTS.map((part): PartEvaluation => {
    const byReport = reports.map((r) => ({ reportId: r.id, realised: realisedPart(view, contentOf(r), part) }));
    const realised = byReport[byReport.length - 1]?.realised ?? null;
    const valued = view.valuation?.[part] ?? null;
    return { part, applied: app?.benefits[part] ?? null, valued, realised, realisedOfValuedPercent: percent(realised, valued), byReport };
  });
  const kept = new Set(keptClaims(view));
  const savings = (app?.savingsClaims ?? []).map((c): SavingsEvaluation => {
    const byReport = reports.map((r) => ({ reportId: r.id, realised: contentOf(r).savings?.find((s) => s.key === c.key)?.realisedAmountPerYear ?? null }));
    return {
      key: c.key, description: c.description ?? null, booked: c.amountPerYear ?? null, kept: kept.has(c.key),
      realised: byReport[byReport.length - 1]?.realised ?? null, byReport,
    };
  });
  const keptSavings = savings.filter((s) => s.kept);
  return {
    caseId: view.id,
    title: view.title,
    organisation: view.organisation,
    portfolio: view.portfolio,
    stage: view.stage,
    effectReports: view.reports.filter((r) => r.type === 'effect').map((r) => ({
      id: r.id, dueDate: r.dueDate, status: r.status, receivedAt: r.receivedAt ?? null, comment: contentOf(r).comment ?? null,
    })),
    basedOn: latest?.id ?? null,
    parts,
    savings,
    savingsTotal: {
      booked: keptSavings.reduce((sum, s) => sum + (s.booked ?? 0), 0),
      realised: latest ? keptSavings.reduce((sum, s) => sum + (s.realised ?? 0), 0) : null,
    },
    expectations: {
      expectedUsers: app?.benefits.expectedUsers ?? null,
      timeFreedHoursPerYear: app?.benefits.timeFreedHoursPerYear ?? null,
      qualitative: app?.benefits.qualitative ?? null,
      outcome: view.finalReport?.outcome ?? null,
      deliveredAgainstPlan: view.finalReport?.deliveredAgainstPlan ?? null,
    },
  };
}
