// The API as its users call it: bearer tokens per role, every POST with an Idempotency-Key and retried with
// the same key while the answer is unknown (no answer, 5xx, "in progress"), a ledger of every 2xx step, and
// helpers that drive a case from idea sketch to completed.
import { randomUUID } from 'node:crypto';
import { signToken, type Claims } from '../../api/auth';
import type { Config } from '../../config';
import type { ActionName } from '../../workflows/vocabulary';
import type { RuleSetBody } from '../../workflows/inputs';
import { addDays, stockholmDate } from '../../workflows/calendar';
import type { CaseView, Report } from '../../workflows/types';

export type ApiView = CaseView & { allowedActions: ActionName[] };

export const people = {
  applicant: { sub: 'anna', name: 'Anna Andersson', email: 'anna@utbildning.example', roles: ['applicant'], org: 'utbildning' },
  officer: { sub: 'karin', name: 'Karin Handläggare', roles: ['officer'] },
  valuer: { sub: 'vera', name: 'Vera Värderare', roles: ['valuer'], org: 'serviceforvaltningen' },
  preparer: { sub: 'petra', name: 'Petra Beredare', roles: ['preparer'] },
  council: { sub: 'rolf', name: 'Rolf Rådet', roles: ['council'] },
  budget: { sub: 'berit', name: 'Berit Budget', roles: ['budget'] },
  director: { sub: 'stina', name: 'Stina Stadsdirektör', roles: ['decider:stadsdirektor'] },
  auditor: { sub: 'astrid', name: 'Astrid Revisor', roles: ['auditor'] },
  admin: { sub: 'adam', name: 'Adam Admin', roles: ['admin'] },
} satisfies Record<string, Claims>;
export type Who = keyof typeof people;

/**
 * A rule set that runs a case in about a minute: a report opens 10 s after its period starts and is due
 * 10 s later; the effect report opens 5 s after closure. Deadlines before the decision stay long, so
 * only the timers a test waits for fire.
 */
export const SHORT_RULES = {
  delegation: [{ tier: 'stadsdirektor', upTo: 15_000_000 }, { tier: 'ks-ekonomiutskott', upTo: null }],
  ideaScreeningDeadline: 'PT30M',
  applicationDeadline: 'PT30M',
  applicationReminderAfter: 'PT20M',
  completionDeadline: 'PT30M',
  reportInterval: 'PT20S',
  reminderBefore: 'PT10S',
  escalationAfter: 'PT20S',
  tertialDueDates: [],
  yearEndDueDate: '01-31',
  lightReportingBelow: 1_000_000,
  deviation: { costTolerance: 0.1, endDateSlip: 'P8W' },
  followUpOffsets: ['PT15S'],
} satisfies RuleSetBody;

/** status 0: no answer at all (refused, reset, timed out). The body is read as loosely as supertest's. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export interface Answer { status: number; body: any; error?: string; retryAfter?: string }

/** A step the API answered 2xx: it must be in the audit trail. */
export interface Success { caseId: string; action: string; seq: number }

const REQUEST_TIMEOUT_MS = 90_000;
const STEP_TIMEOUT_MS = 180_000;
/** An Idempotency-Key still "in progress" this long belongs to a request that died with its process. */
const ABANDONED_CLAIM_MS = 15_000;
/** A step whose activity was cut off is retried after its start-to-close timeout (30 s). */
const RECORDING_WAIT_MS = 60_000;

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

const problemKind = (a: Answer): string | undefined =>
  typeof a.body?.type === 'string' ? a.body.type.split('/').pop() : undefined;

/** No answer, a server error, or the same request still running: the step may or may not have happened. */
const unknownOutcome = (a: Answer) => a.status === 0 || a.status >= 500 || problemKind(a) === 'in-progress';

/** Polls until probe gives a value; fails naming what was awaited and the last thing seen. */
export async function eventually<T>(
  what: string, probe: () => Promise<T | undefined>, timeoutMs: number, { describe, intervalMs = 250 }: { describe?: () => string; intervalMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs / 1000} s${describe ? `; ${describe()}` : ''}`);
    await sleep(intervalMs);
  }
}

export class ApiClient {
  readonly successes: Success[] = [];
  /** Answers that left the outcome unknown, and were retried. */
  readonly unknownOutcomes: { path: string; status: number; error?: string }[] = [];
  private readonly tokens = new Map<Who, Promise<string>>();

  constructor(readonly baseUrl: string, private readonly jwt: Config['jwt']) {}

  token(who: Who): Promise<string> {
    let token = this.tokens.get(who);
    if (!token) {
      token = signToken(this.jwt, people[who]);
      this.tokens.set(who, token);
    }
    return token;
  }

  async request(method: 'GET' | 'POST', path: string, opts: { who?: Who; body?: unknown; key?: string; timeoutMs?: number } = {}): Promise<Answer> {
    const headers: Record<string, string> = {};
    if (opts.who) headers.authorization = `Bearer ${await this.token(opts.who)}`;
    if (opts.body !== undefined) headers['content-type'] = 'application/json';
    if (opts.key) headers['idempotency-key'] = opts.key;
    try {
      const res = await fetch(`${this.baseUrl}${path}`, {
        method, headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
        signal: AbortSignal.timeout(opts.timeoutMs ?? REQUEST_TIMEOUT_MS),
      });
      const text = await res.text();
      let body: unknown = text;
      try { body = text ? JSON.parse(text) : undefined; } catch { /* not JSON: keep the text */ }
      return { status: res.status, body, ...(res.headers.has('retry-after') ? { retryAfter: res.headers.get('retry-after') as string } : {}) };
    } catch (error) {
      const e = error as Error & { cause?: { code?: string } };
      return { status: 0, body: undefined, error: e.cause?.code ?? e.name };
    }
  }

  get(path: string, who?: Who, timeoutMs?: number): Promise<Answer> {
    return this.request('GET', path, { who, timeoutMs });
  }

  post(path: string, body: unknown, who: Who, key: string = randomUUID()): Promise<Answer> {
    return this.request('POST', path, { who, body, key });
  }

  /**
   * A POST retried with the same Idempotency-Key while its outcome is unknown. For a step, `applied` tells
   * from the case view whether an unanswered earlier attempt took effect after all (then a retry is
   * refused, e.g. 409, and that is not an error), and allows a new key when the old one is stuck on a
   * request that died with its process.
   */
  private async send(path: string, body: unknown, who: Who, step?: { caseId: string; applied: (v: ApiView) => boolean }): Promise<{ answer: Answer; appliedEarlier?: ApiView }> {
    const deadline = Date.now() + STEP_TIMEOUT_MS;
    let key = randomUUID();
    let unknown = false;
    let stuckSince: number | undefined;
    for (let attempt = 1; ; attempt++) {
      const answer = await this.post(path, body, who, key);
      if (!unknownOutcome(answer)) {
        if (answer.status < 300 || !unknown || !step) return { answer };
        // Refused after an unanswered attempt: that attempt may have taken effect and still be recording it.
        const applied = step.applied;
        const view = await this.waitFor(step.caseId, `the effect of ${path}`, applied, RECORDING_WAIT_MS).catch(() => undefined);
        return { answer, appliedEarlier: view };
      }
      unknown = true;
      this.unknownOutcomes.push({ path, status: answer.status, error: answer.error });
      if (Date.now() > deadline) throw new Error(`POST ${path}: outcome still unknown after ${STEP_TIMEOUT_MS / 1000} s (last: ${answer.status} ${answer.error ?? JSON.stringify(answer.body)})`);
      if (problemKind(answer) === 'in-progress' && step) {
        stuckSince ??= Date.now();
        if (Date.now() - stuckSince > ABANDONED_CLAIM_MS) {
          const view = await this.view(step.caseId);
          if (view && step.applied(view)) return { answer, appliedEarlier: view };
          key = randomUUID();
          stuckSince = undefined;
        }
      } else {
        stuckSince = undefined;
      }
      await sleep(Math.min(250 * attempt, 2_000));
    }
  }

  async createCase(over: Record<string, unknown> = {}): Promise<ApiView> {
    // Never a new key: that would submit a second idea.
    const { answer } = await this.send('/cases', { ...idea, ...over }, 'applicant');
    if (answer.status !== 201) throw new Error(`POST /cases: ${answer.status} ${JSON.stringify(answer.body)}`);
    this.successes.push({ caseId: answer.body.id, action: 'case-started', seq: answer.body.seq });
    return answer.body as ApiView;
  }

  /** One step; the case view after it. Throws on a refusal, unless an earlier unanswered attempt took effect. */
  async act(caseId: string, action: ActionName, who: Who, body: unknown, applied: (v: ApiView) => boolean): Promise<ApiView> {
    const { answer, appliedEarlier } = await this.send(`/cases/${caseId}/actions/${action}`, body, who, { caseId, applied });
    if (appliedEarlier) return appliedEarlier;
    if (answer.status !== 200) throw new Error(`${action} on ${caseId}: ${answer.status} ${JSON.stringify(answer.body)}`);
    this.successes.push({ caseId, action, seq: answer.body.seq });
    return answer.body as ApiView;
  }

  /** The case view, or undefined when the API does not answer it now. */
  async view(caseId: string): Promise<ApiView | undefined> {
    const answer = await this.get(`/cases/${caseId}`, 'officer', 10_000);
    return answer.status === 200 ? answer.body as ApiView : undefined;
  }

  async waitFor(caseId: string, what: string, pred: (v: ApiView) => boolean, timeoutMs = 90_000): Promise<ApiView> {
    let last: ApiView | undefined;
    return eventually(`${caseId} to reach ${what}`, async () => {
      last = (await this.view(caseId)) ?? last;
      return last && pred(last) ? last : undefined;
    }, timeoutMs, { describe: () => `last seen: ${last ? `${last.stage}, seq ${last.seq}, reports ${last.reports.map((r) => `${r.id}:${r.status}`).join(' ')}` : 'nothing'}` });
  }

  async postRuleSet(rules: unknown): Promise<number> {
    const answer = await this.post('/rule-sets', rules, 'admin');
    if (answer.status !== 201) throw new Error(`POST /rule-sets: ${answer.status} ${JSON.stringify(answer.body)}`);
    return answer.body.version as number;
  }

  async createMeeting(date: string): Promise<string> {
    const answer = await this.post('/council/meetings', { date, title: 'Utvecklingsrådet' }, 'officer');
    if (answer.status !== 201) throw new Error(`POST /council/meetings: ${answer.status} ${JSON.stringify(answer.body)}`);
    return answer.body.id as string;
  }
}

// ---- a case from idea sketch to completed ------------------------------------------------------

const idea = {
  title: 'Digital skolval', need: 'Skolvalet görs på papper', idea: 'En e-tjänst för skolval', expectedBenefits: 'Kortare handläggning',
  roughCost: 2_000_000, contact: { name: 'Anna Andersson', email: 'anna@utbildning.example' }, language: 'sv',
};

const today = () => stockholmDate(Date.now());

interface Step { action: ActionName; who: Who; body: unknown; applied: (v: ApiView) => boolean }

const report = (v: ApiView, id: string): Report | undefined => v.reports.find((r) => r.id === id);
export const isOpen = (v: ApiView, id: string) => ['due', 'overdue', 'escalated'].includes(report(v, id)?.status ?? '');
export const isReceived = (v: ApiView, id: string) => report(v, id)?.status === 'received';

/** Idea to the decider's desk, each step as its role: screened, applied, assigned, valued, recommended, at council, budget-checked. */
export function stepsToDecision(caseId: string, meetingId: string): Step[] {
  return [
    { action: 'screen-idea', who: 'officer', body: { outcome: 'approve', coach: 'Carl Coach' }, applied: (v) => v.idea.screening !== undefined },
    {
      action: 'submit-application', who: 'applicant', applied: (v) => v.application !== null,
      body: {
        portfolio: 'p1', kind: 'implementation', totalCost: 2_000_000, plannedStart: today(), plannedEnd: addDays(today(), 1),
        projectLeader: 'Lena Projektledare',
        benefits: { citizenBenefit: 3_000_000, businessBenefit: 1_500_000, developmentCost: 2_000_000, operationCost: 300_000 },
        savingsClaims: [{ key: `utbildning:e2e-${caseId}`, description: 'Pappershantering vid skolval', amountPerYear: 400_000 }],
        owner: { name: 'Utbildningsdirektören', managementObject: 'Skolval', operationCostAccepted: true },
      },
    },
    { action: 'assign', who: 'officer', body: { preparationGroup: 'Beredningsgrupp 1' }, applied: (v) => v.assignment?.preparationGroup !== undefined },
    {
      action: 'record-valuation', who: 'valuer', applied: (v) => v.valuation !== null,
      body: { citizenBenefit: 2_500_000, businessBenefit: 1_200_000, developmentCost: 2_100_000, operationCost: 300_000 },
    },
    { action: 'recommend', who: 'preparer', body: { recommendation: 'support', motivation: 'God nytta för medborgarna' }, applied: (v) => v.preparation !== null },
    { action: 'schedule-council', who: 'officer', body: { meetingId }, applied: (v) => v.council !== null },
    // No rank: ranks are unique within a portfolio on a meeting, and these cases share one.
    { action: 'council-opinion', who: 'council', body: { opinion: 'recommend' }, applied: (v) => v.council?.opinion !== undefined },
    { action: 'budget-check', who: 'budget', body: { outcome: 'ok' }, applied: (v) => v.budgetCheck !== null },
  ];
}

export const decideStep: Step = {
  action: 'decide', who: 'director', applied: (v) => v.decision !== null,
  // The project starts the day it is decided, whenever that is.
  get body() { return { outcome: 'approve', grantedAmount: 2_000_000, projectStart: today(), motivation: 'Beviljas enligt ansökan' }; },
};

export const reportStep = (reportId: string): Step => ({
  action: 'submit-report', who: 'applicant', applied: (v) => isReceived(v, reportId),
  body: { reportId, time: 'green', cost: 'green', scope: 'green', spentToDate: 500_000, forecastTotalCost: 2_000_000, forecastEndDate: addDays(today(), 1) },
});

export const finalReportStep: Step = {
  action: 'submit-final-report', who: 'applicant', applied: (v) => v.finalReport !== null,
  body: {
    outcome: 'E-tjänsten är i drift', finalCost: 1_800_000, deliveredAgainstPlan: 'Allt enligt plan', handoverConfirmed: true,
    supportArrangement: 'Servicedesk', followUpPlan: 'Statistik kvartalsvis',
  },
};

export const closureStep: Step = { action: 'approve-closure', who: 'officer', body: { comment: 'Godkänd' }, applied: (v) => v.closure !== null };

/** The effect report answers every part of the nyttokalkyl and the case's one savings claim. */
export const effectReportStep = (caseId: string): Step => ({
  action: 'submit-effect-report', who: 'applicant', applied: (v) => isReceived(v, 'E1'),
  body: {
    reportId: 'E1', realised: { citizenBenefit: 2_000_000, businessBenefit: 1_000_000, developmentCost: 1_800_000, operationCost: 250_000 },
    savings: [{ key: `utbildning:e2e-${caseId}`, realisedAmountPerYear: 350_000 }], comment: 'Som väntat',
  },
});

export async function run(api: ApiClient, caseId: string, steps: Step[]): Promise<ApiView | undefined> {
  let view: ApiView | undefined;
  for (const s of steps) view = await api.act(caseId, s.action, s.who, s.body, s.applied);
  return view;
}

/** From execution to completed: final report, closure, and the effect report once it opens. */
export async function finish(api: ApiClient, caseId: string): Promise<ApiView> {
  await run(api, caseId, [finalReportStep, closureStep]);
  await api.waitFor(caseId, 'an open effect report', (v) => isOpen(v, 'E1'));
  await run(api, caseId, [effectReportStep(caseId)]);
  return api.waitFor(caseId, 'completed', (v) => v.stage === 'completed');
}
