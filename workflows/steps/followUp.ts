// Closure (avslut) and effect follow-up (effekthemtagning): the officer approves the closure, and the owner
// reports at each follow-up offset which benefits were realised; the council receives each evaluation.
import { deadlineAfter, isSubDay, stockholmDate } from '../calendar';
import { moveTo } from '../caseState';
import { reservationFor } from '../money';
import { breakRule } from '../refusals';
import { makeReport } from '../reportCalendar';
import { receiveReport, scheduleReport } from '../reports';
import type { Steps } from './step';

export const followUpSteps: Steps<'approve-closure' | 'submit-effect-report'> = {
  'approve-closure': {
    roles: ['officer'],
    stages: ['closure'],
    to: ['followUp', 'terminated'],
    blocked: (view) => (view.finalReport !== null ? null : 'the final report has not been submitted'),
    async apply({ state, body: b, actor, at, rules, now, activities }) {
      const { view } = state;
      view.closure = { by: actor.id, at, comment: b.comment };
      const finalCost = view.finalReport?.finalCost as number;
      if (!view.terminated) await activities.reserveFrame({ ...reservationFor(view, finalCost, stockholmDate(now())), enforce: false });
      if (view.terminated) {
        moveTo(state, 'terminated', now());
      } else {
        moveTo(state, 'followUp', now());
        view.closedAt = at;
        rules.followUpOffsets.forEach((offset, i) => {
          const dueAt = deadlineAfter(now(), offset);
          scheduleReport(state, rules, makeReport(`E${i + 1}`, 'effect', now(), dueAt, dueAt, isSubDay(offset)));
        });
      }
      return { motivation: b.comment };
    },
  },

  'submit-effect-report': {
    roles: ['applicant'],
    stages: ['followUp'],
    to: ['completed'],
    blocked: (view) => (view.reports.some((r) => r.type === 'effect' && r.status !== 'received' && r.status !== 'scheduled') ? null : 'no effect report is open for submission'),
    check({ view, body: b }) {
      const r = view.reports.find((x) => x.id === b.reportId && x.type === 'effect');
      if (!r) breakRule('report-unknown', `no effect report ${b.reportId}`);
      if (r.status === 'received') breakRule('report-already-received', `effect report ${b.reportId} is already received`);
      if (r.status === 'scheduled') breakRule('report-not-open', `effect report ${b.reportId} is not open yet`);
    },
    apply({ state, body: b, at, now }) {
      const { view } = state;
      const { reportId, ...content } = b;
      receiveReport(state, view.reports.find((r) => r.id === reportId)!, content, at);
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
