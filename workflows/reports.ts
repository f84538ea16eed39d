// The life of a report: scheduled with its three deadlines (reminder, due, escalation), then due, overdue,
// escalated or received. The report calendar (which reports, for which periods) is in reportCalendar.ts.
import { addDuration, endOfStockholmDay, isSubDay, startOfStockholmDay } from './calendar';
import { addTimer, dropTimers, type CaseState } from './caseState';
import { calendarReports, sixWeekReport } from './reportCalendar';
import type { Report, ReportStatus, RuleSet } from './types';

/** Past due and not received: what counts as a late report in lists, filters and the dashboard. */
export const LATE_REPORT_STATUSES = ['overdue', 'escalated'] as const satisfies readonly ReportStatus[];

/** Reminded, due or late: what the applicant is asked to file now. */
export const OPEN_REPORT_STATUSES = ['due', ...LATE_REPORT_STATUSES] as const satisfies readonly ReportStatus[];

export const isPeriodic = (r: Report): boolean => r.type !== 'final' && r.type !== 'effect';
export const isOpen = (r: Report): boolean => (OPEN_REPORT_STATUSES as readonly ReportStatus[]).includes(r.status);

/** Reports the applicant must file now, the one due first first. */
export function openReports(reports: Report[]): Report[] {
  return reports.filter(isOpen).sort((a, b) => a.dueAt.localeCompare(b.dueAt));
}

/** Puts a report on the case with its reminder, due and escalation timers. */
export function scheduleReport(state: CaseState, rules: RuleSet, report: Report): void {
  state.view.reports.push(report);
  const due = Date.parse(report.dueAt);
  addTimer(state, 'report-reminder', addDuration(due, rules.reminderBefore, -1), report.id);
  addTimer(state, 'report-overdue', due, report.id);
  addTimer(state, 'report-escalated', addDuration(due, rules.escalationAfter), report.id);
}

/** A report filed: received with what it says, and its remaining timers dropped. */
export function receiveReport(state: CaseState, report: Report, content: Record<string, unknown>, at: string): void {
  Object.assign(report, { status: 'received', receivedAt: at, content });
  dropTimers(state, (t) => t.ref === report.id);
}

/** Execution begins: the six-week series (unless the grant is light) and the calendar reports up to the planned end. */
export function startReporting(state: CaseState, rules: RuleSet, projectStart: string, now: number): void {
  const startAt = isSubDay(rules.reportInterval) ? Math.max(startOfStockholmDay(projectStart), now) : startOfStockholmDay(projectStart);
  state.projectStartAt = startAt;
  state.plannedEndAt = Math.max(endOfStockholmDay(state.view.plannedEnd as string), startAt + 1);
  if ((state.view.grantedAmount ?? 0) >= rules.lightReportingBelow) scheduleNextSixWeek(state, rules);
  for (const r of calendarReports(startAt, state.plannedEndAt, rules)) scheduleReport(state, rules, r);
  addTimer(state, 'planned-end', state.plannedEndAt);
}

/** The next six-week report, and the timer that schedules the one after it when this one falls due. */
export function scheduleNextSixWeek(state: CaseState, rules: RuleSet): void {
  const report = sixWeekReport(state.nextSixWeek, state.projectStartAt as number, state.plannedEndAt as number, rules);
  if (!report) return;
  state.nextSixWeek += 1;
  scheduleReport(state, rules, report);
  addTimer(state, 'report-scheduled', Date.parse(report.dueAt));
}

/** A moved end date: calendar reports not yet due follow the new span; the planned-end timer moves. */
export function replanReporting(state: CaseState, rules: RuleSet, newEnd: string): void {
  const { view } = state;
  view.plannedEnd = newEnd;
  if (view.stage !== 'execution' || state.projectStartAt === null) return;
  state.plannedEndAt = Math.max(endOfStockholmDay(newEnd), state.projectStartAt + 1);
  const calendar = (r: Report) => (r.type === 'tertial1' || r.type === 'tertial2' || r.type === 'yearEnd') && r.status === 'scheduled';
  const dropped = new Set(view.reports.filter(calendar).map((r) => r.id));
  view.reports = view.reports.filter((r) => !dropped.has(r.id));
  dropTimers(state, (t) => t.kind === 'planned-end' || (t.ref !== undefined && dropped.has(t.ref)));
  const kept = new Set(view.reports.map((r) => r.id));
  for (const r of calendarReports(state.projectStartAt, state.plannedEndAt, rules)) if (!kept.has(r.id)) scheduleReport(state, rules, r);
  addTimer(state, 'planned-end', state.plannedEndAt);
  if (!state.timers.some((t) => t.kind === 'report-scheduled') && (view.grantedAmount ?? 0) >= rules.lightReportingBelow) scheduleNextSixWeek(state, rules);
}

/** Execution ends: periodic reports not yet due are dropped; those already due stay on record but stop escalating. */
export function stopPeriodicReports(state: CaseState): void {
  const stopping = (r: Report) => isPeriodic(r) && r.status !== 'received';
  const ids = new Set(state.view.reports.filter(stopping).map((r) => r.id));
  state.view.reports = state.view.reports.filter((r) => !(stopping(r) && r.status === 'scheduled'));
  dropTimers(state, (t) => t.kind === 'report-scheduled' || t.kind === 'planned-end' || (t.ref !== undefined && ids.has(t.ref)));
}

/** The last spend a received report stated, 0 before the first. */
export function lastReportedSpend(reports: Report[]): number {
  const received = reports.filter((r) => r.status === 'received' && typeof r.content?.spentToDate === 'number');
  return (received[received.length - 1]?.content?.spentToDate as number | undefined) ?? 0;
}
