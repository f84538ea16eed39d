// The application (ansökan) and its preparation (beredning): the applicant applies to one portfolio; the
// preparation group, the central valuation (nyttovärdering) and the double-count check prepare it; the
// group asks for completion (komplettering) or gives its recommendation.
import { dueDateOf, endOfStockholmDay } from '../calendar';
import { addTimer, awaitFrom, dropTimers, moveTo } from '../caseState';
import { editionOf } from '../editions';
import { tierForAmount } from '../delegation';
import { checkProjectLength } from '../caseSize';
import { breakRule } from '../refusals';
import { unresolvedFlag } from '../savings';
import type { NotificationIntent } from '../types';
import type { Steps } from './step';

const iso = (t: number) => new Date(t).toISOString();
const BENEFIT_PARTS = ['citizenBenefit', 'businessBenefit', 'developmentCost', 'operationCost'] as const;

export const preparationSteps: Steps<'submit-application' | 'assign' | 'record-valuation' | 'resolve-double-count' | 'request-completion' | 'recommend'> = {
  'submit-application': {
    roles: ['applicant'],
    stages: ['application', 'completion'],
    to: ['preparation'],
    check({ input, edition, rules, body: b }) {
      if (!input.portfolios.includes(b.portfolio)) breakRule('portfolio-unknown', `no portfolio ${b.portfolio}; one of ${input.portfolios.join(', ')}`);
      if (edition.boundsSize) checkProjectLength(rules, b.plannedStart, b.plannedEnd, 'plannedEnd');
      if (!input.experimentalPortfolios.includes(b.portfolio)) {
        const missing = BENEFIT_PARTS.filter((k) => b.benefits[k] === undefined);
        if (missing.length) breakRule('benefit-calculation-required', `the nyttokalkyl (benefit calculation) needs ${missing.join(', ')}; only the experimental portfolio waives exact figures`);
      }
    },
    async apply({ state, edition, body: b, at, rules, now, activities }) {
      const { view } = state;
      if (b.feasibilityStudy !== undefined && activities.checksReferences()) {
        // The study this implementation follows: a feasibility study (förstudie) of the same organisation.
        if (b.kind !== 'implementation') breakRule('feasibility-study-unknown', 'Only an implementation names the feasibility study it follows');
        const study = b.feasibilityStudy === view.id ? null : await activities.caseKindOf(b.feasibilityStudy);
        if (study === null || study.kind !== 'feasibility' || study.organisation !== view.organisation) {
          breakRule('feasibility-study-unknown', `${b.feasibilityStudy} is not a feasibility study (förstudie) of ${view.organisation}`);
        }
      }
      const conflicts = edition.booksSavingsClaims
        ? await activities.bookSavingsClaims(view.id, b.savingsClaims ?? [])
        : await activities.findSavingsConflicts(view.id, (b.savingsClaims ?? []).map((c) => c.key));
      const answering = view.stage === 'completion';
      const round = (view.application?.round ?? 0) + 1;
      view.application = { ...b, submittedAt: at, round };
      view.portfolio = b.portfolio;
      view.kind = b.kind;
      view.plannedEnd = b.plannedEnd;
      view.decisionTier = tierForAmount(b.totalCost, rules.delegation);
      view.doubleCount = conflicts.map((c) => {
        const earlier = view.doubleCount.find((d) => d.key === c.key && d.resolution !== undefined);
        return earlier ? { ...earlier, conflictingCases: c.caseIds } : { key: c.key, conflictingCases: c.caseIds };
      });
      if (answering) view.completionRequests[view.completionRequests.length - 1].answeredAt = at;
      awaitFrom(state);
      dropTimers(state, (t) => t.kind === 'application-reminder' || t.kind === 'completion-reminder' || t.kind === 'lapsed');
      moveTo(state, 'preparation', now());
      const notify: NotificationIntent[] = [
        { template: 'receipt', to: 'applicant', data: { what: answering ? 'completion' : 'application' } },
        { template: 'case-arrived', to: 'preparers', data: { step: 'preparation' } },
      ];
      if (round === 1) notify.push({ template: 'case-arrived', to: 'valuers', data: { step: 'valuation' } });
      if (conflicts.length) notify.push({ template: 'case-arrived', to: 'officers', data: { step: 'double-count', keys: conflicts.map((c) => c.key) } });
      return { outcome: { round, doubleCount: conflicts }, notify };
    },
  },

  assign: {
    roles: ['officer'],
    stages: ['idea', 'application', 'preparation', 'completion', 'council'],
    to: [],
    apply({ state, body: b }) {
      state.view.assignment = { ...state.view.assignment, ...b };
      return {};
    },
  },

  'record-valuation': {
    roles: ['valuer'],
    stages: ['preparation', 'completion'],
    to: [],
    check({ actor, view }) {
      if (actor.org !== undefined && actor.org === view.organisation) breakRule('valuer-independence', 'a valuer may not value a case from their own organisation');
    },
    apply({ state, body: b, actor, at }) {
      state.view.valuation = { ...b, by: actor.id, at };
      return {};
    },
  },

  'resolve-double-count': {
    roles: ['officer'],
    stages: ['preparation', 'completion'],
    to: [],
    blocked: (view) => (unresolvedFlag(view) ? null : 'there is no unresolved double-count flag'),
    check({ view, body: b }) {
      if (!unresolvedFlag(view, b.key)) breakRule('double-count-unknown-key', `no unresolved double-count flag for ${b.key}`);
    },
    apply({ state, body: b }) {
      state.view.doubleCount = state.view.doubleCount.map((d) => (d.key === b.key ? { ...d, resolution: b.resolution, comment: b.comment } : d));
      return { outcome: b.resolution, motivation: b.comment };
    },
  },

  'request-completion': {
    roles: ['preparer'],
    stages: ['preparation'],
    to: ['completion'],
    check({ body: b, now }) {
      if (b.dueDate !== undefined && endOfStockholmDay(b.dueDate) <= now()) breakRule('completion-due-in-past', `dueDate ${b.dueDate} has passed`);
    },
    apply({ state, body: b, actor, at, rules, now }) {
      const deadlines = editionOf(state).deadlines;
      const dueAt = b.dueDate !== undefined ? endOfStockholmDay(b.dueDate) : deadlines.after(now(), rules.completionDeadline);
      state.view.completionRequests.push({ missing: b.missing, dueDate: dueDateOf(dueAt), dueAt: iso(dueAt), requestedAt: at, by: actor.id });
      moveTo(state, 'completion', now());
      addTimer(state, 'completion-reminder', deadlines.beforeDeadline(dueAt, rules.reminderBefore));
      addTimer(state, 'lapsed', dueAt);
      awaitFrom(state, { what: 'completion', from: 'applicant', by: iso(dueAt) });
      return {};
    },
  },

  recommend: {
    roles: ['preparer'],
    stages: ['preparation'],
    to: ['council'],
    check({ view }) {
      if (view.valuation === null) breakRule('valuation-required', 'the central valuation (nyttovärdering) is required before a recommendation');
      if (unresolvedFlag(view)) breakRule('double-count-unresolved', 'a savings claim is booked by another case; the officer resolves it first');
    },
    apply({ state, body: b, actor, at, now }) {
      state.view.preparation = { recommendation: b.recommendation, motivation: b.motivation, by: actor.id, at };
      moveTo(state, 'council', now());
      return { outcome: b.recommendation, motivation: b.motivation, decision: { kind: 'preparation', outcome: b.recommendation }, notify: [{ template: 'case-arrived', to: 'officers', data: { step: 'council-scheduling' } }] };
    },
  },
};
