// The life of a report: scheduled with its three deadlines (reminder, due, escalation); open for filing from
// the first day of its period; then due (reminded), overdue, escalated or received. When execution ends, a
// periodic report never filed is closed as not received: kept on record, no longer awaited. The report
// calendar (which reports, for which periods) is in reportCalendar.ts.
import { endOfStockholmDay, startOfStockholmDay, stockholmDate } from './calendar';
import { addTimer, dropTimers, type CaseState } from './caseState';
import { editionOf } from './editions';
import { calendarReports } from './reportCalendar';
import type { Report, ReportStatus, RuleSet } from './types';

/** Past due and not received: what counts as a late report in lists, filters and the dashboard. */
export const LATE_REPORT_STATUSES = ['overdue', 'escalated'] as const satisfies readonly ReportStatus[];

/** Reminded, due or late: what the applicant is reminded to file now. */
export const OPEN_REPORT_STATUSES = ['due', ...LATE_REPORT_STATUSES] as const satisfies readonly ReportStatus[];

/** Still awaited from the applicant (scheduled or open). */
export const AWAITED_REPORT_STATUSES = ['scheduled', ...OPEN_REPORT_STATUSES] as const satisfies readonly ReportStatus[];

export const isPeriodic = (r: Report): boolean => r.type !== 'final' && r.type !== 'effect';
export const isOpen = (r: Report): boolean => (OPEN_REPORT_STATUSES as readonly ReportStatus[]).includes(r.status);
export const isAwaited = (r: Report): boolean => (AWAITED_REPORT_STATUSES as readonly ReportStatus[]).includes(r.status);

/** Reports the applicant is reminded to file now, the one due first first. */
export function openReports(reports: Report[]): Report[] {
  return reports.filter(isOpen).sort((a, b) => a.dueAt.localeCompare(b.dueAt));
}

/** The instant a report opens for filing: the first day of its period (its first instant, for sub-day rule sets). */
export function opensAt(report: Report): number {
  return report.periodStart.length > 10 ? Date.parse(report.periodStart) : startOfStockholmDay(report.periodStart);
}

/** Whether the applicant may file the report now: awaited, and its period has begun or it has been asked for. */
export const fileable = (report: Report, now: number): boolean => isOpen(report) || (isAwaited(report) && now >= opensAt(report));

/** Puts a report on the case with its reminder, due and escalation timers. */
export function scheduleReport(state: CaseState, rules: RuleSet, report: Report): void {
  state.view.reports.push(report);
  setReportTimers(state, rules, report);
}

function setReportTimers(state: CaseState, rules: RuleSet, report: Report): void {
  const due = Date.parse(report.dueAt);
  const deadlines = editionOf(state).deadlines;
  addTimer(state, 'report-reminder', deadlines.beforeDeadline(due, rules.reminderBefore), report.id);
  addTimer(state, 'report-overdue', due, report.id);
  addTimer(state, 'report-escalated', deadlines.afterDeadline(due, rules.escalationAfter), report.id);
}

/** A report awaited again by a new deadline (a final report returned for completion): open, with fresh timers. */
export function reopenReport(state: CaseState, rules: RuleSet, report: Report, dueAt: number, dueDate: string): void {
  dropTimers(state, (t) => t.ref === report.id);
  Object.assign(report, { status: 'due', dueAt: new Date(dueAt).toISOString(), dueDate });
  delete report.receivedAt;
  delete report.content;
  setReportTimers(state, rules, report);
}

/**
 * A report's free texts: what people read, never what the case decides on. A project files dozens of reports,
 * so the texts are kept in the database (the reports table) rather than in the view the workflow holds and
 * carries; the lights, amounts and dates stay.
 */
export const REPORT_TEXTS = ['milestones', 'risks', 'benefitOutlook', 'comment'] as const;

/** A filed report's free texts, as the database keeps them; null when it has none. */
export function reportTexts(body: Record<string, unknown>): Record<string, string> | null {
  const texts = Object.fromEntries(REPORT_TEXTS.filter((k) => typeof body[k] === 'string').map((k) => [k, body[k] as string]));
  return Object.keys(texts).length > 0 ? texts : null;
}

/** A report filed: received with what it says (without its free texts when textsOutside), and its remaining timers dropped. */
export function receiveReport(state: CaseState, report: Report, content: Record<string, unknown>, at: string, textsOutside: boolean): void {
  const kept = textsOutside ? Object.fromEntries(Object.entries(content).filter(([k]) => !(REPORT_TEXTS as readonly string[]).includes(k))) : content;
  Object.assign(report, { status: 'received', receivedAt: at, content: kept });
  dropTimers(state, (t) => t.ref === report.id);
}

/** Execution begins: the six-week series (unless the grant is light) and the calendar reports up to the planned end. */
export function startReporting(state: CaseState, rules: RuleSet, projectStart: string, now: number): void {
  const startAt = editionOf(state).isExact(rules.reportInterval) ? Math.max(startOfStockholmDay(projectStart), now) : startOfStockholmDay(projectStart);
  state.projectStartAt = startAt;
  state.plannedEndAt = Math.max(endOfStockholmDay(state.view.plannedEnd as string), startAt + 1);
  if ((state.view.grantedAmount ?? 0) >= rules.lightReportingBelow) scheduleNextSixWeek(state, rules);
  for (const r of calendarReports(startAt, state.plannedEndAt, rules)) scheduleReport(state, rules, r);
  addTimer(state, 'planned-end', state.plannedEndAt);
}

/** The next six-week report, and the timer that schedules the one after it when this one falls due. */
export function scheduleNextSixWeek(state: CaseState, rules: RuleSet): void {
  const k = state.nextSixWeek;
  const report = editionOf(state).sixWeekReport(k, state.sixWeekSeries ?? { first: 1, startAt: state.projectStartAt as number }, state.plannedEndAt as number, rules);
  if (!report) return;
  state.nextSixWeek += 1;
  scheduleReport(state, rules, report);
  addTimer(state, 'report-scheduled', Date.parse(report.dueAt));
}

const sixWeekSeriesRuns = (state: CaseState) => state.timers.some((t) => t.kind === 'report-scheduled');

/**
 * Reporting in proportion to the grant after an approved change: a grant raised to the light-reporting
 * threshold starts the six-week series from the change's day; one lowered below it stops the series (reports
 * already open stay).
 */
export function followGrant(state: CaseState, rules: RuleSet, now: number): void {
  const heavy = (state.view.grantedAmount ?? 0) >= rules.lightReportingBelow;
  if (heavy && !sixWeekSeriesRuns(state)) {
    state.sixWeekSeries = { first: state.nextSixWeek, startAt: editionOf(state).isExact(rules.reportInterval) ? now : startOfStockholmDay(stockholmDate(now)) };
    scheduleNextSixWeek(state, rules);
  } else if (!heavy && sixWeekSeriesRuns(state)) {
    const notYetOpen = new Set(state.view.reports.filter((r) => r.type === 'sixWeek' && r.status === 'scheduled' && now < opensAt(r)).map((r) => r.id));
    state.view.reports = state.view.reports.filter((r) => !notYetOpen.has(r.id));
    dropTimers(state, (t) => t.kind === 'report-scheduled' || (t.ref !== undefined && notYetOpen.has(t.ref)));
  }
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
  if (!sixWeekSeriesRuns(state) && (view.grantedAmount ?? 0) >= rules.lightReportingBelow) scheduleNextSixWeek(state, rules);
}

/**
 * Execution ends: periodic reports not yet due are dropped with their timers; those due and never filed
 * are closed as not received. (Edition 1 left them as they were, merely without timers.)
 */
export function closePeriodicReports(state: CaseState): void {
  const unfiled = (r: Report) => isPeriodic(r) && r.status !== 'received' && r.status !== 'notReceived';
  const ids = new Set(state.view.reports.filter(unfiled).map((r) => r.id));
  state.view.reports = state.view.reports.filter((r) => !(unfiled(r) && r.status === 'scheduled'));
  if (editionOf(state).closesUnfiledReports) for (const r of state.view.reports) if (unfiled(r)) r.status = 'notReceived';
  dropTimers(state, (t) => t.kind === 'report-scheduled' || t.kind === 'planned-end' || (t.ref !== undefined && ids.has(t.ref)));
}

/** Periodic reports an edition-1 case left awaited after its execution had ended: closed as not received. */
export function closeReportsOfEndedExecution(state: CaseState): void {
  if (state.view.stage !== 'closure' && state.view.stage !== 'followUp') return;
  for (const r of state.view.reports) if (isPeriodic(r) && isAwaited(r)) r.status = 'notReceived';
}

/** The last spend a received report stated, 0 before the first. */
export function lastReportedSpend(reports: Report[]): number {
  const received = reports.filter((r) => r.status === 'received' && typeof r.content?.spentToDate === 'number');
  return (received[received.length - 1]?.content?.spentToDate as number | undefined) ?? 0;
}
