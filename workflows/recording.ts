// One step recorded: the view brought up to date (status, deadlines, sequence), the applicant told of a change
// they can see, and the step written (audit row, read model, outbox) inside the workflow task that takes it.
// Emails then leave through the outbox relay in the worker, woken by the step's commit: one engine round
// trip per step, and the case never waits for them.
import { patched, proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { CaseActivities } from '../activities/contract';
import type { CaseState } from './caseState';
import { editionOf } from './editions';
import { openConditions } from './grantConditions';
import { searchIndex } from './searchAttributes';
import { applicantStatus, deadlines } from './status';
import type { StepActivities } from './steps/step';
import type { Actor, Decision, NotificationIntent, Stage } from './types';
import type { StepName } from './vocabulary';

// A step must land eventually: retry without limit while the database is away.
const STEP_RETRY = { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' } as const;
const persistence = proxyActivities<CaseActivities>({ startToCloseTimeout: '30 seconds', retry: STEP_RETRY });
// The step recorded inside the workflow task that takes it: no activity task and no second workflow task
// through the engine per step. recordStep is idempotent on (case, seq), so a worker lost mid-task only repeats it.
const localPersistence = proxyLocalActivities<Pick<CaseActivities, 'recordStep'>>({ startToCloseTimeout: '30 seconds', retry: STEP_RETRY });
/** Cases started before this patch go on recording steps as scheduled activities until they reach it live. */
const RECORD_STEP_LOCALLY = 'record-step-locally';
const mail = proxyActivities<Pick<CaseActivities, 'deliverEmails'>>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 6 },
});

/**
 * One round trip through the engine per step: the lookups and reservations a step asks for run as local
 * activities in the step's own workflow task (each is one short, idempotent transaction), and emails leave
 * through the outbox relay instead of an activity per step. Cases recorded before this patch go on with
 * scheduled activities until they reach it live.
 */
const ONE_ROUND_TRIP = 'one-round-trip-per-step';
const localLookups = proxyLocalActivities<StepActivities>({ startToCloseTimeout: '30 seconds', retry: STEP_RETRY });
const lookups = () => (patched(ONE_ROUND_TRIP) ? localLookups : persistence);

/**
 * The references a step makes (the meeting, the feasibility study, the council's rank) are looked up by the step,
 * not by the API before it. Cases recorded before this patch were checked by the API and look nothing up.
 */
const REFERENCES_IN_STEPS = 'references-in-steps';

/** A filed report's free texts go to the database with the step, not into the view; earlier reports keep theirs. */
const REPORT_TEXTS_IN_DATABASE = 'report-texts-in-database';

/** What steps ask of the outside world besides recording. */
export const stepActivities: StepActivities = {
  findSavingsConflicts: (caseId, keys) => lookups().findSavingsConflicts(caseId, keys),
  bookSavingsClaims: (caseId, claims) => lookups().bookSavingsClaims(caseId, claims),
  reserveFrame: (args) => lookups().reserveFrame(args),
  councilMeetingExists: (meetingId) => localLookups.councilMeetingExists(meetingId),
  caseKindOf: (caseId) => localLookups.caseKindOf(caseId),
  claimPriority: (args) => localLookups.claimPriority(args),
  checksReferences: () => patched(REFERENCES_IN_STEPS),
  reportTextsOutside: () => patched(REPORT_TEXTS_IN_DATABASE),
};

export interface StepToRecord {
  action: StepName;
  actor: Actor;
  stageBefore: Stage | null;
  input?: unknown;
  outcome?: unknown;
  motivation?: string;
  decision?: Decision;
  notify?: NotificationIntent[];
}

export interface Recorder {
  record(step: StepToRecord): Promise<void>;
  /** Email deliveries still running (cases before the relay), awaited before the case closes or continues as new. */
  deliveries(): Promise<unknown>[];
}

export function recorder(state: CaseState, now: () => number): Recorder {
  const running = new Set<Promise<unknown>>();
  const index = searchIndex();
  return {
    async record(step) {
      const { view } = state;
      const before = view.applicantStatus;
      view.seq += 1;
      view.updatedAt = new Date(now()).toISOString();
      view.deadlines = deadlines(view, state.waiting, editionOf(state));
      view.openConditions = openConditions(view);
      view.applicantStatus = applicantStatus(view, editionOf(state));
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
        motivation: step.motivation, decision: step.decision, view, notifications,
      });
      index(view);
      if (notifications.length > 0 && !patched(ONE_ROUND_TRIP)) {
        const delivery = mail.deliverEmails(view.id, view.seq).catch(() => undefined).finally(() => running.delete(delivery));
        running.add(delivery);
      }
    },
    deliveries: () => [...running],
  };
}
