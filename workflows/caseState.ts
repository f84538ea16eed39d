// A case's state and its named operations: the view people see, the deadlines kept as timers, and what is
// awaited from whom. Plain data, carried across continue-as-new as it is; every change goes through these.
import type { Edition } from './editions';
import type { SixWeekSeries } from './reportCalendar';
import { EARLIER_TIMER_KINDS, type TimerKind } from './vocabulary';
import { TERMINAL_STAGES, type CaseInput, type CaseView, type Deadline, type Stage } from './types';

export interface Timer { kind: TimerKind; at: number; ref?: string }

/** Everything the case needs to go on; carried across continue-as-new. */
export interface CaseState {
  view: CaseView;
  timers: Timer[];
  /** Awaited from someone with a deadline that is not a report (application, completion, screening). */
  waiting: Deadline[];
  /** The number the next six-week report gets. */
  nextSixWeek: number;
  projectStartAt: number | null;
  plannedEndAt: number | null;
  /** The number of the rules edition the case runs on (editions/); absent before editions existed (1). */
  edition?: number;
  /** Where the six-week series counts from when it started later than the project (a grant raised above the light-reporting threshold). */
  sixWeekSeries?: SixWeekSeries;
}

const iso = (t: number) => new Date(t).toISOString();

/** A new case's state: the idea sketch in, nothing decided yet. */
export function newCase(input: CaseInput, now: number, edition: Edition): CaseState {
  const at = iso(now);
  const view: CaseView = {
    id: input.caseId,
    title: input.idea.title,
    organisation: input.idea.organisation,
    portfolio: null,
    kind: null,
    stage: 'idea',
    applicantStatus: { code: '', text: { sv: '', en: '' } },
    idea: input.idea,
    application: null,
    assignment: null,
    valuation: null,
    doubleCount: [],
    completionRequests: [],
    preparation: null,
    council: null,
    budgetCheck: null,
    decision: null,
    grantedAmount: null,
    decisionTier: null,
    grantTier: null,
    ...(edition.keepsDelegation ? { delegation: input.ruleSet.delegation } : {}),
    terminated: null,
    plannedEnd: null,
    reports: [],
    deviations: [],
    changeRequests: [],
    finalReport: null,
    closure: null,
    deadlines: [],
    ruleSetVersion: input.ruleSet.version,
    language: input.idea.language ?? 'sv',
    createdAt: at,
    updatedAt: at,
    closedAt: null,
    seq: 0,
  };
  return { view, timers: [], waiting: [], nextSixWeek: 1, projectStartAt: null, plannedEndAt: null, edition: edition.number };
}

/** A state carried over from the previous run, with timer kinds under their current names. */
export function carriedCase(carried: CaseState): CaseState {
  return { ...carried, timers: carried.timers.map((t) => ({ ...t, kind: EARLIER_TIMER_KINDS[t.kind] ?? t.kind })) };
}

export const isClosed = (state: CaseState): boolean => TERMINAL_STAGES.includes(state.view.stage);

/** Moves the case; a closed case keeps no deadlines and remembers when it closed. */
export function moveTo(state: CaseState, stage: Stage, now: number): void {
  state.view.stage = stage;
  if (isClosed(state)) {
    state.timers = [];
    state.waiting = [];
    state.view.closedAt ??= iso(now);
  }
}

export function addTimer(state: CaseState, kind: TimerKind, at: number, ref?: string): void {
  state.timers.push({ kind, at, ref });
}

export function dropTimers(state: CaseState, pred: (t: Timer) => boolean): void {
  state.timers = state.timers.filter((t) => !pred(t));
}

/** What the case waits for from someone other than a report's author, replacing what it waited for before. */
export function awaitFrom(state: CaseState, ...deadlines: Deadline[]): void {
  state.waiting = deadlines;
}

/** The earliest deadline, or Infinity when the case waits on people only. */
export const nextTimerAt = (state: CaseState): number => state.timers.reduce((m, t) => Math.min(m, t.at), Infinity);

/** Takes the earliest timer due by `now` off the list (the first set of those due at the same instant). */
export function takeDueTimer(state: CaseState, now: number): Timer | undefined {
  const due = state.timers.filter((t) => t.at <= now).sort((a, b) => a.at - b.at)[0];
  if (due) state.timers.splice(state.timers.indexOf(due), 1);
  return due;
}
