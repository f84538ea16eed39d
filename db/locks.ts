// Advisory locks, held until the transaction ends. The first key is the lock's class, one per kind of
// lock, so that locks of different kinds never wait on each other.
import { sql } from 'drizzle-orm';
import type { Db } from './client';

/** Appenders to the audit trail: one at a time, so concurrent cases cannot fork the hash chain. */
const AUDIT_CHAIN = 7301;
/** Writers of one portfolio's frames and reservations: a check of the room left then sees every committed reservation. */
const PORTFOLIO_FRAMES = 7302;
/** Bookers of one savings-claim key: the double-count check then sees every claim committed before it. */
const SAVINGS_CLAIM = 7303;

export async function lockAuditChain(tx: Db): Promise<void> {
  await tx.execute(sql`SELECT pg_advisory_xact_lock(${sql.raw(String(AUDIT_CHAIN))}, 0)`);
}

export async function lockPortfolioFrames(tx: Db, portfolioId: string): Promise<void> {
  await tx.execute(sql`SELECT pg_advisory_xact_lock(${sql.raw(String(PORTFOLIO_FRAMES))}, hashtext(${portfolioId}))`);
}

/** Locks savings-claim keys in one order, so two bookers of overlapping keys never wait on each other. */
export async function lockSavingsClaims(tx: Db, keys: string[]): Promise<void> {
  for (const key of [...keys].sort()) await tx.execute(sql`SELECT pg_advisory_xact_lock(${sql.raw(String(SAVINGS_CLAIM))}, hashtext(${key}))`);
}
