// Frame reservations: the grant held against its portfolio's yearly frames, checked and written under the
// portfolio's lock so that two grants at the same moment cannot together overspend a frame.
import { ApplicationFailure } from '@temporalio/common';
import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Db } from './client';
import { lockPortfolioFrames } from './locks';
import { frameReservations, portfolioFrames, portfolios } from './schema';
import type { FrameReservation } from '../workflows/types';

const YEAR = /^\d{4}$/;

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
      const held = await tx.select({
        year: frameReservations.year,
        others: sql<number>`coalesce(sum(${frameReservations.amount}) FILTER (WHERE ${frameReservations.caseId} <> ${caseId}), 0)`.mapWith(Number),
        own: sql<number>`coalesce(sum(${frameReservations.amount}) FILTER (WHERE ${frameReservations.caseId} = ${caseId}), 0)`.mapWith(Number),
      }).from(frameReservations)
        .where(and(eq(frameReservations.portfolioId, portfolio), inArray(frameReservations.year, years)))
        .groupBy(frameReservations.year);
      for (const { year, amount: requested } of wanted) {
        const h = held.find((r) => r.year === year);
        // Keeping or lowering what the case already holds never needs room, even where a frame was cut since.
        if (requested <= (h?.own ?? 0)) continue;
        const frame = frames.find((f) => f.year === year)?.amount ?? 0;
        const reserved = h?.others ?? 0;
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
