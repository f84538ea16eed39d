// Who may take which action in which stage. Pure: used by the workflow's update validators and by the
// API to list `allowedActions` for the caller.
import type { ActionName } from './actions';
import type { Actor, CaseView, Stage } from './types';

const BEFORE_DECISION: Stage[] = ['idea', 'application', 'preparation', 'completion', 'council', 'decision'];

export const ACTION_RULES: Record<ActionName, { roles: string[]; stages: Stage[] }> = {
  'screen-idea': { roles: ['officer'], stages: ['idea'] },
  'submit-application': { roles: ['applicant'], stages: ['application', 'completion'] },
  assign: { roles: ['officer'], stages: ['idea', 'application', 'preparation', 'completion', 'council'] },
  'record-valuation': { roles: ['valuer'], stages: ['preparation', 'completion'] },
  'resolve-double-count': { roles: ['officer'], stages: ['preparation', 'completion'] },
  'request-completion': { roles: ['preparer'], stages: ['preparation'] },
  recommend: { roles: ['preparer'], stages: ['preparation'] },
  'schedule-council': { roles: ['officer'], stages: ['council'] },
  'council-opinion': { roles: ['council'], stages: ['council'] },
  'budget-check': { roles: ['budget'], stages: ['decision'] },
  decide: { roles: ['decider'], stages: ['decision'] },
  'submit-report': { roles: ['applicant'], stages: ['execution', 'closure'] },
  'request-change': { roles: ['applicant', 'officer'], stages: ['execution'] },
  'decide-change': { roles: ['decider'], stages: ['execution'] },
  terminate: { roles: ['decider'], stages: ['execution'] },
  'submit-final-report': { roles: ['applicant'], stages: ['execution', 'closure'] },
  'approve-closure': { roles: ['officer'], stages: ['closure'] },
  'submit-effect-report': { roles: ['applicant'], stages: ['followUp'] },
  withdraw: { roles: ['applicant'], stages: BEFORE_DECISION },
};

export function deciderTiers(actor: Actor): string[] {
  return actor.roles.filter((r) => r.startsWith('decider:')).map((r) => r.slice('decider:'.length));
}

/** The role (and organisation) part of the rule; the stage part and the case's own state are checked separately. */
export function actorMayAct(action: ActionName, actor: Actor, view: Pick<CaseView, 'organisation'>): boolean {
  const { roles } = ACTION_RULES[action];
  return roles.some((role) => {
    if (role === 'decider') return deciderTiers(actor).length > 0;
    if (!actor.roles.includes(role)) return false;
    // Applicants act only on their own organisation's cases.
    if (role === 'applicant') return actor.org === view.organisation;
    return true;
  });
}

/** The tier that must take a decider action now, or null when none is pending. */
export function tierFor(action: ActionName, view: CaseView): string | null {
  if (action === 'decide') return view.decisionTier;
  if (action === 'terminate') return view.grantTier;
  if (action === 'decide-change') return view.changeRequests.find((c) => c.status === 'open')?.tier ?? null;
  return null;
}

/** Actions the caller may take on the case as it stands (stage, role, organisation, delegation tier). */
export function allowedActionsFor(view: CaseView, actor: Actor): ActionName[] {
  return (Object.keys(ACTION_RULES) as ActionName[]).filter((action) => {
    if (!ACTION_RULES[action].stages.includes(view.stage)) return false;
    if (!actorMayAct(action, actor, view)) return false;
    if (ACTION_RULES[action].roles.includes('decider')) {
      const tier = tierFor(action, view);
      if (tier === null || !deciderTiers(actor).includes(tier)) return false;
    }
    return stateAllows(action, view);
  });
}

/** Finer conditions within a stage, beyond role and stage. */
export function stateAllows(action: ActionName, view: CaseView): boolean {
  switch (action) {
    case 'resolve-double-count': return view.doubleCount.some((d) => d.resolution === undefined);
    case 'schedule-council': return view.council === null;
    case 'council-opinion': return view.council !== null && view.council.opinion === undefined;
    case 'budget-check': return view.budgetCheck === null;
    case 'decide': return view.budgetCheck !== null;
    case 'decide-change': return view.changeRequests.some((c) => c.status === 'open');
    case 'request-change': return !view.changeRequests.some((c) => c.status === 'open');
    case 'submit-report': return view.reports.some((r) => r.type !== 'final' && r.type !== 'effect' && r.status !== 'received' && r.status !== 'scheduled');
    case 'submit-final-report': return view.finalReport === null;
    case 'approve-closure': return view.finalReport !== null;
    case 'submit-effect-report': return view.reports.some((r) => r.type === 'effect' && r.status !== 'received' && r.status !== 'scheduled');
    default: return true;
  }
}
