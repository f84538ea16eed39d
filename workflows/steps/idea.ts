// The idea sketch (idéskiss): the project office screens it, inviting an application, rejecting it or
// redirecting it elsewhere (e.g. to the organisation's own budget for basic IT).
import { moveTo, addTimer, awaitFrom, dropTimers, type CaseState } from '../caseState';
import { editionOf } from '../editions';
import type { StepToRecord } from '../recording';
import type { CaseInput } from '../types';
import type { Steps } from './step';

const iso = (t: number) => new Date(t).toISOString();

/** A new case: the idea sketch has arrived, and the project office screens it by the screening deadline. */
export function openCase(state: CaseState, input: CaseInput, now: number): StepToRecord {
  addTimer(state, 'screening-overdue', editionOf(state).deadlines.after(now, input.ruleSet.ideaScreeningDeadline));
  awaitFrom(state, { what: 'screening', from: 'officer', by: iso(state.timers[0].at) });
  return {
    action: 'case-started', actor: input.actor, stageBefore: null, input: input.idea,
    notify: [
      { template: 'receipt', to: 'applicant', data: { what: 'idea', screeningDeadline: input.ruleSet.ideaScreeningDeadline } },
      { template: 'case-arrived', to: 'officers', data: { step: 'screening' } },
    ],
  };
}

export const ideaSteps: Steps<'screen-idea'> = {
  'screen-idea': {
    roles: ['officer'],
    stages: ['idea'],
    to: ['application', 'rejected', 'redirected'],
    apply({ state, body: b, actor, at, rules, now }) {
      const { view } = state;
      view.idea = { ...view.idea, screening: { outcome: b.outcome, reason: b.reason, coach: b.coach, by: actor.id, at } };
      if (b.coach) view.assignment = { ...view.assignment, coach: b.coach };
      awaitFrom(state);
      dropTimers(state, (t) => t.kind === 'screening-overdue');
      if (b.outcome === 'approve') {
        moveTo(state, 'application', now());
        const deadlines = editionOf(state).deadlines;
        const lapseAt = deadlines.after(now(), rules.applicationDeadline);
        addTimer(state, 'application-reminder', deadlines.reminderAfter(now(), rules.applicationReminderAfter));
        addTimer(state, 'lapsed', lapseAt);
        awaitFrom(state, { what: 'application', from: 'applicant', by: iso(lapseAt) });
      } else moveTo(state, b.outcome === 'reject' ? 'rejected' : 'redirected', now());
      return { outcome: b.outcome, motivation: b.reason, decision: { kind: 'screening', outcome: b.outcome } };
    },
  },
};
