// Execution (genomförande): the project files its reports, asks for changes of money, time or scope
// (ändringsbegäran), may be terminated (avbrutet), and files its final report (slutrapport), which
// brings it to closure.
import { stockholmDate } from '../calendar';
import { moveTo, type CaseState } from '../caseState';
import { requireDecider, tierForAmount } from '../delegation';
import { editionOf } from '../editions';
import { grantReservation, spentReservation } from '../money';
import { checkProjectLength } from '../caseSize';
import { breakRule } from '../refusals';
import { deviationReasons, makeReport } from '../reportCalendar';
import {
  closePeriodicReports, fileable, followGrant, isPeriodic, lastReportedSpend, opensAt, receiveReport, replanReporting, scheduleReport,
} from '../reports';
import type { NotificationIntent, RuleSet } from '../types';
import type { Steps } from './step';

/** Execution ends (at the planned end, on termination or with an early final report): the final report is awaited. */
export function enterClosure(state: CaseState, rules: RuleSet, finalDueAt: number, now: number): void {
  closePeriodicReports(state);
  moveTo(state, 'closure', now);
  if (!state.view.reports.some((r) => r.type === 'final')) {
    const exact = editionOf(state).isExact(rules.reportInterval);
    scheduleReport(state, rules, makeReport('F', 'final', state.projectStartAt ?? now, Math.min(now, finalDueAt), finalDueAt, exact));
  }
}

const openChange = (state: CaseState) => state.view.changeRequests.find((c) => c.status === 'open');

export const executionSteps: Steps<'submit-report' | 'request-change' | 'decide-change' | 'terminate' | 'submit-final-report'> = {
  'submit-report': {
    roles: ['applicant'],
    stages: ['execution', 'closure'],
    to: [],
    // A report may be filed from the first day of its period: early is welcome, the due date is a deadline.
    blocked: (view, now) => (view.reports.some((r) => isPeriodic(r) && fileable(r, now)) ? null : 'no report is open for filing'),
    check({ view, body: b, now }) {
      const r = view.reports.find((x) => x.id === b.reportId);
      if (!r || !isPeriodic(r)) breakRule('report-unknown', `no status report ${b.reportId}`);
      if (r.status === 'received') breakRule('report-already-received', `report ${b.reportId} is already received`);
      if (!fileable(r, now())) {
        breakRule('report-not-open', r.status === 'notReceived' ? `report ${b.reportId} was closed as not received when execution ended` : `report ${b.reportId} opens on ${stockholmDate(opensAt(r))}`);
      }
    },
    apply({ state, body: b, at, rules, activities }) {
      const { view } = state;
      const { reportId, ...content } = b;
      receiveReport(state, view.reports.find((r) => r.id === reportId)!, content, at, activities.reportTextsOutside());
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
    check({ view, edition, rules, body: b }) {
      if (edition.boundsSize && b.newEndDate !== undefined && view.decision?.projectStart) checkProjectLength(rules, view.decision.projectStart, b.newEndDate, 'newEndDate');
    },
    apply({ state, edition, body: b, actor, at, rules }) {
      const { view } = state;
      const total = b.newTotalCost ?? (view.grantedAmount as number);
      // A change that raises the total is a proposed decision like a grant: the budget check comes first.
      const budgetCheckRequired = edition.budgetChecksRaisingChange && total > (view.grantedAmount as number);
      const cr = {
        id: `C${view.changeRequests.length + 1}`, requestedBy: actor.id, requestedAt: at, ...b, tier: tierForAmount(total, rules.delegation), status: 'open' as const,
        ...(budgetCheckRequired ? { budgetCheckRequired } : {}),
      };
      view.changeRequests.push(cr);
      const notify: NotificationIntent[] = [];
      if (actor.roles.includes('applicant')) notify.push({ template: 'receipt', to: 'applicant', data: { what: 'changeRequest', changeRequestId: cr.id } });
      notify.push(budgetCheckRequired
        ? { template: 'case-arrived', to: 'budget', data: { step: 'change-budget', changeRequestId: cr.id } }
        : { template: 'case-arrived', to: `decider:${cr.tier}`, data: { step: 'change-decision', changeRequestId: cr.id } });
      return { outcome: { changeRequestId: cr.id, tier: cr.tier }, motivation: b.reason, notify };
    },
  },

  'decide-change': {
    roles: ['decider'],
    stages: ['execution'],
    to: ['closure'],
    blocked(view) {
      const cr = view.changeRequests.find((c) => c.status === 'open');
      if (!cr) return 'there is no open change request';
      return cr.budgetCheckRequired && !cr.budgetCheck ? 'the budget check (budgetledning) of the change comes first' : null;
    },
    check({ view, actor, rules }) {
      const cr = view.changeRequests.find((c) => c.status === 'open')!;
      requireDecider(actor, cr.newTotalCost ?? view.grantedAmount ?? 0, rules.delegation);
    },
    async apply({ state, edition, body: b, actor, at, rules, now, activities }) {
      const { view } = state;
      const cr = openChange(state)!;
      if (b.outcome === 'approve') {
        const total = cr.newTotalCost ?? (view.grantedAmount as number);
        const end = cr.newEndDate ?? (view.plannedEnd as string);
        const start = view.decision?.projectStart ?? (view.application!.plannedStart);
        const reservation = await activities.reserveFrame({ ...grantReservation(view, total, start, end), enforce: total > (view.grantedAmount as number) });
        if (!reservation.ok) breakRule('portfolio-frame', `the new total does not fit the frame for ${reservation.year}: frame ${reservation.frame} SEK, reserved ${reservation.reserved} SEK, requested ${reservation.requested} SEK`);
        view.grantedAmount = total;
        view.grantTier = tierForAmount(total, rules.delegation);
        if (cr.newEndDate) replanReporting(state, rules, cr.newEndDate);
        if (edition.followsDecidedChange) followGrant(state, rules, now());
        view.deviations = view.deviations.map((d) => (d.resolvedBy === undefined ? { ...d, resolvedBy: cr.id } : d));
      }
      Object.assign(cr, { status: b.outcome === 'approve' ? 'approved' : 'rejected', decidedAt: at, decidedBy: actor.id, motivation: b.motivation });
      const outcome = { changeRequestId: cr.id, outcome: b.outcome, tier: cr.tier };
      const decision = { kind: 'change' as const, outcome: cr.status, amount: cr.newTotalCost, tier: cr.tier };
      if (!edition.followsDecidedChange) return { outcome, motivation: b.motivation, decision };
      // A request still open at the planned end was decided first; now execution ends, unless the change moved the end.
      const end = state.plannedEndAt;
      if (end !== null && now() >= end) enterClosure(state, rules, editionOf(state).deadlines.afterDeadline(end, rules.reportInterval), now());
      return { outcome, motivation: b.motivation, decision, notify: [{ template: 'change-decided', to: 'applicant', data: { changeRequestId: cr.id } }] };
    },
  },

  terminate: {
    roles: ['decider'],
    stages: ['execution'],
    to: ['closure'],
    check({ view, actor, rules }) {
      requireDecider(actor, view.grantedAmount ?? 0, rules.delegation);
    },
    async apply({ state, edition, body: b, actor, at, rules, now, activities }) {
      const { view } = state;
      const spent = lastReportedSpend(view.reports);
      const today = stockholmDate(now());
      // Until the final report states the final cost, what the last report said was spent, in the years it was spent.
      const reservation = edition.terminationKeepsSpendByYear
        ? spentReservation(view, spent, view.decision?.projectStart ?? today, today)
        : grantReservation(view, spent, view.decision?.projectStart ?? today, today);
      await activities.reserveFrame({ ...reservation, enforce: false });
      view.terminated = { by: actor.id, at, motivation: b.motivation };
      if (edition.terminationKeepsSpendByYear) {
        for (const cr of view.changeRequests) {
          if (cr.status === 'open') Object.assign(cr, { status: 'closed', decidedAt: at, decidedBy: actor.id, motivation: 'Stängd när projektet avbröts' });
        }
      }
      // Avbrutet projekt: a final report is still required.
      enterClosure(state, rules, editionOf(state).deadlines.after(now(), rules.reportInterval), now());
      return {
        outcome: { releasedTo: spent }, motivation: b.motivation,
        decision: { kind: 'termination', outcome: 'terminated', amount: view.grantedAmount, tier: view.grantTier },
      };
    },
  },

  'submit-final-report': {
    roles: ['applicant'],
    stages: ['execution', 'closure'],
    to: ['closure'],
    blocked: (view) => (view.finalReport === null ? null : 'the final report is already submitted'),
    apply({ state, body: b, at, rules, now, activities }) {
      if (state.view.stage === 'execution') enterClosure(state, rules, now(), now());
      receiveReport(state, state.view.reports.find((r) => r.type === 'final')!, b, at, activities.reportTextsOutside());
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
