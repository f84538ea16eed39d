// What the case workflow may ask of the outside world. Implemented by createActivities (activities/index.ts);
// the workflow proxies are typed from this interface.
import type { Db } from '../db/client';
import type { FrameRequest } from '../db/frameReservations';
import type { OutboxDraft } from '../db/outbox';
import type { FrameReservation, SavingsClaim, SavingsConflict, StepRecord } from '../workflows/types';

/** Turns a step's notification intents into outbox drafts (resolving addresses); no side effects. */
export type EmailPlanner = (db: Db, step: StepRecord) => Promise<OutboxDraft[]>;

export interface CaseActivities {
  /**
   * Records one step in one transaction: the audit row (hash-chained), the read-model projection of
   * step.view, and an outbox row per recipient of step.notifications. Idempotent on (caseId, seq).
   */
  recordStep(step: StepRecord): Promise<void>;

  /** Sends the step's pending outbox rows. Never delivers a row twice; a refused address is marked failed. */
  deliverEmails(caseId: string, seq: number): Promise<{ sent: number; failed: number; pending: number }>;

  /** Savings-claim keys of this case already booked by another live or approved case (cases of edition 1). */
  findSavingsConflicts(caseId: string, keys: string[]): Promise<SavingsConflict[]>;

  /**
   * Books this case's savings claims and returns those another live or approved case had already booked, as
   * one atomic step: of two applications naming the same key at the same moment, the second sees the first.
   * Replaces the case's earlier claims; idempotent.
   */
  bookSavingsClaims(caseId: string, claims: SavingsClaim[]): Promise<SavingsConflict[]>;

  /**
   * Sets this case's reservation against its portfolio's yearly frames to amountsByYear (replacing any
   * earlier one). With enforce, refuses (and changes nothing) when a year would exceed its frame;
   * concurrent calls are serialised so two cases cannot together overspend.
   */
  reserveFrame(args: FrameRequest): Promise<FrameReservation>;

  /** Whether a council meeting exists: the reference schedule-council makes. */
  councilMeetingExists(meetingId: string): Promise<boolean>;

  /** The kind and organisation of a case an application names as its feasibility study; null when unknown. */
  caseKindOf(caseId: string): Promise<{ kind: 'feasibility' | 'implementation' | null; organisation: string } | null>;

  /** Claims the council's rank within a portfolio on a meeting for the case; the other case holding it, or null. */
  claimPriority(args: { meetingId: string; portfolio: string; priority: number; caseId: string }): Promise<string | null>;
}
