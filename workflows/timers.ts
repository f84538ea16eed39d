// What each deadline does when it fires: a reminder, an overdue notice, an escalation to the officers, a lapse,
// the next six-week report on the calendar, or the end of execution at the planned end.
import { dueDateOf } from './calendar';
import { moveTo, type CaseState, type Timer } from './caseState';
import { editionOf } from './editions';
import { isAwaited, scheduleNextSixWeek } from './reports';
import { enterClosure } from './steps/execution';
import type { Move } from './steps/step';
import type { NotificationIntent, RuleSet } from './types';
import { TIMER_STEP, type SystemStep } from './vocabulary';

/** What a fired deadline records: its system step, outcome and emails; nothing when it no longer applies. */
export interface Fired { action: SystemStep; outcome?: unknown; notify?: NotificationIntent[] }

/** The moves deadlines make, for the stage graph: a case lapses unanswered, and execution ends at the planned end. */
export const TIMER_MOVES: Move[] = [
  { from: 'application', to: 'lapsed', by: TIMER_STEP.lapsed },
  { from: 'completion', to: 'lapsed', by: TIMER_STEP.lapsed },
  { from: 'execution', to: 'closure', by: TIMER_STEP['planned-end'] },
];

export function fire(state: CaseState, rules: RuleSet, timer: Timer, now: number): Fired | null {
  const { view } = state;
  const action = TIMER_STEP[timer.kind];
  const report = timer.ref !== undefined ? view.reports.find((r) => r.id === timer.ref) : undefined;
  const stillAwaited = report !== undefined && isAwaited(report);
  switch (timer.kind) {
    case 'screening-overdue':
      return { action, notify: [{ template: 'screening-overdue', to: 'officers' }] };
    case 'application-reminder':
    case 'completion-reminder': {
      const what = timer.kind === 'application-reminder' ? 'application' : 'completion';
      const by = state.waiting.find((w) => w.what === what)?.by;
      // The last day the deadline allows, not the instant it acts (the midnight after it).
      const dueDate = by === undefined ? undefined : dueDateOf(Date.parse(by));
      return { action, outcome: { what }, notify: [{ template: 'reminder', to: 'applicant', data: { what, dueDate } }] };
    }
    case 'lapsed': {
      const deadline = view.stage === 'completion' ? 'completion' : 'application';
      moveTo(state, 'lapsed', now);
      return { action, outcome: { deadline } };
    }
    case 'report-reminder':
      if (!report || report.status !== 'scheduled') return null;
      report.status = 'due';
      return { action, outcome: { reportId: report.id }, notify: [{ template: 'reminder', to: 'applicant', data: { what: 'report', reportId: report.id, dueDate: report.dueDate } }] };
    case 'report-overdue':
      if (!stillAwaited) return null;
      report.status = 'overdue';
      return { action, outcome: { reportId: report.id }, notify: [{ template: 'overdue', to: 'applicant', data: { what: 'report', reportId: report.id, dueDate: report.dueDate } }] };
    case 'report-escalated':
      if (!stillAwaited) return null;
      report.status = 'escalated';
      return { action, outcome: { reportId: report.id }, notify: [{ template: 'report-escalated', to: 'officers', data: { reportId: report.id, dueDate: report.dueDate } }] };
    case 'report-scheduled':
      // The next period's report goes on the calendar: recorded so the read model lists it, no email.
      scheduleNextSixWeek(state, rules);
      return { action, outcome: { reportId: view.reports[view.reports.length - 1]?.id } };
    case 'planned-end':
      return plannedEnd(state, rules, now);
  }
}

/**
 * The planned end: execution ends and the final report is due one report interval later. A change request
 * still open is decided first (where the edition follows decided changes): the case stays in execution until then.
 */
function plannedEnd(state: CaseState, rules: RuleSet, now: number): Fired {
  const end = state.plannedEndAt as number;
  const edition = editionOf(state);
  if (!edition.followsDecidedChange) {
    enterClosure(state, rules, edition.deadlines.after(end, rules.reportInterval), now);
    return { action: 'planned-end' };
  }
  const open = state.view.changeRequests.find((c) => c.status === 'open');
  if (open) return { action: 'planned-end', outcome: { waitingFor: open.id } };
  enterClosure(state, rules, edition.deadlines.afterDeadline(end, rules.reportInterval), now);
  return { action: 'planned-end' };
}
