// Closure (avslut) and effect follow-up (effekthemtagning): the officer approves the closure, which needs the
// owner's confirmed handover unless the project was terminated, or returns the final report with what is
// missing; then the owner reports at each follow-up offset which benefits were realised, against each part
// of the benefit calculation (nyttokalkyl) and each savings claim the case kept.
import { dueDateOf, endOfStockholmDay, stockholmDate } from '../calendar';
import { moveTo } from '../caseState';
import { editionOf } from '../editions';
import { spentReservation } from '../money';
import { breakRule } from '../refusals';
import { keptClaims } from '../savings';
import { makeReport } from '../reportCalendar';
import { fileable, opensAt, receiveReport, reopenReport, scheduleReport } from '../reports';
import type { Steps } from './step';

export const followUpSteps: Steps<'return-final-report' | 'approve-closure' | 'submit-effect-report'> = {
  'return-final-report': {
    roles: ['officer'],
    stages: ['closure'],
    to: [],
    blocked: (view) => (view.finalReport !== null ? null : 'the final report has not been submitted'),
    check({ body: b, now }) {
      if (b.dueDate !== undefined && endOfStockholmDay(b.dueDate) <= now()) breakRule('report-due-in-past', `dueDate ${b.dueDate} has passed`);
    },
    apply({ state, body: b, actor, at, rules, now }) {
      const { view } = state;
      const final = view.reports.find((r) => r.type === 'final')!;
      const dueAt = b.dueDate !== undefined ? endOfStockholmDay(b.dueDate) : editionOf(state).deadlines.after(now(), rules.completionDeadline);
      const dueDate = dueDateOf(dueAt);
      view.finalReportReturns = [...(view.finalReportReturns ?? []), { ...b, dueDate, report: view.finalReport!, by: actor.id, at }];
      view.finalReport = null;
      reopenReport(state, rules, final, dueAt, dueDate);
      return { motivation: b.missing.join('; '), decision: { kind: 'closure', outcome: 'returned' }, notify: [{ template: 'status-changed', to: 'applicant', data: { missing: b.missing, dueDate } }] };
    },
  },

  'approve-closure': {
    roles: ['officer'],
    stages: ['closure'],
    to: ['followUp', 'terminated'],
    blocked: (view) => (view.finalReport !== null ? null : 'the final report has not been submitted'),
    check({ view, edition }) {
      if (edition.closureRules && !view.terminated && view.finalReport?.handoverConfirmed !== true) {
        breakRule('handover-not-confirmed', "the owner has not confirmed the handover to management; return the final report with what is missing");
      }
    },
    async apply({ state, edition, body: b, actor, at, rules, now, activities }) {
      const { view } = state;
      view.closure = { by: actor.id, at, comment: b.comment };
      const finalCost = view.finalReport!.finalCost;
      const final = view.reports.find((r) => r.type === 'final');
      const start = view.decision?.projectStart ?? stockholmDate(now());
      // The final cost in the years it was spent, up to the day execution ended; the rest of the frame is free again.
      const end = final?.periodEnd.slice(0, 10) ?? stockholmDate(now());
      if (edition.closureRules || !view.terminated) await activities.reserveFrame({ ...spentReservation(view, finalCost, start, end), enforce: false });
      if (view.terminated) {
        moveTo(state, 'terminated', now());
      } else {
        moveTo(state, 'followUp', now());
        view.closedAt = at;
        rules.followUpOffsets.forEach((offset, i) => {
          const dueAt = editionOf(state).deadlines.after(now(), offset);
          scheduleReport(state, rules, makeReport(`E${i + 1}`, 'effect', now(), dueAt, dueAt, editionOf(state).isExact(offset)));
        });
      }
      return { motivation: b.comment, decision: { kind: 'closure', outcome: 'approved' } };
    },
  },

  'submit-effect-report': {
    roles: ['applicant'],
    stages: ['followUp'],
    to: ['completed'],
    blocked: (view, now) => (view.reports.some((r) => r.type === 'effect' && fileable(r, now)) ? null : 'no effect report is open for filing'),
    check({ view, edition, body: b, now }) {
      const r = view.reports.find((x) => x.id === b.reportId && x.type === 'effect');
      if (!r) breakRule('report-unknown', `no effect report ${b.reportId}`);
      if (r.status === 'received') breakRule('report-already-received', `effect report ${b.reportId} is already received`);
      if (!fileable(r, now())) breakRule('report-not-open', `effect report ${b.reportId} opens on ${stockholmDate(opensAt(r))}`);
      if (!edition.effectReportsAnswerSavings) return;
      const kept = keptClaims(view);
      const answered = (b.savings ?? []).map((s) => s.key);
      const unknown = answered.filter((k) => !kept.includes(k));
      if (unknown.length) breakRule('savings-claim-unknown', `the case kept no savings claim ${unknown.join(', ')}; its claims are ${kept.join(', ') || 'none'}`);
      const unanswered = kept.filter((k) => !answered.includes(k));
      if (unanswered.length) breakRule('savings-claim-unanswered', `say what each kept savings claim realised (0 if nothing): ${unanswered.join(', ')}`);
    },
    apply({ state, body: b, at, now, activities }) {
      const { view } = state;
      const { reportId, ...content } = b;
      receiveReport(state, view.reports.find((r) => r.id === reportId)!, content, at, activities.reportTextsOutside());
      if (view.reports.filter((r) => r.type === 'effect').every((r) => r.status === 'received')) moveTo(state, 'completed', now());
      return {
        notify: [
          { template: 'receipt', to: 'applicant', data: { what: 'effectReport', reportId } },
          { template: 'effect-report-received', to: 'council', data: { reportId } },
        ],
      };
    },
  },
};
