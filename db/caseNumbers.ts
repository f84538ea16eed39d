// Case numbers PK-<year>-<nnnn>: one counter row per year, bumped atomically so concurrent submissions
// never share a number.
import { eq, sql } from 'drizzle-orm';
import { stockholmYear } from '../workflows/calendar';
import type { Db } from './client';
import { caseNumbers, caseRequests } from './schema';

async function allocateCaseNumber(db: Db, at: Date): Promise<string> {
  const year = stockholmYear(at.getTime());
  const [{ last }] = await db.insert(caseNumbers).values({ year, last: 1 })
    .onConflictDoUpdate({ target: caseNumbers.year, set: { last: sql`${caseNumbers.last} + 1` } })
    .returning({ last: caseNumbers.last });
  return `PK-${year}-${String(last).padStart(4, '0')}`;
}

/**
 * The case number for a submission: a new one, or, for a retry of a keyed submission (requestId: the API's
 * retryId), the one its first attempt was given, so a lost answer never makes a second case.
 */
export async function caseNumberFor(db: Db, requestId: string | undefined, at = new Date()): Promise<string> {
  if (requestId === undefined) return allocateCaseNumber(db, at);
  return db.transaction(async (tx) => {
    const [earlier] = await tx.select({ caseId: caseRequests.caseId }).from(caseRequests).where(eq(caseRequests.requestId, requestId));
    if (earlier) return earlier.caseId;
    const caseId = await allocateCaseNumber(tx, at);
    await tx.insert(caseRequests).values({ requestId, caseId });
    return caseId;
  });
}
