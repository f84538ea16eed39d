// The case lifecycle: one workflow per case, workflow id = case number. Human steps arrive as Updates
// (validated before anything is recorded); deadlines are timers kept in the state, so the whole case
// can continue-as-new at any quiet moment and carry on exactly where it was.
import {
  ApplicationFailure, allHandlersFinished, condition, continueAsNew, patched, proxyActivities, proxyLocalActivities, setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { CaseActivities } from '../activities/contract';
import { ACTION_NAMES, type ActionName } from './actions';
import type * as Inputs from './inputs';
import type { ActionInput } from './inputs';
import { actionUpdates, caseStartedUpdate, caseViewQuery, REFUSAL, type ActionRequest } from './messages';
import { ACTION_RULES, actorMayAct, allowedActionsFor, deciderTiers, stateAllows, tierFor } from './permissions';
import {
  addDuration, calendarReports, deviationReasons, endOfStockholmDay, isSubDay, makeReport, sixWeekReport,
  splitByYear, startOfStockholmDay, stockholmDate, tierForAmount,
} from './rules';
import { applicantStatus, deadlines } from './status';
import {
  SYSTEM_ACTOR, TERMINAL_STAGES, type Actor, type CaseInput, type CaseView, type Deadline, type NotificationIntent,
  type Report, type Stage,
} from './types';

// zod and the schemas cost a workflow instance ~10 ms of CPU and ~1 MB: the SDK evaluates each instance's
// modules apart. Most cached cases only wait on timers, so an instance loads them on its first update and
// builds only the schemas it validates (actionInput).
let inputs: typeof Inputs | undefined;
function actionInput<A extends ActionName>(action: A) {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a lazy load, bundled all the same by the SDK's webpack
  inputs ??= require('./inputs') as typeof Inputs;
  return inputs.actionInput(action);
}

type TimerKind = 'screening-overdue' | 'application-reminder' | 'completion-reminder' | 'lapse'
  | 'report-reminder' | 'report-overdue' | 'report-escalate' | 'next-six-week' | 'planned-end';
interface Timer { kind: TimerKind; at: number; ref?: string }

/** Everything the case needs to go on; carried across continue-as-new. */
export interface CaseState {
  view: CaseView;
  timers: Timer[];
  /** Awaited from someone with a deadline that is not a report (application, completion, screening). */
  waiting: Deadline[];
  nextSixWeek: number;
  projectStartAt: number | null;
  plannedEndAt: number | null;
}

/**
 * A case continues as new after this many history events (or earlier when the server suggests it), so a
 * years-long project replays quickly and stays far inside the engine's history limits.
 */
export const MAX_HISTORY_EVENTS = 1_000;

// A step must land eventually: retry without limit while the database is away.
const STEP_RETRY = { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' } as const;
const persistence = proxyActivities<CaseActivities>({ startToCloseTimeout: '30 seconds', retry: STEP_RETRY });
// The step recorded inside the workflow task that takes it: no activity task and no second workflow task
// through the engine per step. recordStep is idempotent on (case, seq), so a worker lost
// mid-task only repeats it.
const localPersistence = proxyLocalActivities<Pick<CaseActivities, 'recordStep'>>({ startToCloseTimeout: '30 seconds', retry: STEP_RETRY });
/** Cases started before this patch go on recording steps as scheduled activities until they reach it live. */
const RECORD_STEP_LOCALLY = 'record-step-locally';
const mail = proxyActivities<Pick<CaseActivities, 'deliverEmails'>>({
  startToCloseTimeout: '1 minute',
  // After these the outbox sweeper takes over, so a long SMTP outage never holds the case.
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 6 },
});

function refuse(type: string, message: string, details?: unknown): never {
  throw ApplicationFailure.create({ type, message, nonRetryable: true, details: details === undefined ? [] : [details] });
}

function emptyView(input: CaseInput, now: number): CaseView {
  const at = new Date(now).toISOString();
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
  return view;
}

export async function caseWorkflow(input: CaseInput, carried?: CaseState): Promise<CaseView> {
  const rules = input.ruleSet;
  const state: CaseState = carried ?? {
    view: emptyView(input, Date.now()), timers: [], waiting: [], nextSixWeek: 1, projectStartAt: null, plannedEndAt: null,
  };
  const view = state.view;
  const deliveries = new Set<Promise<unknown>>();

  // Steps run one at a time, in arrival order: an update and a timer never interleave their writes.
  let tail: Promise<unknown> = Promise.resolve();
  const exclusive = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = tail.then(fn);
    tail = run.catch(() => undefined);
    return run;
  };

  const now = () => Date.now();
  const iso = (t: number) => new Date(t).toISOString();
  const terminal = () => TERMINAL_STAGES.includes(view.stage);

  // ---- recording -------------------------------------------------------------------------------

  async function record(step: {
    action: string; actor: Actor; stageBefore: Stage | null; input?: unknown; outcome?: unknown; motivation?: string;
    notify?: NotificationIntent[];
  }): Promise<void> {
    const before = view.applicantStatus;
    view.seq += 1;
    view.updatedAt = iso(now());
    view.deadlines = deadlines(view, state.waiting);
    view.applicantStatus = applicantStatus(view);
    const notifications = [...(step.notify ?? [])];
    const statusChanged = before.code !== view.applicantStatus.code || before.text.sv !== view.applicantStatus.text.sv;
    // Applicants hear of a change they can see, once: a receipt or reminder in the same step already tells it.
    if (step.stageBefore !== null && statusChanged && !notifications.some((n) => n.to === 'applicant')) {
      const completion = view.stage === 'completion' ? view.completionRequests[view.completionRequests.length - 1] : undefined;
      notifications.push({
        template: 'status-changed', to: 'applicant',
        data: { from: before.code, to: view.applicantStatus.code, ...(completion ? { missing: completion.missing, dueDate: completion.dueDate } : {}) },
      });
    }
    const recordStep = patched(RECORD_STEP_LOCALLY) ? localPersistence.recordStep : persistence.recordStep;
    await recordStep({
      caseId: view.id, seq: view.seq, at: view.updatedAt, actor: step.actor, action: step.action,
      stageBefore: step.stageBefore, stageAfter: view.stage, input: step.input ?? null, outcome: step.outcome ?? null,
      motivation: step.motivation, view, notifications,
    });
    if (notifications.length > 0) {
      const seq = view.seq;
      const delivery = mail.deliverEmails(view.id, seq).catch(() => undefined).finally(() => deliveries.delete(delivery));
      deliveries.add(delivery);
    }
  }

  function moveTo(stage: Stage) {
    view.stage = stage;
    if (TERMINAL_STAGES.includes(stage)) {
      state.timers = [];
      state.waiting = [];
      view.closedAt ??= iso(now());
    }
  }

  function addTimer(kind: TimerKind, at: number, ref?: string) {
    state.timers.push({ kind, at, ref });
  }

  function dropTimers(pred: (t: Timer) => boolean) {
    state.timers = state.timers.filter((t) => !pred(t));
  }

  /** A deadline a duration away, or at the end of the Stockholm day for day-sized durations. */
  function deadlineAfter(from: number, duration: string): number {
    const at = addDuration(from, duration);
    return isSubDay(duration) ? at : endOfStockholmDay(stockholmDate(at));
  }

  function scheduleReport(report: Report) {
    view.reports.push(report);
    const due = Date.parse(report.dueAt);
    addTimer('report-reminder', addDuration(due, rules.reminderBefore, -1), report.id);
    addTimer('report-overdue', due, report.id);
    addTimer('report-escalate', addDuration(due, rules.escalationAfter), report.id);
  }

  /** Periodic reports not yet due are dropped; those already due stay on record but stop escalating. */
  function stopPeriodicReports() {
    const periodic = (r: Report) => r.type !== 'final' && r.type !== 'effect' && r.status !== 'received';
    const ids = new Set(view.reports.filter(periodic).map((r) => r.id));
    view.reports = view.reports.filter((r) => !(periodic(r) && r.status === 'scheduled'));
    dropTimers((t) => t.kind === 'next-six-week' || t.kind === 'planned-end' || (t.ref !== undefined && ids.has(t.ref)));
  }

  function startExecution(projectStart: string) {
    const startAt = isSubDay(rules.reportInterval) ? Math.max(startOfStockholmDay(projectStart), now()) : startOfStockholmDay(projectStart);
    state.projectStartAt = startAt;
    state.plannedEndAt = Math.max(endOfStockholmDay(view.plannedEnd as string), startAt + 1);
    if ((view.grantedAmount ?? 0) >= rules.lightReportingBelow) scheduleNextSixWeek();
    for (const r of calendarReports(startAt, state.plannedEndAt, rules)) scheduleReport(r);
    addTimer('planned-end', state.plannedEndAt);
  }

  function scheduleNextSixWeek() {
    const report = sixWeekReport(state.nextSixWeek, state.projectStartAt as number, state.plannedEndAt as number, rules);
    if (!report) return;
    state.nextSixWeek += 1;
    scheduleReport(report);
    addTimer('next-six-week', Date.parse(report.dueAt));
  }

  /** A moved end date: calendar reports not yet due follow the new span; the planned-end timer moves. */
  function replanEnd(newEnd: string) {
    view.plannedEnd = newEnd;
    if (view.stage !== 'execution' || state.projectStartAt === null) return;
    state.plannedEndAt = Math.max(endOfStockholmDay(newEnd), state.projectStartAt + 1);
    const calendar = (r: Report) => (r.type === 'tertial1' || r.type === 'tertial2' || r.type === 'yearEnd') && r.status === 'scheduled';
    const dropped = new Set(view.reports.filter(calendar).map((r) => r.id));
    view.reports = view.reports.filter((r) => !dropped.has(r.id));
    dropTimers((t) => t.kind === 'planned-end' || (t.ref !== undefined && dropped.has(t.ref)));
    const kept = new Set(view.reports.map((r) => r.id));
    for (const r of calendarReports(state.projectStartAt, state.plannedEndAt, rules)) if (!kept.has(r.id)) scheduleReport(r);
    addTimer('planned-end', state.plannedEndAt);
    if (!state.timers.some((t) => t.kind === 'next-six-week') && (view.grantedAmount ?? 0) >= rules.lightReportingBelow) scheduleNextSixWeek();
  }

  function enterClosure(finalDueAt: number) {
    stopPeriodicReports();
    moveTo('closure');
    if (!view.reports.some((r) => r.type === 'final')) {
      const sub = isSubDay(rules.reportInterval);
      scheduleReport(makeReport('F', 'final', state.projectStartAt ?? now(), Math.min(now(), finalDueAt), finalDueAt, sub));
    }
  }

  function reservationFor(amount: number, end: string) {
    const app = view.application!;
    const start = view.decision?.projectStart ?? app.plannedStart;
    // The applicant's yearly split, scaled to the amount, when it covers the years; else by days.
    const perYear = app.costPerYear && app.totalCost > 0
      ? Object.fromEntries(Object.entries(app.costPerYear).map(([y, v]) => [y, (v * amount) / app.totalCost]))
      : undefined;
    return { caseId: view.id, portfolio: app.portfolio, amountsByYear: splitByYear(amount, start, end, perYear) };
  }

  function lastSpent(): number {
    const received = view.reports.filter((r) => r.status === 'received' && typeof r.content?.spentToDate === 'number');
    return (received[received.length - 1]?.content?.spentToDate as number | undefined) ?? 0;
  }

  // ---- validation ------------------------------------------------------------------------------

  function validate<A extends ActionName>(action: A, req: ActionRequest): ActionInput<A> {
    const actor = req?.actor;
    if (!actor || typeof actor.id !== 'string' || !Array.isArray(actor.roles)) refuse(REFUSAL.invalid, 'the request carries no actor');
    if (!ACTION_RULES[action].stages.includes(view.stage)) {
      refuse(REFUSAL.stage, `${action} is not allowed while the case is in stage ${view.stage}`, { stage: view.stage, allowedActions: allowedActionsFor(view, actor) });
    }
    if (!actorMayAct(action, actor, view)) {
      refuse(REFUSAL.role, `${action} needs the role ${ACTION_RULES[action].roles.join(' or ')}${ACTION_RULES[action].roles.includes('applicant') ? ' of the applying organisation' : ''}`);
    }
    const parsed = actionInput(action).safeParse(req.input ?? {});
    if (!parsed.success) {
      refuse(REFUSAL.invalid, `invalid ${action} body`, { errors: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })) });
    }
    if (!stateAllows(action, view)) {
      refuse(REFUSAL.stage, `${action} is not possible now: ${stateHint(action)}`, { stage: view.stage, allowedActions: allowedActionsFor(view, actor) });
    }
    const body = parsed.data as ActionInput<A>;
    checkRules(action, actor, body);
    return body;
  }

  function stateHint(action: ActionName): string {
    switch (action) {
      case 'decide': return 'the budget check (budgetledning) comes first';
      case 'council-opinion': return 'the case is not on a council meeting agenda yet';
      case 'schedule-council': return 'the case is already on a meeting agenda';
      case 'budget-check': return 'the budget check is already recorded';
      case 'decide-change': return 'there is no open change request';
      case 'request-change': return 'a change request is already open';
      case 'resolve-double-count': return 'there is no unresolved double-count flag';
      case 'submit-report': return 'no report is open for submission';
      case 'submit-final-report': return 'the final report is already submitted';
      case 'approve-closure': return 'the final report has not been submitted';
      case 'submit-effect-report': return 'no effect report is open for submission';
      default: return 'not in this state';
    }
  }

  function rule(id: string, message: string): never {
    refuse(REFUSAL.rule, `${id}: ${message}`, { rule: id });
  }

  function requireTier(actor: Actor, tier: string, amount: number) {
    if (!deciderTiers(actor).includes(tier)) {
      refuse(REFUSAL.role, `delegation: ${amount} SEK is decided by the tier ${tier} (role decider:${tier})`, { rule: 'delegation', tier });
    }
  }

  function checkRules<A extends ActionName>(action: A, actor: Actor, body: ActionInput<A>) {
    switch (action) {
      case 'submit-application': {
        const b = body as ActionInput<'submit-application'>;
        if (!input.portfolios.includes(b.portfolio)) rule('portfolio-unknown', `no portfolio ${b.portfolio}; one of ${input.portfolios.join(', ')}`);
        if (!input.experimentalPortfolios.includes(b.portfolio)) {
          const missing = (['citizenBenefit', 'businessBenefit', 'developmentCost', 'operationCost'] as const).filter((k) => b.benefits[k] === undefined);
          if (missing.length) rule('benefit-calculation-required', `the nyttokalkyl (benefit calculation) needs ${missing.join(', ')}; only the experimental portfolio waives exact figures`);
        }
        return;
      }
      case 'record-valuation':
        if (actor.org !== undefined && actor.org === view.organisation) {
          refuse(REFUSAL.role, 'valuer-independence: a valuer may not value a case from their own organisation', { rule: 'valuer-independence' });
        }
        return;
      case 'resolve-double-count': {
        const b = body as ActionInput<'resolve-double-count'>;
        if (!view.doubleCount.some((d) => d.key === b.key && d.resolution === undefined)) rule('double-count-unknown-key', `no unresolved double-count flag for ${b.key}`);
        return;
      }
      case 'request-completion': {
        const b = body as ActionInput<'request-completion'>;
        if (b.dueDate !== undefined && endOfStockholmDay(b.dueDate) <= now()) rule('completion-due-in-past', `dueDate ${b.dueDate} has passed`);
        return;
      }
      case 'recommend':
        if (view.valuation === null) rule('valuation-required', 'the central valuation (nyttovärdering) is required before a recommendation');
        if (view.doubleCount.some((d) => d.resolution === undefined)) rule('double-count-unresolved', 'a savings claim is booked by another case; the officer resolves it first');
        return;
      case 'decide': {
        const b = body as ActionInput<'decide'>;
        const app = view.application!;
        const amount = b.outcome === 'approve' ? (b.grantedAmount as number) : app.totalCost;
        requireTier(actor, tierForAmount(amount, rules.delegation), amount);
        if (b.outcome !== 'approve') return;
        if (amount > app.totalCost) rule('grant-exceeds-request', `the grant ${amount} SEK exceeds the requested ${app.totalCost} SEK`);
        if (view.doubleCount.some((d) => d.resolution === undefined)) rule('double-count-unresolved', 'a savings claim is still flagged as booked by another case');
        if (app.kind === 'implementation' && !(app.owner?.name && app.owner.managementObject && app.owner.operationCostAccepted === true)) {
          rule('owner-operation-cost-accepted', 'money is granted only when a designated owner and management object have accepted the operation costs');
        }
        return;
      }
      case 'decide-change': {
        const cr = view.changeRequests.find((c) => c.status === 'open')!;
        requireTier(actor, cr.tier, cr.newTotalCost ?? view.grantedAmount ?? 0);
        return;
      }
      case 'terminate':
        requireTier(actor, tierFor('terminate', view) as string, view.grantedAmount ?? 0);
        return;
      case 'submit-report': {
        const b = body as ActionInput<'submit-report'>;
        const r = view.reports.find((x) => x.id === b.reportId);
        if (!r || r.type === 'final' || r.type === 'effect') rule('report-unknown', `no status report ${b.reportId}`);
        if (r.status === 'received') rule('report-already-received', `report ${b.reportId} is already received`);
        if (r.status === 'scheduled') rule('report-not-open', `report ${b.reportId} opens on ${stockholmDate(addDuration(Date.parse(r.dueAt), rules.reminderBefore, -1))}`);
        return;
      }
      case 'submit-effect-report': {
        const b = body as ActionInput<'submit-effect-report'>;
        const r = view.reports.find((x) => x.id === b.reportId && x.type === 'effect');
        if (!r) rule('report-unknown', `no effect report ${b.reportId}`);
        if (r.status === 'received') rule('report-already-received', `effect report ${b.reportId} is already received`);
        if (r.status === 'scheduled') rule('report-not-open', `effect report ${b.reportId} is not open yet`);
        return;
      }
      default:
    }
  }

  // ---- human steps -----------------------------------------------------------------------------

  async function act<A extends ActionName>(action: A, req: ActionRequest): Promise<CaseView> {
    // Validated again here: an earlier update in the queue may have changed the case since the validator ran.
    const body = validate(action, req);
    const actor = req.actor;
    const stageBefore = view.stage;
    const at = iso(now());
    const notify: NotificationIntent[] = [];
    let outcome: unknown = null;
    let motivation: string | undefined;

    switch (action) {
      case 'screen-idea': {
        const b = body as ActionInput<'screen-idea'>;
        view.idea = { ...view.idea, screening: { outcome: b.outcome, reason: b.reason, coach: b.coach, by: actor.id, at } };
        if (b.coach) view.assignment = { ...view.assignment, coach: b.coach };
        state.waiting = [];
        dropTimers((t) => t.kind === 'screening-overdue');
        if (b.outcome === 'approve') {
          moveTo('application');
          const lapseAt = deadlineAfter(now(), rules.applicationDeadline);
          addTimer('application-reminder', addDuration(now(), rules.applicationReminderAfter));
          addTimer('lapse', lapseAt);
          state.waiting = [{ what: 'application', from: 'applicant', by: iso(lapseAt) }];
        } else moveTo(b.outcome === 'reject' ? 'rejected' : 'redirected');
        outcome = b.outcome;
        motivation = b.reason;
        break;
      }
      case 'submit-application': {
        const b = body as ActionInput<'submit-application'>;
        const conflicts = await persistence.findSavingsConflicts(view.id, (b.savingsClaims ?? []).map((c) => c.key));
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
        if (answering) {
          const req = view.completionRequests[view.completionRequests.length - 1];
          req.answeredAt = at;
        }
        state.waiting = [];
        dropTimers((t) => t.kind === 'application-reminder' || t.kind === 'completion-reminder' || t.kind === 'lapse');
        moveTo('preparation');
        notify.push({ template: 'receipt', to: 'applicant', data: { what: answering ? 'completion' : 'application' } });
        notify.push({ template: 'case-arrived', to: 'preparers', data: { step: 'preparation' } });
        if (round === 1) notify.push({ template: 'case-arrived', to: 'valuers', data: { step: 'valuation' } });
        if (conflicts.length) notify.push({ template: 'case-arrived', to: 'officers', data: { step: 'double-count', keys: conflicts.map((c) => c.key) } });
        outcome = { round, doubleCount: conflicts };
        break;
      }
      case 'assign': {
        const b = body as ActionInput<'assign'>;
        view.assignment = { ...view.assignment, ...b };
        break;
      }
      case 'record-valuation': {
        const b = body as ActionInput<'record-valuation'>;
        view.valuation = { ...b, by: actor.id, at };
        break;
      }
      case 'resolve-double-count': {
        const b = body as ActionInput<'resolve-double-count'>;
        view.doubleCount = view.doubleCount.map((d) => (d.key === b.key ? { ...d, resolution: b.resolution, comment: b.comment } : d));
        outcome = b.resolution;
        motivation = b.comment;
        break;
      }
      case 'request-completion': {
        const b = body as ActionInput<'request-completion'>;
        const dueAt = b.dueDate !== undefined ? endOfStockholmDay(b.dueDate) : deadlineAfter(now(), rules.completionDeadline);
        view.completionRequests.push({ missing: b.missing, dueDate: stockholmDate(dueAt - 1), dueAt: iso(dueAt), requestedAt: at, by: actor.id });
        moveTo('completion');
        addTimer('completion-reminder', addDuration(dueAt, rules.reminderBefore, -1));
        addTimer('lapse', dueAt);
        state.waiting = [{ what: 'completion', from: 'applicant', by: iso(dueAt) }];
        break;
      }
      case 'recommend': {
        const b = body as ActionInput<'recommend'>;
        view.preparation = { recommendation: b.recommendation, motivation: b.motivation, by: actor.id, at };
        moveTo('council');
        notify.push({ template: 'case-arrived', to: 'officers', data: { step: 'council-scheduling' } });
        outcome = b.recommendation;
        motivation = b.motivation;
        break;
      }
      case 'schedule-council': {
        const b = body as ActionInput<'schedule-council'>;
        view.council = { meetingId: b.meetingId };
        notify.push({ template: 'case-arrived', to: 'council', data: { step: 'council', meetingId: b.meetingId } });
        break;
      }
      case 'council-opinion': {
        const b = body as ActionInput<'council-opinion'>;
        view.council = { ...view.council!, ...b, by: actor.id, at };
        moveTo('decision');
        notify.push({ template: 'case-arrived', to: 'budget', data: { step: 'budget' } });
        outcome = b.opinion;
        motivation = b.comment;
        break;
      }
      case 'budget-check': {
        const b = body as ActionInput<'budget-check'>;
        view.budgetCheck = { ...b, by: actor.id, at };
        notify.push({ template: 'case-arrived', to: `decider:${view.decisionTier}`, data: { step: 'decision' } });
        outcome = b.outcome;
        motivation = b.remarks;
        break;
      }
      case 'decide': {
        const b = body as ActionInput<'decide'>;
        const app = view.application!;
        const tier = tierForAmount(b.outcome === 'approve' ? (b.grantedAmount as number) : app.totalCost, rules.delegation);
        if (b.outcome === 'approve') {
          const granted = b.grantedAmount as number;
          const reservation = await persistence.reserveFrame({ ...reservationFor(granted, app.plannedEnd), enforce: true });
          if (!reservation.ok) {
            rule('portfolio-frame', `the grant does not fit ${app.portfolio}'s frame for ${reservation.year}: frame ${reservation.frame} SEK, reserved ${reservation.reserved} SEK, requested ${reservation.requested} SEK`);
          }
          view.grantedAmount = granted;
          view.grantTier = tier;
        }
        view.decision = { outcome: b.outcome, grantedAmount: b.grantedAmount, conditions: b.conditions, projectStart: b.projectStart, motivation: b.motivation, tier, by: actor.id, at };
        if (b.outcome === 'approve') {
          moveTo('execution');
          startExecution(b.projectStart as string);
        } else if (b.outcome === 'reject') {
          moveTo('rejected');
        } else {
          // Returned to beredning: the preparation, council opinion and budget check are taken anew.
          view.preparation = null;
          view.council = null;
          view.budgetCheck = null;
          moveTo('preparation');
          notify.push({ template: 'case-arrived', to: 'preparers', data: { step: 'preparation', returned: true } });
        }
        outcome = { outcome: b.outcome, grantedAmount: b.grantedAmount, tier };
        motivation = b.motivation;
        break;
      }
      case 'submit-report': {
        const b = body as ActionInput<'submit-report'>;
        const { reportId, ...content } = b;
        const report = view.reports.find((r) => r.id === reportId)!;
        report.status = 'received';
        report.receivedAt = at;
        report.content = content;
        dropTimers((t) => t.ref === reportId);
        notify.push({ template: 'receipt', to: 'applicant', data: { what: 'report', reportId } });
        const reasons = deviationReasons(b, view.grantedAmount ?? 0, view.plannedEnd as string, rules);
        if (reasons.length) {
          view.deviations.push({ at, reportId, reasons });
          notify.push({ template: 'deviation', to: 'officers', data: { reportId, reasons } });
        }
        outcome = { reportId, deviation: reasons };
        break;
      }
      case 'request-change': {
        const b = body as ActionInput<'request-change'>;
        const total = b.newTotalCost ?? (view.grantedAmount as number);
        const cr = { id: `C${view.changeRequests.length + 1}`, requestedBy: actor.id, requestedAt: at, ...b, tier: tierForAmount(total, rules.delegation), status: 'open' as const };
        view.changeRequests.push(cr);
        if (actor.roles.includes('applicant')) notify.push({ template: 'receipt', to: 'applicant', data: { what: 'changeRequest', changeRequestId: cr.id } });
        notify.push({ template: 'case-arrived', to: `decider:${cr.tier}`, data: { step: 'change-decision', changeRequestId: cr.id } });
        outcome = { changeRequestId: cr.id, tier: cr.tier };
        motivation = b.reason;
        break;
      }
      case 'decide-change': {
        const b = body as ActionInput<'decide-change'>;
        const cr = view.changeRequests.find((c) => c.status === 'open')!;
        if (b.outcome === 'approve') {
          const total = cr.newTotalCost ?? (view.grantedAmount as number);
          const end = cr.newEndDate ?? (view.plannedEnd as string);
          const reservation = await persistence.reserveFrame({ ...reservationFor(total, end), enforce: total > (view.grantedAmount as number) });
          if (!reservation.ok) rule('portfolio-frame', `the new total does not fit the frame for ${reservation.year}: frame ${reservation.frame} SEK, reserved ${reservation.reserved} SEK, requested ${reservation.requested} SEK`);
          view.grantedAmount = total;
          view.grantTier = tierForAmount(total, rules.delegation);
          if (cr.newEndDate) replanEnd(cr.newEndDate);
          view.deviations = view.deviations.map((d) => d.resolvedBy === undefined ? { ...d, resolvedBy: cr.id } : d);
        }
        Object.assign(cr, { status: b.outcome === 'approve' ? 'approved' : 'rejected', decidedAt: at, decidedBy: actor.id, motivation: b.motivation });
        outcome = { changeRequestId: cr.id, outcome: b.outcome, tier: cr.tier };
        motivation = b.motivation;
        break;
      }
      case 'terminate': {
        const b = body as ActionInput<'terminate'>;
        const spent = lastSpent();
        await persistence.reserveFrame({ ...reservationFor(spent, stockholmDate(now())), enforce: false });
        view.terminated = { by: actor.id, at, motivation: b.motivation };
        // Avbrutet projekt: a final report is still required.
        enterClosure(deadlineAfter(now(), rules.reportInterval));
        outcome = { releasedTo: spent };
        motivation = b.motivation;
        break;
      }
      case 'submit-final-report': {
        const b = body as ActionInput<'submit-final-report'>;
        if (view.stage === 'execution') enterClosure(now());
        const final = view.reports.find((r) => r.type === 'final')!;
        Object.assign(final, { status: 'received', receivedAt: at, content: b });
        dropTimers((t) => t.ref === final.id);
        view.finalReport = { ...b, submittedAt: at };
        notify.push({ template: 'receipt', to: 'applicant', data: { what: 'finalReport' } });
        notify.push({ template: 'case-arrived', to: 'officers', data: { step: 'closure' } });
        break;
      }
      case 'approve-closure': {
        const b = body as ActionInput<'approve-closure'>;
        view.closure = { by: actor.id, at, comment: b.comment };
        const finalCost = view.finalReport?.finalCost as number;
        if (!view.terminated) await persistence.reserveFrame({ ...reservationFor(finalCost, stockholmDate(now())), enforce: false });
        if (view.terminated) {
          moveTo('terminated');
        } else {
          moveTo('followUp');
          view.closedAt = at;
          rules.followUpOffsets.forEach((offset, i) => {
            const dueAt = deadlineAfter(now(), offset);
            scheduleReport(makeReport(`E${i + 1}`, 'effect', now(), dueAt, dueAt, isSubDay(offset)));
          });
        }
        motivation = b.comment;
        break;
      }
      case 'submit-effect-report': {
        const b = body as ActionInput<'submit-effect-report'>;
        const { reportId, ...content } = b;
        const report = view.reports.find((r) => r.id === reportId)!;
        Object.assign(report, { status: 'received', receivedAt: at, content });
        dropTimers((t) => t.ref === reportId);
        notify.push({ template: 'receipt', to: 'applicant', data: { what: 'effectReport', reportId } });
        notify.push({ template: 'effect-report-received', to: 'council', data: { reportId } });
        if (view.reports.filter((r) => r.type === 'effect').every((r) => r.status === 'received')) moveTo('completed');
        break;
      }
      case 'withdraw': {
        const b = body as ActionInput<'withdraw'>;
        moveTo('withdrawn');
        motivation = b.reason;
        break;
      }
    }
    await record({ action, actor, stageBefore, input: body, outcome, motivation, notify });
    return snapshot();
  }

  // ---- deadlines -------------------------------------------------------------------------------

  async function fire(timer: Timer): Promise<void> {
    const stageBefore = view.stage;
    const report = timer.ref !== undefined ? view.reports.find((r) => r.id === timer.ref) : undefined;
    switch (timer.kind) {
      case 'screening-overdue':
        return record({ action: 'screening-overdue', actor: SYSTEM_ACTOR, stageBefore, notify: [{ template: 'screening-overdue', to: 'officers' }] });
      case 'application-reminder':
      case 'completion-reminder': {
        const what = timer.kind === 'application-reminder' ? 'application' : 'completion';
        const by = state.waiting.find((w) => w.what === what)?.by;
        return record({ action: 'reminder', actor: SYSTEM_ACTOR, stageBefore, outcome: { what }, notify: [{ template: 'reminder', to: 'applicant', data: { what, dueDate: by } }] });
      }
      case 'lapse':
        moveTo('lapsed');
        return record({ action: 'lapsed', actor: SYSTEM_ACTOR, stageBefore, outcome: { deadline: stageBefore === 'completion' ? 'completion' : 'application' } });
      case 'report-reminder':
        if (!report || report.status !== 'scheduled') return;
        report.status = 'due';
        return record({ action: 'reminder', actor: SYSTEM_ACTOR, stageBefore, outcome: { reportId: report.id }, notify: [{ template: 'reminder', to: 'applicant', data: { what: 'report', reportId: report.id, dueDate: report.dueDate } }] });
      case 'report-overdue':
        if (!report || report.status === 'received') return;
        report.status = 'overdue';
        return record({ action: 'report-overdue', actor: SYSTEM_ACTOR, stageBefore, outcome: { reportId: report.id }, notify: [{ template: 'overdue', to: 'applicant', data: { what: 'report', reportId: report.id, dueDate: report.dueDate } }] });
      case 'report-escalate':
        if (!report || report.status === 'received') return;
        report.status = 'escalated';
        return record({ action: 'report-escalated', actor: SYSTEM_ACTOR, stageBefore, outcome: { reportId: report.id }, notify: [{ template: 'escalation', to: 'officers', data: { reportId: report.id, dueDate: report.dueDate } }] });
      case 'next-six-week':
        // The next period's report goes on the calendar: recorded so the read model lists it, no email.
        scheduleNextSixWeek();
        return record({ action: 'report-scheduled', actor: SYSTEM_ACTOR, stageBefore, outcome: { reportId: view.reports[view.reports.length - 1]?.id } });
      case 'planned-end':
        enterClosure(deadlineAfter(state.plannedEndAt as number, rules.reportInterval));
        return record({ action: 'planned-end', actor: SYSTEM_ACTOR, stageBefore });
    }
  }

  async function fireDueTimers(): Promise<void> {
    for (;;) {
      const t = now();
      const due = state.timers.filter((x) => x.at <= t).sort((a, b) => a.at - b.at)[0];
      if (!due || terminal()) return;
      state.timers.splice(state.timers.indexOf(due), 1);
      await fire(due);
    }
  }

  /**
   * A copy: the SDK serialises an update's result a few microtasks later, after the next queued step or timer
   * may already have changed `view` (the caller would get a later seq and state than its own step's).
   */
  function snapshot(): CaseView {
    return JSON.parse(JSON.stringify(view)) as CaseView;
  }

  // ---- wiring ----------------------------------------------------------------------------------

  let started = carried !== undefined;

  setHandler(caseViewQuery, () => view);
  for (const name of ACTION_NAMES) {
    setHandler(actionUpdates[name], (req: ActionRequest) => exclusive(() => act(name, req)), {
      validator: (req: ActionRequest) => { validate(name, req); },
    });
  }
  setHandler(caseStartedUpdate, async () => {
    await condition(() => started);
    return snapshot();
  });

  if (!carried) {
    addTimer('screening-overdue', deadlineAfter(now(), rules.ideaScreeningDeadline));
    state.waiting = [{ what: 'screening', from: 'officer', by: iso(state.timers[0].at) }];
    await exclusive(() => record({
      action: 'case-started', actor: input.actor, stageBefore: null, input: input.idea,
      notify: [
        { template: 'receipt', to: 'applicant', data: { what: 'idea', screeningDeadline: rules.ideaScreeningDeadline } },
        { template: 'case-arrived', to: 'officers', data: { step: 'screening' } },
      ],
    }));
    started = true;
  }

  while (!terminal()) {
    const seen = view.seq;
    const timerCount = state.timers.length;
    const next = state.timers.reduce((m, t) => Math.min(m, t.at), Infinity);
    const changed = () => view.seq !== seen || state.timers.length !== timerCount || terminal();
    if (next === Infinity) await condition(changed);
    else await condition(changed, Math.max(1, next - now()));
    await exclusive(fireDueTimers);
    const info = workflowInfo();
    if (info.continueAsNewSuggested || info.historyLength > MAX_HISTORY_EVENTS) {
      await condition(allHandlersFinished);
      await Promise.all([...deliveries]);
      await continueAsNew<typeof caseWorkflow>(input, state);
    }
  }
  await condition(allHandlersFinished);
  await Promise.all([...deliveries]);
  return view;
}
