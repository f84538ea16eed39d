// The steps table and the case state without a server: transitions, refusals and deadlines of single steps,
// and the stage graph the table declares. The outside world a transition asks of (frame reservations,
// savings bookings) answers from a fixed script here; the time-skipping tests run the same steps against
// the real activities and database.
import { ApplicationFailure } from '@temporalio/common';
import { Temporal } from '@js-temporal/polyfill';
import { newCase, type CaseState } from '../../workflows/caseState';
import { DEFAULT_RULES } from '../../workflows/defaults';
import { LATEST } from '../../workflows/editions';
import { actionInputOf } from '../../workflows/inputs';
import { allowedActionsFor, stageGraph, stepOf, STEPS, validateStep, type Validation } from '../../workflows/steps';
import type { StepActivities } from '../../workflows/steps/step';
import { scheduleNextSixWeek } from '../../workflows/reports';
import { fire } from '../../workflows/timers';
import { TERMINAL_STAGES, type Actor, type CaseInput, type Stage } from '../../workflows/types';
import { ACTION_NAMES, REFUSALS, type ActionName } from '../../workflows/vocabulary';
import { application, idea, NEXT_YEAR, people, report } from './harness';

const ZONE = 'Europe/Stockholm';
const rules = { version: 1, ...DEFAULT_RULES };
const input: CaseInput = { caseId: 'PK-2026-9001', idea, actor: people.applicant, ruleSet: rules, portfolios: ['p1', 'p5'], experimentalPortfolios: ['p5'] };
const activities: StepActivities = {
  findSavingsConflicts: async () => [],
  bookSavingsClaims: async () => [],
  reserveFrame: async () => ({ ok: true }),
  councilMeetingExists: async () => true,
  caseKindOf: async () => null,
  claimPriority: async () => null,
  checksReferences: () => true,
  reportTextsOutside: () => true,
};

/** A clock that stands still unless moved. */
function clock(start: number) {
  let now = start;
  return { now: () => now, move: (ms: number) => { now += ms; } };
}

const schemaOf = <A extends ActionName>(action: A): Validation<A> => ({
  parse(body) {
    const parsed = actionInputOf(action, LATEST).safeParse(body);
    return parsed.success ? { success: true, data: parsed.data } : { success: false, errors: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })) };
  },
});

async function take<A extends ActionName>(state: CaseState, time: ReturnType<typeof clock>, action: A, actor: Actor, body: unknown) {
  const situation = { view: state.view, edition: LATEST, input, rules, actor, now: time.now };
  const parsed = validateStep(action, situation, body, schemaOf(action));
  return stepOf(action).apply({ ...situation, state, body: parsed, at: new Date(time.now()).toISOString(), activities });
}

function refusalOf(fn: () => unknown): { type?: string; details?: unknown[] } {
  try {
    fn();
  } catch (err) {
    if (err instanceof ApplicationFailure) return { type: err.type ?? undefined, details: err.details ?? undefined };
    throw err;
  }
  throw new Error('not refused');
}

const endOfDay = (date: Temporal.PlainDate) => date.add({ days: 1 }).toZonedDateTime({ timeZone: ZONE }).epochMilliseconds;
const dateAt = (ms: number) => Temporal.Instant.fromEpochMilliseconds(ms).toZonedDateTimeISO(ZONE).toPlainDate();

describe('the stage graph', () => {
  const moves = stageGraph();

  test('every stage but the closed ones is reached from the idea sketch, and the closed ones lead nowhere', () => {
    const reached = new Set<Stage>(['idea']);
    for (let grew = true; grew;) {
      grew = false;
      for (const m of moves) if (reached.has(m.from) && !reached.has(m.to)) { reached.add(m.to); grew = true; }
    }
    expect([...reached].sort()).toEqual(['application', 'closure', 'completed', 'completion', 'council', 'decision', 'execution', 'followUp', 'idea', 'lapsed', 'preparation', 'redirected', 'rejected', 'terminated', 'withdrawn'].sort());
    expect(moves.filter((m) => TERMINAL_STAGES.includes(m.from))).toEqual([]);
  });

  test('a move starts in a stage where its step may be taken', () => {
    for (const m of moves) {
      if ((ACTION_NAMES as readonly string[]).includes(m.by)) expect(STEPS[m.by as ActionName].stages).toContain(m.from);
    }
  });
});

describe('transitions', () => {
  test('screening invites an application due by the end of the 90th Stockholm day, reminded at the 60th', async () => {
    const time = clock(Date.parse('2027-03-20T23:30:00Z'));
    const state = newCase(input, time.now(), LATEST);
    await take(state, time, 'screen-idea', people.officer, { outcome: 'approve' });
    const today = dateAt(time.now());
    expect(state.view.stage).toBe('application');
    expect(state.timers).toEqual([
      { kind: 'application-reminder', at: endOfDay(today.add({ days: 60 })), ref: undefined },
      { kind: 'lapsed', at: endOfDay(today.add({ days: 90 })), ref: undefined },
    ]);
    expect(state.waiting).toEqual([{ what: 'application', from: 'applicant', by: new Date(endOfDay(today.add({ days: 90 }))).toISOString() }]);
  });

  test('a refused step names the stage and what the caller may do instead, and changes nothing', () => {
    const time = clock(Date.now());
    const state = newCase(input, time.now(), LATEST);
    const before = JSON.stringify(state);
    const refused = refusalOf(() => validateStep('schedule-council', { view: state.view, edition: LATEST, input, rules, actor: people.officer, now: time.now }, { meetingId: 'UR-2027-03-10' }, schemaOf('schedule-council')));
    expect(refused).toEqual({ type: REFUSALS.stage.type, details: [{ stage: 'idea', allowedActions: ['screen-idea', 'assign'] }] });
    expect(JSON.stringify(state)).toBe(before);
  });

  test('approval moves the case to execution with its reports and the planned end on the calendar', async () => {
    const time = clock(Date.now());
    const state = newCase(input, time.now(), LATEST);
    await take(state, time, 'screen-idea', people.officer, { outcome: 'approve' });
    await take(state, time, 'submit-application', people.applicant, application({ plannedEnd: `${NEXT_YEAR}-12-31` }));
    await take(state, time, 'record-valuation', people.valuer, { citizenBenefit: 1, businessBenefit: 1, developmentCost: 1, operationCost: 1 });
    await take(state, time, 'recommend', people.preparer, { recommendation: 'support', motivation: 'Bra' });
    await take(state, time, 'schedule-council', people.officer, { meetingId: 'UR-1' });
    await take(state, time, 'council-opinion', people.council, { opinion: 'recommend', priority: 1 });
    await take(state, time, 'budget-check', people.budget, { outcome: 'ok' });
    const today = dateAt(time.now()).toString();
    await take(state, time, 'decide', people.director, { outcome: 'approve', grantedAmount: 2_000_000, projectStart: today, motivation: 'Ja' });
    expect(state.view).toMatchObject({ stage: 'execution', grantedAmount: 2_000_000, grantTier: 'stadsdirektor' });
    expect(state.view.reports[0]).toMatchObject({ id: 'S1', periodStart: today, status: 'scheduled' });
    expect(state.timers.filter((t) => t.kind === 'planned-end')).toEqual([{ kind: 'planned-end', at: endOfDay(Temporal.PlainDate.from(`${NEXT_YEAR}-12-31`)), ref: undefined }]);
    expect(allowedActionsFor(state.view, people.applicant, time.now())).toEqual(['submit-report', 'request-change', 'submit-final-report']);

    // An early final report ends execution; the closure needs a confirmed handover.
    await take(state, time, 'submit-final-report', people.applicant, {
      outcome: 'Klart', finalCost: 1_000_000, deliveredAgainstPlan: 'Allt', handoverConfirmed: false, supportArrangement: 'Ingen', followUpPlan: 'Ingen',
    });
    expect(state.view.stage).toBe('closure');
    const refused = refusalOf(() => validateStep('approve-closure', { view: state.view, edition: LATEST, input, rules, actor: people.officer, now: time.now }, {}, schemaOf('approve-closure')));
    expect(refused).toMatchObject({ type: REFUSALS.rule.type, details: [{ rule: 'handover-not-confirmed' }] });
  });

  test('the planned end waits for an open change request', async () => {
    const time = clock(Date.now());
    const state = newCase(input, time.now(), LATEST);
    Object.assign(state.view, { stage: 'execution', grantedAmount: 2_000_000, application: { ...application(), submittedAt: '', round: 1 }, plannedEnd: `${NEXT_YEAR}-12-31` });
    await take(state, time, 'request-change', people.applicant, { reason: 'Mer tid', newEndDate: `${NEXT_YEAR + 1}-06-30` });
    state.plannedEndAt = time.now();
    expect(fire(state, rules, { kind: 'planned-end', at: time.now() }, time.now())).toEqual({ action: 'planned-end', outcome: { waitingFor: 'C1' } });
    expect(state.view.stage).toBe('execution');
    await take(state, time, 'decide-change', people.director, { outcome: 'reject', motivation: 'Nej' });
    expect(state.view.stage).toBe('closure');
    expect(state.view.reports.find((r) => r.type === 'final')).toMatchObject({ status: 'scheduled' });
  });

  test('a report may be filed from the first day of its period, escalates 10 Stockholm days past its last day, and filing ends its deadlines', async () => {
    const time = clock(Date.now());
    const state = newCase(input, time.now(), LATEST);
    const today = dateAt(time.now());
    Object.assign(state.view, { stage: 'execution', grantedAmount: 2_000_000, plannedEnd: `${NEXT_YEAR}-12-31`, application: { ...application(), submittedAt: '', round: 1 } });
    state.projectStartAt = Temporal.PlainDate.from(today).toZonedDateTime({ timeZone: ZONE }).epochMilliseconds;
    state.plannedEndAt = endOfDay(Temporal.PlainDate.from(`${NEXT_YEAR}-12-31`));
    scheduleNextSixWeek(state, rules);
    const s1 = state.view.reports[0];
    expect(allowedActionsFor(state.view, people.applicant, time.now())).toContain('submit-report');
    const escalation = state.timers.find((t) => t.kind === 'report-escalated')!;
    expect(escalation.at).toBe(endOfDay(Temporal.PlainDate.from(s1.dueDate).add({ days: 10 })));
    await take(state, time, 'submit-report', people.applicant, report('S1'));
    expect(state.timers.filter((t) => t.ref === 'S1')).toEqual([]);
  });
});
