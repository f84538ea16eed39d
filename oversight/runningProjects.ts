// The running projects as the council follows them: per project the traffic lights of its last report, spent
// against the grant, the forecast cost and end, open deviations and change requests, and reports that are
// late; per portfolio the same summed up. A running project is one in execution, or in closure with its final
// report still to be approved.
import { isPeriodic, LATE_REPORT_STATUSES } from '../workflows/reports';
import type { CaseView, ReportStatus } from '../workflows/types';

type Light = 'green' | 'yellow' | 'red';

/** The fields of a case view the overview reads (db/oversight.ts takes only these out of the view). */
export type RunningCase = Pick<CaseView,
  'id' | 'title' | 'organisation' | 'portfolio' | 'stage' | 'grantedAmount' | 'plannedEnd' | 'reports' | 'deviations' | 'changeRequests' | 'terminated'
> & { projectStart: string | null };

export interface RunningProject {
  caseId: string;
  title: string;
  organisation: string;
  stage: CaseView['stage'];
  terminated: boolean;
  grantedAmount: number;
  projectStart: string | null;
  plannedEnd: string | null;
  lastReport: { id: string; type: string; periodEnd: string; receivedAt: string; time: Light; cost: Light; scope: Light } | null;
  spentToDate: number | null;
  /** Spent as a share of the grant, in whole percent. */
  spentOfGrantPercent: number | null;
  forecastTotalCost: number | null;
  forecastEndDate: string | null;
  openDeviations: { reportId: string; at: string; reasons: string[] }[];
  openChangeRequests: { id: string; requestedAt: string; reason: string; newTotalCost: number | null; newEndDate: string | null }[];
  lateReports: { id: string; type: string; dueDate: string; status: 'overdue' | 'escalated' }[];
}

export interface RunningPortfolio {
  portfolio: { id: string; number: number | null; name: string };
  totals: {
    projects: number; granted: number; spentToDate: number; forecastTotalCost: number;
    /** Projects whose last report shows a red light for time, cost or scope. */
    red: number; openDeviations: number; openChangeRequests: number; lateReports: number;
  };
  projects: RunningProject[];
}

const isLate = (status: ReportStatus): status is 'overdue' | 'escalated' => (LATE_REPORT_STATUSES as readonly ReportStatus[]).includes(status);

export function runningProject(c: RunningCase): RunningProject {
  const last = c.reports
    .filter((r) => isPeriodic(r) && r.status === 'received' && r.receivedAt !== undefined)
    .sort((a, b) => (a.receivedAt as string).localeCompare(b.receivedAt as string) || a.periodEnd.localeCompare(b.periodEnd))
    .pop();
  const content = last?.content as { time: Light; cost: Light; scope: Light; spentToDate: number; forecastTotalCost: number; forecastEndDate: string } | undefined;
  const granted = c.grantedAmount ?? 0;
  return {
    caseId: c.id,
    title: c.title,
    organisation: c.organisation,
    stage: c.stage,
    terminated: c.terminated !== null,
    grantedAmount: granted,
    projectStart: c.projectStart,
    plannedEnd: c.plannedEnd,
    lastReport: last && content ? {
      id: last.id, type: last.type, periodEnd: last.periodEnd, receivedAt: last.receivedAt as string, time: content.time, cost: content.cost, scope: content.scope,
    } : null,
    spentToDate: content?.spentToDate ?? null,
    spentOfGrantPercent: content && granted > 0 ? Math.round((content.spentToDate / granted) * 100) : null,
    forecastTotalCost: content?.forecastTotalCost ?? null,
    forecastEndDate: content?.forecastEndDate ?? null,
    openDeviations: c.deviations.filter((d) => d.resolvedBy === undefined).map((d) => ({ reportId: d.reportId, at: d.at, reasons: d.reasons })),
    openChangeRequests: c.changeRequests.filter((r) => r.status === 'open').map((r) => ({
      id: r.id, requestedAt: r.requestedAt, reason: r.reason, newTotalCost: r.newTotalCost ?? null, newEndDate: r.newEndDate ?? null,
    })),
    lateReports: c.reports.flatMap((r) => (isLate(r.status) ? [{ id: r.id, type: r.type, dueDate: r.dueDate, status: r.status }] : [])),
  };
}

/** Per portfolio (by number), projects by case number. */
export function runningProjects(rows: RunningCase[], portfolios: { id: string; number: number; name: string }[]): RunningPortfolio[] {
  const out = new Map<string, RunningProject[]>();
  for (const row of [...rows].sort((a, b) => a.id.localeCompare(b.id))) {
    const key = row.portfolio ?? '';
    out.set(key, [...(out.get(key) ?? []), runningProject(row)]);
  }
  const number = (id: string) => portfolios.find((p) => p.id === id)?.number ?? null;
  return [...out.entries()]
    .sort(([a], [b]) => (number(a) ?? Infinity) - (number(b) ?? Infinity) || a.localeCompare(b))
    .map(([id, projects]) => {
      const sum = (f: (p: RunningProject) => number) => projects.reduce((n, p) => n + f(p), 0);
      return {
        portfolio: { id, number: number(id), name: portfolios.find((p) => p.id === id)?.name ?? id },
        totals: {
          projects: projects.length,
          granted: sum((p) => p.grantedAmount),
          spentToDate: sum((p) => p.spentToDate ?? 0),
          forecastTotalCost: sum((p) => p.forecastTotalCost ?? p.grantedAmount),
          red: projects.filter((p) => p.lastReport && [p.lastReport.time, p.lastReport.cost, p.lastReport.scope].includes('red')).length,
          openDeviations: sum((p) => p.openDeviations.length),
          openChangeRequests: sum((p) => p.openChangeRequests.length),
          lateReports: sum((p) => p.lateReports.length),
        },
        projects,
      };
    });
}
