// Council and decision: the development council (utvecklingsrådet) gives its advisory opinion, the budget
// check (budgetledningen) comes next, and the decider the delegation allows for the amount decides. The
// applicant may withdraw at any time before the decision.
import { stockholmDate } from '../calendar';
import { moveTo } from '../caseState';
import { requireDecider, tierForAmount } from '../delegation';
import { grantReservation } from '../money';
import { checkProjectLength } from '../caseSize';
import { breakRule } from '../refusals';
import { unresolvedFlag } from '../savings';
import { startReporting } from '../reports';
import type { Stage } from '../types';
import { ownerAccepted } from '../grantConditions';
import type { Steps } from './step';

const BEFORE_DECISION: Stage[] = ['idea', 'application', 'preparation', 'completion', 'council', 'decision'];

export const decisionSteps: Steps<'schedule-council' | 'council-opinion' | 'budget-check' | 'decide' | 'withdraw'> = {
  'schedule-council': {
    roles: ['officer'],
    stages: ['council'],
    to: [],
    // Until the council has given its opinion the case may be moved to another meeting.
    blocked: (view) => (view.council?.opinion === undefined ? null : 'the council has given its opinion'),
    async apply({ state, body: b, activities }) {
      if (activities.checksReferences() && !(await activities.councilMeetingExists(b.meetingId))) breakRule('meeting-unknown', `no council meeting ${b.meetingId}`);
      const movedFrom = state.view.council?.meetingId;
      state.view.council = { meetingId: b.meetingId };
      return {
        outcome: movedFrom === undefined ? undefined : { meetingId: b.meetingId, movedFrom },
        notify: [{ template: 'case-arrived', to: 'council', data: { step: 'council', meetingId: b.meetingId } }],
      };
    },
  },

  'council-opinion': {
    roles: ['council'],
    stages: ['council'],
    to: ['decision'],
    blocked: (view) => (view.council !== null && view.council.opinion === undefined ? null : 'the case is not on a council meeting agenda yet'),
    async apply({ state, body: b, actor, at, now, activities }) {
      const { council, portfolio, id } = state.view;
      // Unique within the portfolio on the meeting, claimed atomically: two opinions with one rank cannot both have it.
      if (b.priority !== undefined && portfolio !== null && activities.checksReferences()) {
        const holder = await activities.claimPriority({ meetingId: council!.meetingId, portfolio, priority: b.priority, caseId: id });
        if (holder !== null) breakRule('priority-taken', `${holder} already has priority ${b.priority} in portfolio ${portfolio} on ${council!.meetingId}`);
      }
      state.view.council = { ...state.view.council!, ...b, by: actor.id, at };
      moveTo(state, 'decision', now());
      return { outcome: b.opinion, motivation: b.comment, decision: { kind: 'council', outcome: b.opinion }, notify: [{ template: 'case-arrived', to: 'budget', data: { step: 'budget' } }] };
    },
  },

  'budget-check': {
    roles: ['budget'],
    stages: ['decision', 'execution'],
    to: [],
    blocked(view) {
      if (view.stage === 'decision') return view.budgetCheck === null ? null : 'the budget check is already recorded';
      return view.changeRequests.some((c) => c.status === 'open' && c.budgetCheckRequired && !c.budgetCheck) ? null : 'no change request awaits a budget check';
    },
    apply({ state, body: b, actor, at }) {
      const { view } = state;
      const change = view.stage === 'execution' ? view.changeRequests.find((c) => c.status === 'open')! : undefined;
      if (change) {
        // Every proposed decision is checked first, a change that raises the total too.
        change.budgetCheck = { ...b, by: actor.id, at };
        return {
          outcome: { changeRequestId: change.id, outcome: b.outcome }, motivation: b.remarks, decision: { kind: 'budget', outcome: b.outcome },
          notify: [{ template: 'case-arrived', to: `decider:${change.tier}`, data: { step: 'change-decision', changeRequestId: change.id } }],
        };
      }
      view.budgetCheck = { ...b, by: actor.id, at };
      return { outcome: b.outcome, motivation: b.remarks, decision: { kind: 'budget', outcome: b.outcome }, notify: [{ template: 'case-arrived', to: `decider:${view.decisionTier}`, data: { step: 'decision' } }] };
    },
  },

  decide: {
    roles: ['decider'],
    stages: ['decision'],
    to: ['execution', 'rejected', 'preparation'],
    blocked: (view) => (view.budgetCheck !== null ? null : 'the budget check (budgetledning) comes first'),
    check({ view, edition, actor, rules, body: b, now }) {
      const app = view.application!;
      const amount = b.outcome === 'approve' ? (b.grantedAmount as number) : app.totalCost;
      requireDecider(actor, amount, rules.delegation);
      if (b.outcome !== 'approve') return;
      if (amount > app.totalCost) breakRule('grant-exceeds-request', `the grant ${amount} SEK exceeds the requested ${app.totalCost} SEK`);
      if (edition.checksDecidedStart) {
        const today = stockholmDate(now());
        if ((b.projectStart as string) < today) breakRule('project-start-in-past', `the project start ${b.projectStart} is before the decision date ${today}`);
        if ((b.projectStart as string) > app.plannedEnd) breakRule('project-start-after-planned-end', `the project start ${b.projectStart} is after the planned end ${app.plannedEnd}`);
      }
      if (edition.boundsSize) checkProjectLength(rules, b.projectStart as string, app.plannedEnd, 'the planned end');
      if (unresolvedFlag(view)) breakRule('double-count-unresolved', 'a savings claim is still flagged as booked by another case');
      if (!ownerAccepted(app)) {
        breakRule('owner-operation-cost-accepted', 'money is granted only when a designated owner and management object have accepted the operation costs');
      }
    },
    async apply({ state, body: b, actor, at, rules, now, activities }) {
      const { view } = state;
      const app = view.application!;
      const tier = tierForAmount(b.outcome === 'approve' ? (b.grantedAmount as number) : app.totalCost, rules.delegation);
      if (b.outcome === 'approve') {
        const granted = b.grantedAmount as number;
        const reservation = await activities.reserveFrame({ ...grantReservation(view, granted, b.projectStart as string, app.plannedEnd), enforce: true });
        if (!reservation.ok) {
          breakRule('portfolio-frame', `the grant does not fit ${app.portfolio}'s frame for ${reservation.year}: frame ${reservation.frame} SEK, reserved ${reservation.reserved} SEK, requested ${reservation.requested} SEK`);
        }
        view.grantedAmount = granted;
        view.grantTier = tier;
      }
      view.decision = { outcome: b.outcome, grantedAmount: b.grantedAmount, conditions: b.conditions, projectStart: b.projectStart, motivation: b.motivation, tier, by: actor.id, at };
      const outcome = { outcome: b.outcome, grantedAmount: b.grantedAmount, tier };
      const decision = { kind: 'grant' as const, outcome: b.outcome, amount: b.grantedAmount, tier };
      if (b.outcome === 'approve') {
        moveTo(state, 'execution', now());
        startReporting(state, rules, b.projectStart as string, now());
      } else if (b.outcome === 'reject') {
        moveTo(state, 'rejected', now());
      } else {
        // Returned to beredning: the preparation, council opinion and budget check are taken anew.
        view.preparation = null;
        view.council = null;
        view.budgetCheck = null;
        moveTo(state, 'preparation', now());
        return { outcome, motivation: b.motivation, decision, notify: [{ template: 'case-arrived', to: 'preparers', data: { step: 'preparation', returned: true } }] };
      }
      return { outcome, motivation: b.motivation, decision };
    },
  },

  withdraw: {
    roles: ['applicant'],
    stages: BEFORE_DECISION,
    to: ['withdrawn'],
    apply({ state, body: b, now }) {
      moveTo(state, 'withdrawn', now());
      return { motivation: b.reason };
    },
  },
};
