// The case lifecycle: one workflow per case, workflow id = case number. Human steps arrive as Updates, checked
// before anything is recorded and then taken from the steps table (steps/); deadlines are timers kept in the
// state (timers.ts), so the whole case can continue-as-new at any quiet moment and carry on where it was.
import { allHandlersFinished, condition, continueAsNew, patched, setHandler, workflowInfo } from '@temporalio/workflow';
import { carriedCase, isClosed, newCase, nextTimerAt, takeDueTimer, type CaseState } from './caseState';
import { EDGES_PATCH, editionOf, SIZE_BOUNDS_PATCH, startingEdition } from './editions';
import { closeReportsOfEndedExecution } from './reports';
import { actionUpdates, caseStartedUpdate, caseViewQuery, type ActionRequest } from './messages';
import { recorder, stepActivities } from './recording';
import { stepOf, validateStep } from './steps';
import { openCase } from './steps/idea';
import { fire } from './timers';
import { validationOf } from './validation';
import { SYSTEM_ACTOR, type CaseInput, type CaseView } from './types';
import { ACTION_NAMES, type ActionName } from './vocabulary';

export type { CaseState } from './caseState';

/**
 * A case continues as new after this many history events (or earlier when the server suggests it), so a
 * years-long project replays quickly and stays far inside the engine's history limits.
 */
export const MAX_HISTORY_EVENTS = 1_000;

/**
 * The loop waits for the case's next deadline and wakes when that deadline moves, not after every step: a step
 * that leaves the next deadline where it was (most of preparation) then costs no timer cancelled and started
 * again. Cases recorded before this patch woke after every step until they reach it live.
 */
const WAKE_ON_DEADLINE_CHANGE = 'wake-on-deadline-change';

export async function caseWorkflow(input: CaseInput, carried?: CaseState): Promise<CaseView> {
  const rules = input.ruleSet;
  const now = () => Date.now();
  const state = carried ? carriedCase(carried) : newCase(input, now(), startingEdition(patched));
  const { record, deliveries } = recorder(state, now);

  /**
   * A case of an earlier edition takes the latest at its first step or deadline on this code (patched() records
   * where, so its history replays). Reports its ended execution left open are closed as not received then.
   */
  function takeLatestEdition(): void {
    // Edition 1 to 2: the delegation kept from now on, reports its ended execution left open closed.
    if (editionOf(state).number === 1 && patched(EDGES_PATCH)) {
      state.edition = 2;
      state.view.delegation ??= rules.delegation;
      closeReportsOfEndedExecution(state);
    }
    if (editionOf(state).number === 2 && patched(SIZE_BOUNDS_PATCH)) state.edition = 3;
  }

  // Steps run one at a time, in arrival order: an update and a timer never interleave their writes.
  let tail: Promise<unknown> = Promise.resolve();
  const exclusive = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = tail.then(fn);
    tail = run.catch(() => undefined);
    return run;
  };

  const validate = <A extends ActionName>(action: A, req: ActionRequest<A>) => {
    const edition = editionOf(state);
    return validateStep(action, { view: state.view, edition, input, rules, actor: req?.actor, now }, req?.input, validationOf(action, edition));
  };

  async function act<A extends ActionName>(action: A, req: ActionRequest<A>): Promise<CaseView> {
    takeLatestEdition();
    // Validated again here: an earlier update in the queue may have changed the case since the validator ran.
    const body = validate(action, req);
    const stageBefore = state.view.stage;
    const change = {
      state, view: state.view, edition: editionOf(state), input, rules, actor: req.actor, body, now, at: new Date(now()).toISOString(), activities: stepActivities,
    };
    const done = await stepOf(action).apply(change);
    await record({ action, actor: req.actor, stageBefore, input: body, ...done });
    return snapshot();
  }

  async function fireDueTimers(): Promise<void> {
    for (;;) {
      if (isClosed(state)) return;
      const timer = takeDueTimer(state, now());
      if (!timer) return;
      takeLatestEdition();
      const stageBefore = state.view.stage;
      const fired = fire(state, rules, timer, now());
      if (fired) await record({ ...fired, actor: SYSTEM_ACTOR, stageBefore });
    }
  }

  /**
   * A copy: the SDK serialises an update's result a few microtasks later, after the next queued step or timer
   * may already have changed the view (the caller would get a later seq and state than its own step's).
   */
  const snapshot = (): CaseView => JSON.parse(JSON.stringify(state.view)) as CaseView;

  let started = carried !== undefined;
  setHandler(caseViewQuery, () => state.view);
  for (const name of ACTION_NAMES) {
    setHandler(actionUpdates[name], (req: ActionRequest<typeof name>) => exclusive(() => act(name, req)), {
      validator: (req: ActionRequest<typeof name>) => { validate(name, req); },
    });
  }
  setHandler(caseStartedUpdate, async () => {
    await condition(() => started);
    return snapshot();
  });

  if (carried) takeLatestEdition();
  else {
    const opened = openCase(state, input, now());
    await exclusive(() => record(opened));
  }
  started = true;

  const historyFull = () => {
    const info = workflowInfo();
    return info.continueAsNewSuggested || info.historyLength > (input.historyLimit ?? MAX_HISTORY_EVENTS);
  };
  while (!isClosed(state)) {
    const seen = state.view.seq;
    const timerCount = state.timers.length;
    const next = nextTimerAt(state);
    const changed = patched(WAKE_ON_DEADLINE_CHANGE)
      ? () => isClosed(state) || nextTimerAt(state) !== next || historyFull()
      : () => state.view.seq !== seen || state.timers.length !== timerCount || isClosed(state);
    if (next === Infinity) await condition(changed);
    else await condition(changed, Math.max(1, next - now()));
    await exclusive(fireDueTimers);
    if (historyFull()) {
      await condition(allHandlersFinished);
      await Promise.all(deliveries());
      await continueAsNew<typeof caseWorkflow>(input, state);
    }
  }
  await condition(allHandlersFinished);
  await Promise.all(deliveries());
  return state.view;
}
