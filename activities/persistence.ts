// The case workflow's writes to PostgreSQL, as activities: a step recorded in one transaction (the read model,
// the outbox, the audit row), savings claims booked, frame reservations. The SQL lives in db/; every write is
// idempotent on (case, step sequence), so a retried activity changes nothing the second time.
import { appendAuditEvent, auditContent } from '../db/audit';
import type { Db } from '../db/client';
import { claimPriority } from '../db/councilPack';
import { reserveFrame } from '../db/frameReservations';
import { queueEmails } from '../db/outbox';
import { projectStep } from '../db/projection';
import { caseKindOf } from '../db/readModel';
import { councilMeetingExists } from '../db/referenceData';
import { bookSavingsClaims, savingsConflicts } from '../db/savingsBookings';
import type { CaseActivities, EmailPlanner } from './contract';

export type PersistenceActivities = Pick<CaseActivities,
  'recordStep' | 'findSavingsConflicts' | 'bookSavingsClaims' | 'reserveFrame' | 'councilMeetingExists' | 'caseKindOf' | 'claimPriority'>;

export function createPersistenceActivities({ db, planEmails }: { db: Db; planEmails: EmailPlanner }): PersistenceActivities {
  return {
    async recordStep(step) {
      // A retry of a step already recorded writes nothing again: every write below is keyed by the step (case
      // and seq) and skips what is there, and the projection moves only forward. No lookup first: it would cost
      // every step a round trip to spare the rare retry one.
      await db.transaction(async (tx) => {
        await projectStep(tx, step);
        await queueEmails(tx, step, await planEmails(tx, step));
        // Last, so the chain's lock is held only for the append and the commit.
        await appendAuditEvent(tx, auditContent(step));
      });
    },
    findSavingsConflicts: (caseId, keys) => savingsConflicts(db, caseId, keys),
    bookSavingsClaims: (caseId, claims) => bookSavingsClaims(db, caseId, claims),
    reserveFrame: (args) => reserveFrame(db, args),
    councilMeetingExists: (meetingId) => councilMeetingExists(db, meetingId),
    caseKindOf: (caseId) => caseKindOf(db, caseId),
    claimPriority: (args) => claimPriority(db, args),
  };
}
