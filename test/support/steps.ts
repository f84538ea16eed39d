// Realistic StepRecords for tests of what the workflow's steps write: a CaseStory plays one case
// forward, each step advancing the sequence by one and the clock by a day, and produces the view
// the workflow would have produced after that step.
import type { EmailPlanner } from '../../activities/contract';
import type {
  Actor, ApplicationInput, CaseView, Decision, NotificationIntent, Report, Stage, StepRecord,
} from '../../workflows/types';
import { SYSTEM_ACTOR } from '../../workflows/types';
import type { StepName } from '../../workflows/vocabulary';

export const actors = {
  applicant: { id: 'anna', name: 'Anna Berg', email: 'anna.berg@utbildning.example', roles: ['applicant'], org: 'utbildning' },
  officer: { id: 'olof', name: 'Olof Lind', email: 'olof.lind@stockholm.example', roles: ['officer'] },
  valuer: { id: 'vera', name: 'Vera Sjö', roles: ['valuer'], org: 'stadsledningskontoret' },
  preparer: { id: 'per', name: 'Per Holm', roles: ['preparer'] },
  council: { id: 'cecilia', name: 'Cecilia Ek', roles: ['council'] },
  budget: { id: 'bengt', name: 'Bengt Ås', roles: ['budget'] },
  decider: { id: 'dora', name: 'Dora Falk', roles: ['decider:stadsdirektor'] },
  system: SYSTEM_ACTOR,
} satisfies Record<string, Actor>;

const STATUS: Partial<Record<Stage, { code: string; sv: string; en: string }>> = {
  idea: { code: 'received', sv: 'Mottagen', en: 'Received' },
  execution: { code: 'granted', sv: 'Beviljad', en: 'Granted' },
  completion: { code: 'awaitingYou', sv: 'Väntar på komplettering från er', en: 'Waiting for your completion' },
  council: { code: 'withCouncil', sv: 'Hos utvecklingsrådet', en: 'With the development council' },
  rejected: { code: 'rejected', sv: 'Avslagen', en: 'Rejected' },
};

function applicantStatus(stage: Stage): CaseView['applicantStatus'] {
  const s = STATUS[stage] ?? { code: 'inProgress', sv: 'Under handläggning', en: 'In progress' };
  return { code: s.code, text: { sv: s.sv, en: s.en } };
}

const DAY = 86_400_000;

/** A case view in the idea stage; override anything. */
export function caseView(id: string, over: Partial<CaseView> = {}): CaseView {
  const at = over.createdAt ?? '2026-02-02T09:00:00.000Z';
  const organisation = over.organisation ?? 'utbildning';
  return {
    id,
    title: 'Digital ansökan till förskola',
    organisation,
    portfolio: null,
    kind: null,
    stage: 'idea',
    applicantStatus: applicantStatus('idea'),
    idea: {
      title: over.title ?? 'Digital ansökan till förskola',
      need: 'Föräldrar ansöker på papper och väntar veckor på besked.',
      idea: 'En e-tjänst där ansökan, placering och besked sker digitalt.',
      expectedBenefits: 'Kortare handläggning, färre fel.',
      roughCost: 2_000_000,
      organisation,
      contact: { name: actors.applicant.name, email: actors.applicant.email },
      language: 'sv',
    },
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
    ruleSetVersion: 1,
    language: 'sv',
    createdAt: at,
    updatedAt: at,
    closedAt: null,
    seq: 0,
    ...over,
  };
}

export function application(over: Partial<ApplicationInput> = {}): ApplicationInput {
  return {
    portfolio: 'p1',
    kind: 'implementation',
    totalCost: 3_000_000,
    costPerYear: { 2026: 2_000_000, 2027: 1_000_000 },
    plannedStart: '2026-06-01',
    plannedEnd: '2027-05-31',
    projectLeader: 'Karin Nord',
    benefits: { citizenBenefit: 4_000_000, businessBenefit: 1_500_000, developmentCost: 3_000_000, operationCost: 300_000, expectedUsers: 20_000 },
    savingsClaims: [{ key: 'utbildning:forskola-pappersblanketter', description: 'Manuell registrering av pappersansökningar', amountPerYear: 400_000 }],
    owner: { name: 'Förskoleavdelningen', managementObject: 'Förskola e-tjänster', operationCostAccepted: true },
    ...over,
  };
}

export interface StepOptions {
  actor?: Actor;
  input?: unknown;
  outcome?: unknown;
  motivation?: string;
  decision?: Decision;
  notifications?: NotificationIntent[];
  /** Changes to the view this step makes. */
  view?: Partial<CaseView>;
}

/** One case played forward step by step. */
export class CaseStory {
  view: CaseView;
  private readonly start: number;

  constructor(readonly id: string, over: Partial<CaseView> = {}) {
    this.view = caseView(id, over);
    this.start = Date.parse(this.view.createdAt);
  }

  /** The next step; the view after it is the current view with opts.view applied. */
  step(action: StepName, opts: StepOptions = {}): StepRecord {
    const seq = this.view.seq + 1;
    const at = new Date(this.start + (seq - 1) * DAY).toISOString();
    const stageBefore = seq === 1 ? null : this.view.stage;
    const stage = opts.view?.stage ?? this.view.stage;
    this.view = { ...this.view, applicantStatus: applicantStatus(stage), ...opts.view, updatedAt: at, seq };
    return {
      caseId: this.id,
      seq,
      at,
      actor: opts.actor ?? actors.system,
      action,
      stageBefore,
      stageAfter: this.view.stage,
      input: opts.input ?? null,
      outcome: opts.outcome ?? { stage: this.view.stage },
      motivation: opts.motivation,
      decision: opts.decision,
      view: this.view,
      notifications: opts.notifications ?? [],
    };
  }

  /** When the next step happens (one day after the previous one). */
  get nextAt(): string {
    return new Date(this.start + this.view.seq * DAY).toISOString();
  }

  started(): StepRecord {
    return this.step('case-started', {
      actor: actors.applicant,
      input: this.view.idea,
      notifications: [{ template: 'receipt', to: 'applicant', data: { what: 'idea' } }, { template: 'case-arrived', to: 'officers', data: { step: 'screen-idea' } }],
    });
  }

  screen(outcome: 'approve' | 'reject' | 'redirect', reason?: string): StepRecord {
    const at = this.nextAt;
    const stage: Stage = outcome === 'approve' ? 'application' : outcome === 'reject' ? 'rejected' : 'redirected';
    return this.step('screen-idea', {
      actor: actors.officer,
      input: { outcome, reason },
      motivation: reason,
      decision: { kind: 'screening', outcome },
      view: {
        stage,
        idea: { ...this.view.idea, screening: { outcome, reason, by: actors.officer.id, at } },
        closedAt: stage === 'application' ? null : at,
      },
      notifications: [{ template: 'status-changed', to: 'applicant' }],
    });
  }

  submitApplication(app: ApplicationInput = application()): StepRecord {
    const round = (this.view.application?.round ?? 0) + 1;
    return this.step('submit-application', {
      actor: actors.applicant,
      input: app,
      view: {
        stage: 'preparation', portfolio: app.portfolio, kind: app.kind, plannedEnd: app.plannedEnd,
        application: { ...app, submittedAt: this.nextAt, round }, decisionTier: 'stadsdirektor',
      },
      notifications: [{ template: 'receipt', to: 'applicant', data: { what: 'application' } }, { template: 'case-arrived', to: 'preparers', data: { step: 'recommend' } }],
    });
  }

  resolveDoubleCount(key: string, resolution: 'keep' | 'removed'): StepRecord {
    const doubleCount = this.view.doubleCount.some((d) => d.key === key)
      ? this.view.doubleCount.map((d) => (d.key === key ? { ...d, resolution } : d))
      : [...this.view.doubleCount, { key, conflictingCases: [], resolution }];
    return this.step('resolve-double-count', { actor: actors.officer, input: { key, resolution }, view: { doubleCount } });
  }

  recommend(): StepRecord {
    const motivation = 'Tydlig nyttokalkyl och beslutad förvaltning.';
    return this.step('recommend', {
      actor: actors.preparer,
      input: { recommendation: 'support', motivation },
      motivation,
      decision: { kind: 'preparation', outcome: 'support' },
      view: { stage: 'council', preparation: { recommendation: 'support', motivation, by: actors.preparer.id, at: this.nextAt } },
    });
  }

  scheduleCouncil(meetingId: string): StepRecord {
    return this.step('schedule-council', { actor: actors.officer, input: { meetingId }, view: { council: { meetingId } } });
  }

  councilOpinion(): StepRecord {
    const council = { meetingId: this.view.council?.meetingId ?? 'm1', opinion: 'recommend' as const, priority: 1, comment: 'Hög prioritet.', by: actors.council.id, at: this.nextAt };
    return this.step('council-opinion', {
      actor: actors.council, input: { opinion: 'recommend', priority: 1, comment: council.comment }, motivation: council.comment,
      decision: { kind: 'council', outcome: 'recommend' }, view: { stage: 'decision', council },
    });
  }

  budgetCheck(): StepRecord {
    return this.step('budget-check', {
      actor: actors.budget, input: { outcome: 'ok' }, decision: { kind: 'budget', outcome: 'ok' }, view: { budgetCheck: { outcome: 'ok', by: actors.budget.id, at: this.nextAt } },
    });
  }

  decide(outcome: 'approve' | 'reject' | 'return', grantedAmount = 2_800_000, projectStart = '2026-06-01'): StepRecord {
    const at = this.nextAt;
    const motivation = outcome === 'approve' ? 'Ryms i portföljens ram; tydlig nytta för medborgarna.' : 'Nyttan är inte visad.';
    const approve = outcome === 'approve';
    return this.step('decide', {
      actor: actors.decider,
      input: { outcome, motivation, ...(approve ? { grantedAmount, projectStart } : {}) },
      motivation,
      decision: { kind: 'grant', outcome, amount: approve ? grantedAmount : undefined, tier: 'stadsdirektor' },
      view: {
        stage: approve ? 'execution' : outcome === 'reject' ? 'rejected' : 'preparation',
        decision: { outcome, motivation, tier: 'stadsdirektor', by: actors.decider.id, at, ...(approve ? { grantedAmount, projectStart } : {}) },
        grantedAmount: approve ? grantedAmount : null,
        grantTier: approve ? 'stadsdirektor' : null,
        reports: approve ? reportSchedule(projectStart) : [],
        closedAt: outcome === 'reject' ? at : null,
      },
      notifications: [{ template: 'status-changed', to: 'applicant' }],
    });
  }

  /** The system marks a report overdue. */
  reportOverdue(reportId: string): StepRecord {
    return this.step('report-overdue', {
      input: { reportId },
      view: { reports: this.view.reports.map((r) => (r.id === reportId ? { ...r, status: 'overdue' as const } : r)) },
      notifications: [{ template: 'overdue', to: 'applicant', data: { what: 'report', reportId } }],
    });
  }

  requestChange(newTotalCost: number): StepRecord {
    const change = {
      id: `cr${this.view.changeRequests.length + 1}`, requestedBy: actors.applicant.id, requestedAt: this.nextAt,
      reason: 'Integrationen med placeringssystemet blev dyrare.', newTotalCost, tier: 'stadsdirektor', status: 'open' as const,
    };
    return this.step('request-change', { actor: actors.applicant, input: { reason: change.reason, newTotalCost }, view: { changeRequests: [...this.view.changeRequests, change] } });
  }

  decideChange(outcome: 'approve' | 'reject'): StepRecord {
    const motivation = 'Merkostnaden är motiverad.';
    const last = this.view.changeRequests[this.view.changeRequests.length - 1];
    const decided = { ...last, status: outcome === 'approve' ? 'approved' as const : 'rejected' as const, decidedAt: this.nextAt, decidedBy: actors.decider.id, motivation };
    return this.step('decide-change', {
      actor: actors.decider,
      input: { outcome, motivation },
      motivation,
      decision: { kind: 'change', outcome: decided.status, amount: last.newTotalCost, tier: last.tier },
      view: {
        changeRequests: [...this.view.changeRequests.slice(0, -1), decided],
        grantedAmount: outcome === 'approve' && last.newTotalCost !== undefined ? last.newTotalCost : this.view.grantedAmount,
      },
    });
  }

  terminate(): StepRecord {
    const motivation = 'Leverantören har gått i konkurs.';
    return this.step('terminate', {
      actor: actors.decider, input: { motivation }, motivation,
      decision: { kind: 'termination', outcome: 'terminated', amount: this.view.grantedAmount, tier: this.view.grantTier },
      view: { stage: 'closure', terminated: { by: actors.decider.id, at: this.nextAt, motivation } },
    });
  }

  withdraw(): StepRecord {
    return this.step('withdraw', { actor: actors.applicant, input: { reason: 'Löses inom ordinarie budget.' }, view: { stage: 'withdrawn', closedAt: this.nextAt } });
  }

  /** Started, screened, applied, recommended, on the council, checked and approved: the steps in order. */
  toExecution(opts: { app?: ApplicationInput; meetingId?: string; grantedAmount?: number } = {}): StepRecord[] {
    return [
      this.started(),
      this.screen('approve'),
      this.submitApplication(opts.app),
      this.recommend(),
      this.scheduleCouncil(opts.meetingId ?? 'ur-2026-03'),
      this.councilOpinion(),
      this.budgetCheck(),
      this.decide('approve', opts.grantedAmount),
    ];
  }
}

/** A sixth-week report, a tertial report and the year-end report from the project start. */
export function reportSchedule(projectStart: string): Report[] {
  const start = Date.parse(`${projectStart}T00:00:00Z`);
  const year = projectStart.slice(0, 4);
  const sixWeek = new Date(start + 42 * DAY).toISOString().slice(0, 10);
  const dueAt = (date: string) => `${date}T21:59:59.999Z`;
  return [
    { id: 'r1', type: 'sixWeek', periodStart: projectStart, periodEnd: sixWeek, dueDate: sixWeek, dueAt: dueAt(sixWeek), status: 'scheduled' },
    { id: 'r2', type: 'tertial2', periodStart: `${year}-05-01`, periodEnd: `${year}-08-31`, dueDate: `${year}-09-15`, dueAt: dueAt(`${year}-09-15`), status: 'scheduled' },
    { id: 'r3', type: 'yearEnd', periodStart: `${year}-01-01`, periodEnd: `${year}-12-31`, dueDate: `${Number(year) + 1}-01-31`, dueAt: dueAt(`${Number(year) + 1}-01-31`), status: 'scheduled' },
  ];
}

/** A stand-in for the real email planner: one draft per notification intent, addressed to the audience. */
export const planOneEmailPerIntent: EmailPlanner = async (_db, step) => step.notifications.map((n) => ({
  template: n.template,
  recipient: `${n.to.replace(':', '-')}@test.example`,
  language: step.view.language,
  subject: `${step.caseId}: ${n.template}`,
  text: `${n.template} ${JSON.stringify(n.data ?? {})}`,
  html: `<p>${n.template}</p>`,
  messageId: `<${step.caseId}.${step.seq}.${n.template}.${n.to}@test.example>`,
}));
