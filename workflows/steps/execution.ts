// Execution (genomförande): the project files its reports, asks for changes of money, time or scope
// (ändringsbegäran), may be terminated (avbrutet), and files its final report (slutrapport), which
// brings it to closure.
import { addDuration, deadlineAfter, isSubDay, stockholmDate } from '../calendar';
import { moveTo, type CaseState } from '../caseState';
import { pendingTier, requireTier, tierForAmount } from '../delegation';
import { reservationFor } from '../money';
import { breakRule } from '../refusals';
import { deviationReasons, makeReport } from '../reportCalendar';
import { isPeriodic, lastReportedSpend, receiveReport, replanReporting, scheduleReport, stopPeriodicReports } from '../reports';
import type { NotificationIntent, RuleSet } from '../types';
import type { Steps } from './step';

/** Execution ends (at the planned end, on termination or with an early final report): the final report is awaited. */
export function enterClosure(state: CaseState, rules: RuleSet, finalDueAt: number, now: number): void {
  stopPeriodicReports(state);
  moveTo(state, 'closure', now);
  if (!state.view.reports.some((r) => r.type === 'final')) {
    const sub = isSubDay(rules.reportInterval);
    scheduleReport(state, rules, makeReport('F', 'final', state.projectStartAt ?? now, Math.min(now, finalDueAt), finalDueAt, sub));
  }
}

export const executionSteps: Steps<'submit-report' | 'request-change' | 'decide-change' | 'terminate' | 'submit-final-report'> = {
  'submit-report': {
    roles: ['applicant'],
    stages: ['execution', 'closure'],
    to: [],
    blocked: (view) => (view.reports.some((r) => isPeriodic(r) && r.status !== 'received' && r.status !== 'scheduled') ? null : 'no report is open for submission'),
    check({ view, rules, body: b }) {
      const r = view.reports.find((x) => x.id === b.reportId);
      if (!r || !isPeriodic(r)) breakRule('report-unknown', `no status report ${b.reportId}`);
      if (r.status === 'received') breakRule('report-already-received', `report ${b.reportId} is already received`);
      if (r.status === 'scheduled') breakRule('report-not-open', `report ${b.reportId} opens on ${stockholmDate(addDuration(Date.parse(r.dueAt), rules.reminderBefore, -1))}`);
    },
    apply({ state, body: b, at, rules }) {
      const { view } = state;
      const { reportId, ...content } = b;
      receiveReport(state, view.reports.find((r) => r.id === reportId)!, content, at);
      const notify: NotificationIntent[] = [{ template: 'receipt', to: 'applicant', data: { what: 'report', reportId } }];
      const reasons = deviationReasons(b, view.grantedAmount ?? 0, view.plannedEnd as string, rules);
      if (reasons.length) {
        view.deviations.push({ at, reportId, reasons });
        notify.push({ template: 'deviation', to: 'officers', data: { reportId, reasons } });
      }
      return { outcome: { reportId, deviation: reasons }, notify };
    },
  },

  'request-change': {
    roles: ['applicant', 'officer'],
    stages: ['execution'],
    to: [],
    blocked: (view) => (view.changeRequests.some((c) => c.status === 'open') ? 'a change request is already open' : null),
    apply({ state, body: b, actor, at, rules }) {
      const { view } = state;
      const total = b.newTotalCost ?? (view.grantedAmount as number);
      const cr = { id: `C${view.changeRequests.length + 1}`, requestedBy: actor.id, requestedAt: at, ...b, tier: tierForAmount(total, rules.delegation), status: 'open' as const };
      view.changeRequests.push(cr);
      const notify: NotificationIntent[] = [];
      if (actor.roles.includes('applicant')) notify.push({ template: 'receipt', to: 'applicant', data: { what: 'changeRequest', changeRequestId: cr.id } });
      notify.push({ template: 'case-arrived', to: `decider:${cr.tier}`, data: { step: 'change-decision', changeRequestId: cr.id } });
      return { outcome: { changeRequestId: cr.id, tier: cr.tier }, motivation: b.reason, notify };
    },
  },

  'decide-change': {
    roles: ['decider'],
    stages: ['execution'],
    to: [],
    blocked: (view) => (view.changeRequests.some((c) => c.status === 'open') ? null : 'there is no open change request'),
    check({ view, actor }) {
      const cr = view.changeRequests.find((c) => c.status === 'open')!;
      requireTier(actor, cr.tier, cr.newTotalCost ?? view.grantedAmount ?? 0);
    },
    async apply({ state, body: b, actor, at, rules, activities }) {
      const { view } = state;
      const cr = view.changeRequests.find((c) => c.status === 'open')!;
      if (b.outcome === 'approve') {
        const total = cr.newTotalCost ?? (view.grantedAmount as number);
        const end = cr.newEndDate ?? (view.plannedEnd as string);
        const reservation = await activities.reserveFrame({ ...reservationFor(view, total, end), enforce: total > (view.grantedAmount as number) });
        if (!reservation.ok) breakRule('portfolio-frame', `the new total does not fit the frame for ${reservation.year}: frame ${reservation.frame} SEK, reserved ${reservation.reserved} SEK, requested ${reservation.requested} SEK`);
        view.grantedAmount = total;
        view.grantTier = tierForAmount(total, rules.delegation);
        if (cr.newEndDate) replanReporting(state, rules, cr.newEndDate);
        view.deviations = view.deviations.map((d) => (d.resolvedBy === undefined ? { ...d, resolvedBy: cr.id } : d));
      }
      Object.assign(cr, { status: b.outcome === 'approve' ? 'approved' : 'rejected', decidedAt: at, decidedBy: actor.id, motivation: b.motivation });
      return { outcome: { changeRequestId: cr.id, outcome: b.outcome, tier: cr.tier }, motivation: b.motivation };
    },
  },

  terminate: {
    roles: ['decider'],
    stages: ['execution'],
    to: ['closure'],
    check({ view, actor }) {
      requireTier(actor, pendingTier('terminate', view) as string, view.grantedAmount ?? 0);
    },
    async apply({ state, body: b, actor, at, rules, now, activities }) {
      const { view } = state;
      const spent = lastReportedSpend(view.reports);
      await activities.reserveFrame({ ...reservationFor(view, spent, stockholmDate(now())), enforce: false });
      view.terminated = { by: actor.id, at, motivation: b.motivation };
      // Avbrutet projekt: a final report is still required.
      enterClosure(state, rules, deadlineAfter(now(), rules.reportInterval), now());
      return { outcome: { releasedTo: spent }, motivation: b.motivation };
    },
  },

  'submit-final-report': {
    roles: ['applicant'],
    stages: ['execution', 'closure'],
    to: ['closure'],
    blocked: (view) => (view.finalReport === null ? null : 'the final report is already submitted'),
    apply({ state, body: b, at, rules, now }) {
      if (state.view.stage === 'execution') enterClosure(state, rules, now(), now());
      receiveReport(state, state.view.reports.find((r) => r.type === 'final')!, b, at);
      state.view.finalReport = { ...b, submittedAt: at };
      return {
        notify: [
          { template: 'receipt', to: 'applicant', data: { what: 'finalReport' } },
          { template: 'case-arrived', to: 'officers', data: { step: 'closure' } },
        ],
      };
    },
  },
};
