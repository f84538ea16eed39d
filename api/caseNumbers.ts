// Case numbers PK-<year>-<nnnn>: one counter row per year, bumped atomically so concurrent submissions
// never share a number.
import { sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { caseNumbers } from '../db/schema';

const stockholmYear = (at: Date): number =>
  Number(new Intl.DateTimeFormat('sv-SE', { timeZone: 'Europe/Stockholm', year: 'numeric' }).format(at));

export async function allocateCaseNumber(db: Db, at = new Date()): Promise<string> {
  const year = stockholmYear(at);
  const [{ last }] = await db.insert(caseNumbers).values({ year, last: 1 })
    .onConflictDoUpdate({ target: caseNumbers.year, set: { last: sql`${caseNumbers.last} + 1` } })
    .returning({ last: caseNumbers.last });
  return `PK-${year}-${String(last).padStart(4, '0')}`;
}
