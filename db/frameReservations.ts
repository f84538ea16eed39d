// Frame reservations: the grant held against its portfolio's yearly frames, checked and written under the
// portfolio's lock so that two grants at the same moment cannot together overspend a frame.
import { ApplicationFailure } from '@temporalio/common';
import { and, eq, inArray, notInArray, sql } from 'drizzle-orm';
import type { Db } from './client';
import { lockPortfolioFrames } from './locks';
import { frameReservations, portfolioFrames, portfolios } from './schema';
import type { FrameReservation } from '../workflows/types';

const YEAR = /^\d{4}$/;

/**
 * Reserved per portfolio and year, the one place reservations are summed: awaited, the rows; `.as(name)`, a
 * subquery to join (frame use). exceptCases: what the others hold (the meeting pack, a reservation's check).
 */
export function reservedByYear(db: Db, scope: { portfolioIds?: string[]; years?: number[]; exceptCases?: string[] } = {}) {
  return db.select({
    portfolioId: frameReservations.portfolioId,
    year: frameReservations.year,
    reserved: sql<number>`sum(${frameReservations.amount})`.mapWith(Number).as('reserved'),
  }).from(frameReservations).where(and(
    scope.portfolioIds !== undefined ? inArray(frameReservations.portfolioId, scope.portfolioIds) : undefined,
    scope.years !== undefined ? inArray(frameReservations.year, scope.years) : undefined,
    scope.exceptCases !== undefined && scope.exceptCases.length > 0 ? notInArray(frameReservations.caseId, scope.exceptCases) : undefined,
  )).groupBy(frameReservations.portfolioId, frameReservations.year);
}

/** A case's reservation as asked: amounts by year (replacing any earlier one); enforce refuses what does not fit. */
export interface FrameRequest { caseId: string; portfolio: string; amountsByYear: Record<string, number>; enforce: boolean }

export async function reserveFrame(db: Db, { caseId, portfolio, amountsByYear, enforce }: FrameRequest): Promise<FrameReservation> {
  const wanted = Object.entries(amountsByYear).map(([year, amount]) => {
    if (!YEAR.test(year) || !Number.isSafeInteger(amount) || amount < 0) {
      throw ApplicationFailure.nonRetryable(`frame reservation for ${caseId}: ${year}: ${amount} is not a year and a whole SEK amount`, 'InvalidInput');
    }
    return { year: Number(year), amount };
  }).filter((w) => w.amount > 0).sort((a, b) => a.year - b.year);

  return db.transaction(async (tx) => {
    // One reserver per portfolio at a time: the check below then sees every committed reservation.
    await lockPortfolioFrames(tx, portfolio);
    const [known] = await tx.select({ id: portfolios.id }).from(portfolios).where(eq(portfolios.id, portfolio));
    if (!known) throw ApplicationFailure.nonRetryable(`frame reservation for ${caseId}: there is no portfolio ${portfolio}`, 'InvalidInput');
    if (enforce && wanted.length > 0) {
      const years = wanted.map((w) => w.year);
      const frames = await tx.select({ year: portfolioFrames.year, amount: portfolioFrames.amount }).from(portfolioFrames)
        .where(and(eq(portfolioFrames.portfolioId, portfolio), inArray(portfolioFrames.year, years)));
      const [others, own] = await Promise.all([
        reservedByYear(tx, { portfolioIds: [portfolio], years, exceptCases: [caseId] }),
        tx.select({ year: frameReservations.year, amount: frameReservations.amount }).from(frameReservations)
          .where(and(eq(frameReservations.caseId, caseId), eq(frameReservations.portfolioId, portfolio))),
      ]);
      for (const { year, amount: requested } of wanted) {
        // Keeping or lowering what the case already holds never needs room, even where a frame was cut since.
        if (requested <= (own.find((r) => r.year === year)?.amount ?? 0)) continue;
        const frame = frames.find((f) => f.year === year)?.amount ?? 0;
        const reserved = others.find((r) => r.year === year)?.reserved ?? 0;
        if (frame - reserved < requested) return { ok: false, year, frame, reserved, requested };
      }
    }
    await tx.delete(frameReservations).where(eq(frameReservations.caseId, caseId));
    if (wanted.length > 0) {
      await tx.insert(frameReservations).values(wanted.map((w) => ({ caseId, portfolioId: portfolio, year: w.year, amount: w.amount })));
    }
    return { ok: true };
  });
}
