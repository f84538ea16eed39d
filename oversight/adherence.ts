// Adherence: the share of finished projects that went over budget or over time, each judged by the deviation
// tolerances of the rule set its case is pinned to. Over budget: the final cost above the first grant plus
// the cost tolerance. Over time: the project ended (the final report filed, or the planned end as approved
// changes moved it, whichever came first) after the application's planned end plus the allowed slip.
// Finished: the closure approved and the project not terminated.
import { addToDate, stockholmDate } from '../workflows/calendar';

export interface FinishedProject {
  id: string;
  portfolio: string | null;
  ruleSetVersion: number;
  tolerance: { costTolerance: number; endDateSlip: string };
  grantedAtDecision: number;
  finalCost: number;
  plannedEndAtApplication: string;
  plannedEndNow: string;
  finalReportAt: string;
}

export interface ProjectAdherence { caseId: string; overBudget: boolean; overTime: boolean; ruleSetVersion: number }

export function projectAdherence(p: FinishedProject): ProjectAdherence {
  const ended = [stockholmDate(Date.parse(p.finalReportAt)), p.plannedEndNow].sort()[0];
  return {
    caseId: p.id,
    ruleSetVersion: p.ruleSetVersion,
    overBudget: p.finalCost > p.grantedAtDecision * (1 + p.tolerance.costTolerance),
    overTime: ended > addToDate(p.plannedEndAtApplication, p.tolerance.endDateSlip),
  };
}

/** The cases a figure names: the latest by case number; its count holds them all. A dashboard answer stays bounded. */
export const CASES_NAMED = 100;

export interface AdherenceFigures {
  finished: number;
  overBudget: { count: number; share: number | null; cases: string[] };
  overTime: { count: number; share: number | null; cases: string[] };
}

function figures(judged: ProjectAdherence[]): AdherenceFigures {
  const share = (n: number) => (judged.length === 0 ? null : Math.round((n / judged.length) * 1000) / 1000);
  const over = (f: (a: ProjectAdherence) => boolean) => {
    const cases = judged.filter(f).map((a) => a.caseId);
    return { count: cases.length, share: share(cases.length), cases: cases.slice(-CASES_NAMED) };
  };
  return { finished: judged.length, overBudget: over((a) => a.overBudget), overTime: over((a) => a.overTime) };
}

export function adherence(projects: FinishedProject[]): AdherenceFigures & {
  byPortfolio: ({ portfolio: string | null } & AdherenceFigures)[];
  tolerances: { ruleSetVersion: number; costTolerance: number; endDateSlip: string; projects: number }[];
} {
  const judged = projects.map((p) => ({ p, a: projectAdherence(p) }));
  const portfolios = [...new Set(projects.map((p) => p.portfolio))].sort((a, b) => String(a).localeCompare(String(b)));
  const versions = [...new Set(projects.map((p) => p.ruleSetVersion))].sort((a, b) => a - b);
  return {
    ...figures(judged.map((j) => j.a)),
    byPortfolio: portfolios.map((portfolio) => ({ portfolio, ...figures(judged.filter((j) => j.p.portfolio === portfolio).map((j) => j.a)) })),
    tolerances: versions.map((v) => {
      const pinned = projects.filter((p) => p.ruleSetVersion === v);
      return { ruleSetVersion: v, ...pinned[0].tolerance, projects: pinned.length };
    }),
  };
}
