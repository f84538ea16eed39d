// Savings claims as bookings: the double-count check's lookup (a key another live or granted case booked) and
// the booking itself, one booker per key at a time.
import { and, eq, inArray, ne, notInArray, sql } from 'drizzle-orm';
import type { Db } from './client';
import { lockSavingsClaims } from './locks';
import { savingsClaims } from './schema';
import type { SavingsClaim, SavingsConflict } from '../workflows/types';

/** Savings-claim keys of this case already booked by another live or approved case. */
export async function savingsConflicts(db: Db, caseId: string, keys: string[]): Promise<SavingsConflict[]> {
  if (keys.length === 0) return [];
  const rows = await db.select({
    key: savingsClaims.key,
    caseIds: sql<string[]>`array_agg(${savingsClaims.caseId} ORDER BY ${savingsClaims.caseId})`,
  }).from(savingsClaims)
    .where(and(inArray(savingsClaims.key, keys), eq(savingsClaims.status, 'live'), ne(savingsClaims.caseId, caseId)))
    .groupBy(savingsClaims.key)
    .orderBy(savingsClaims.key);
  return rows satisfies SavingsConflict[];
}

/** Books the case's claims (keys it no longer claims are freed) and answers the conflicts found before it. */
export async function bookSavingsClaims(db: Db, caseId: string, claims: SavingsClaim[]): Promise<SavingsConflict[]> {
  const keys = [...new Set(claims.map((c) => c.key))].sort();
  return db.transaction(async (tx) => {
    // One booker per key at a time: the check below sees every claim committed before, and a booking
    // committed after sees this one.
    await lockSavingsClaims(tx, keys);
    const conflicts = await savingsConflicts(tx, caseId, keys);
    await tx.delete(savingsClaims).where(and(eq(savingsClaims.caseId, caseId), keys.length > 0 ? notInArray(savingsClaims.key, keys) : undefined));
    for (const c of claims) {
      const row = { description: c.description ?? null, amountPerYear: c.amountPerYear ?? null };
      // A claim resolved away in an earlier round keeps that status; the step's projection settles it.
      await tx.insert(savingsClaims).values({ caseId, key: c.key, ...row, status: 'live' })
        .onConflictDoUpdate({ target: [savingsClaims.caseId, savingsClaims.key], set: row });
    }
    return conflicts;
  });
}
