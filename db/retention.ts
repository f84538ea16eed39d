// Personal data kept no longer than needed: Idempotency-Key answers, the case numbers of keyed case requests,
// and the bodies of sent emails are removed once older than the retention; each purge that removes anything
// is recorded in the audit chain. Audit rows themselves are kept for good.
import { and, lt, ne, or, sql } from 'drizzle-orm';
import { SYSTEM_ACTOR } from '../workflows/types';
import { recordSubjectChange } from './audit';
import type { Db } from './client';
import { caseRequests, idempotencyKeys, outbox } from './schema';

export interface Purged { idempotencyKeys: number; caseRequests: number; emailBodies: number }

export async function purgeExpired(db: Db, retentionDays: number, now: Date = new Date()): Promise<Purged> {
  const before = new Date(now.getTime() - retentionDays * 86_400_000).toISOString();
  return db.transaction(async (tx) => {
    const keys = await tx.delete(idempotencyKeys).where(lt(idempotencyKeys.createdAt, before)).returning({ key: idempotencyKeys.key });
    const requests = await tx.delete(caseRequests).where(lt(caseRequests.createdAt, before)).returning({ id: caseRequests.requestId });
    // The row stays (delivery status, counts, the Message-ID that keeps a resend recognisable); its text goes.
    const bodies = await tx.update(outbox).set({ text: '', html: '' })
      .where(and(sql`${outbox.status} = 'sent'`, lt(outbox.sentAt, before), or(ne(outbox.text, ''), ne(outbox.html, ''))))
      .returning({ id: outbox.id });
    const purged = { idempotencyKeys: keys.length, caseRequests: requests.length, emailBodies: bodies.length };
    if (keys.length + requests.length + bodies.length > 0) {
      await recordSubjectChange(tx, { subject: 'retention', action: 'retention-purge', actor: SYSTEM_ACTOR, input: { retentionDays, olderThan: before }, before: null, after: purged });
    }
    return purged;
  });
}
