// What one entry of the steps table holds, side by side: who may take the step and in which stages, where it
// can lead, when it is not possible (and the reason the caller is told), the rules its body must keep, and
// the change it makes.
import type { CaseActivities } from '../../activities/contract';
import type { CaseState } from '../caseState';
import type { Edition } from '../editions';
import type { ActionInput } from '../inputs';
import type { Actor, CaseInput, CaseView, Decision, NotificationIntent, RuleSet, Stage } from '../types';
import type { ActionName, Role, SystemStep } from '../vocabulary';

/** What the rule checks see: the case, its rule set and who acts, at the workflow's present time. */
export interface Situation<A extends ActionName> {
  view: CaseView;
  /** The rules edition the case runs on (editions/). */
  edition: Edition;
  input: CaseInput;
  rules: RuleSet;
  actor: Actor;
  body: ActionInput<A>;
  now(): number;
}

/** What a transition may use besides the case itself: the lookups and reservations it asks of the outside world. */
export type StepActivities = Pick<CaseActivities, 'findSavingsConflicts' | 'bookSavingsClaims' | 'reserveFrame' | 'councilMeetingExists' | 'caseKindOf' | 'claimPriority'> & {
  /** Whether the step checks its references itself (a meeting, a feasibility study, a free rank): false in histories from before it did. */
  checksReferences(): boolean;
  /** Whether a filed report's free texts stay out of the view (kept in the database): false in histories from before. */
  reportTextsOutside(): boolean;
};

export interface Change<A extends ActionName> extends Situation<A> {
  state: CaseState;
  /** When the step was taken (ISO 8601), as recorded on what it adds to the view. */
  at: string;
  activities: StepActivities;
}

/** What is recorded of a step besides its body, and who is told. */
export interface Outcome {
  outcome?: unknown;
  motivation?: string;
  /** The decision taken, kept in structured form with the motivation as its grounds. */
  decision?: Decision;
  notify?: NotificationIntent[];
}

export interface Step<A extends ActionName> {
  roles: readonly Role[];
  stages: readonly Stage[];
  /** The stages the step can move the case to; none when it keeps the case where it is. */
  to: readonly Stage[];
  /** Why the step is not possible now, beyond stage and role; null when it is. */
  blocked?(view: CaseView, now: number): string | null;
  /** The rules the body must keep in this case; refuses at the first one broken. */
  check?(s: Situation<A>): void;
  /** The change the step makes to the case. */
  apply(c: Change<A>): Outcome | Promise<Outcome>;
}

export type Steps<K extends ActionName> = { [A in K]: Step<A> };

/** A move of the stage graph: from one stage to another, by a step or a deadline. */
export interface Move { from: Stage; to: Stage; by: ActionName | SystemStep }
