// The table of steps: every action of the case lifecycle, by phase. Who may take a step, when, with which
// body and rules, and what it changes are read here; the workflow, the API's allowedActions and the stage
// graph in the docs all come from this one declaration.
import { checkHeldSize } from '../caseSize';
import { unstorableText } from '../utf8';
import { offeredToDecider } from '../delegation';
import type { ActionInput } from '../inputs';
import { refuse } from '../refusals';
import type { Actor, CaseView } from '../types';
import { TIMER_MOVES } from '../timers';
import { ACTION_NAMES, type ActionName } from '../vocabulary';
import { decisionSteps } from './decision';
import { executionSteps } from './execution';
import { followUpSteps } from './followUp';
import { ideaSteps } from './idea';
import { preparationSteps } from './preparation';
import type { Move, Situation, Step, Steps } from './step';

export const STEPS: Steps<ActionName> = { ...ideaSteps, ...preparationSteps, ...decisionSteps, ...executionSteps, ...followUpSteps };

export const stepOf = <A extends ActionName>(action: A): Step<A> => STEPS[action] as Step<A>;

/** The role (and organisation) part of a step's rule: applicants act only on their own organisation's cases. */
export function actorMayAct(action: ActionName, actor: Actor, view: Pick<CaseView, 'organisation'>): boolean {
  return STEPS[action].roles.some((role) => {
    if (role === 'decider') return actor.roles.some((r) => r.startsWith('decider:'));
    if (!actor.roles.includes(role)) return false;
    if (role === 'applicant') return actor.org === view.organisation;
    return true;
  });
}

/** The actions the caller may take on the case as it stands at `now` (stage, role, organisation, delegation). */
export function allowedActionsFor(view: CaseView, actor: Actor, now: number): ActionName[] {
  return ACTION_NAMES.filter((action) => {
    const step = STEPS[action];
    if (!step.stages.includes(view.stage) || !actorMayAct(action, actor, view)) return false;
    if (step.roles.includes('decider') && !offeredToDecider(action, actor, view)) return false;
    return (step.blocked?.(view, now) ?? null) === null;
  });
}

export interface Validation<A extends ActionName> { parse(body: unknown): { success: true; data: ActionInput<A> } | { success: false; errors: { path: string; message: string }[] } }

/**
 * Checks who asks and what they send, before anything about the case's state: the role (the API leaves it to
 * the step, so that it is checked once, with the case's organisation), then the body. Refuses at the first
 * that fails; returns the parsed body. A closed case, whose workflow no longer runs, is checked so too.
 */
export function checkRequest<A extends ActionName>(action: A, view: Pick<CaseView, 'organisation'>, actor: Actor, body: unknown, schema: Validation<A>): ActionInput<A> {
  const step = stepOf(action);
  if (!actor || typeof actor.id !== 'string' || !Array.isArray(actor.roles)) refuse('invalid', 'the request carries no actor');
  // Before anything about the case is told: an applicant of another organisation learns nothing of it, not its stage.
  if (actor.roles.every((r) => r === 'applicant') && actor.org !== view.organisation) refuse('role', "applicants act only on their own organisation's cases");
  if (!actorMayAct(action, actor, view)) {
    refuse('role', `${action} needs the role ${step.roles.join(' or ')}${step.roles.includes('applicant') ? ' of the applying organisation' : ''}`);
  }
  const parsed = schema.parse(body ?? {});
  const errors = [...(parsed.success ? [] : parsed.errors), ...unstorableText(body)];
  if (!parsed.success || errors.length > 0) refuse('invalid', `invalid ${action} body`, { errors });
  return parsed.data;
}

/**
 * Checks a step before anything changes, in the order a caller would fix them: the request (role, body), the
 * stage, the case's own state, then the rules. Refuses at the first that fails; returns the parsed body.
 */
export function validateStep<A extends ActionName>(action: A, situation: Omit<Situation<A>, 'body'>, body: unknown, schema: Validation<A>): ActionInput<A> {
  const { view, actor } = situation;
  const now = situation.now();
  const step = stepOf(action);
  const parsed = checkRequest(action, view, actor, body, schema);
  if (!step.stages.includes(view.stage)) {
    refuse('stage', `${action} is not allowed while the case is in stage ${view.stage}`, { stage: view.stage, allowedActions: allowedActionsFor(view, actor, now) });
  }
  const blocked = step.blocked?.(view, now) ?? null;
  if (blocked !== null) refuse('stage', `${action} is not possible now: ${blocked}`, { stage: view.stage, allowedActions: allowedActionsFor(view, actor, now) });
  if (situation.edition.boundsSize) checkHeldSize(view, parsed);
  step.check?.({ ...situation, body: parsed });
  return parsed;
}

/** The moves a case can make, by steps and by deadlines: the stage graph, declared once. */
export function stageGraph(): Move[] {
  const moves: Move[] = [];
  for (const action of ACTION_NAMES) {
    for (const from of STEPS[action].stages) for (const to of STEPS[action].to) if (to !== from) moves.push({ from, to, by: action });
  }
  for (const move of TIMER_MOVES) moves.push(move);
  return moves;
}

