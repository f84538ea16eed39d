// Portfolio frames: a grant reserves money against its portfolio's yearly frame, a grant that does not
// fit is refused, and approvals running at the same moment cannot together overspend a frame.
import { ApplicationFailure } from '@temporalio/common';
import { eq } from 'drizzle-orm';
import { createPersistenceActivities } from '../../activities/persistence';
import type { Db } from '../../db/client';
import { frameUse } from '../../db/readModel';
import { frameReservations, portfolioFrames, portfolios } from '../../db/schema';
import { seedReferenceData } from '../../db/seed';
import { freshDatabase, type TestDatabase } from '../support/db';
import { planOneEmailPerIntent } from '../support/steps';

let database: TestDatabase;
let db: Db;
let reserveFrame: ReturnType<typeof createPersistenceActivities>['reserveFrame'];

beforeAll(async () => {
  database = await freshDatabase();
  db = database.db;
  ({ reserveFrame } = createPersistenceActivities({ db, planEmails: planOneEmailPerIntent }));
  await seedReferenceData(db, { now: new Date('2026-03-01T12:00:00Z') });
  // Small frames so the numbers read easily.
  await db.update(portfolioFrames).set({ amount: 5_000_000 }).where(eq(portfolioFrames.portfolioId, 'p3'));
  await db.insert(portfolios).values({ id: 'p9', number: 9, nameSv: 'Testportfölj', nameEn: 'Test portfolio' });
  await db.insert(portfolioFrames).values({ portfolioId: 'p9', year: 2026, amount: 1_000_000 });
});

afterAll(() => database.close());

const use = async (portfolioId: string, year: number) => (await frameUse(db, { portfolioId, year }))[0];

test('a grant that fits is reserved for each year it spans', async () => {
  expect(await reserveFrame({ caseId: 'PK-2026-0001', portfolio: 'p3', amountsByYear: { 2026: 2_000_000, 2027: 1_000_000 }, enforce: true })).toEqual({ ok: true });
  expect(await use('p3', 2026)).toEqual({ portfolioId: 'p3', year: 2026, frame: 5_000_000, reserved: 2_000_000, remaining: 3_000_000 });
  expect(await use('p3', 2027)).toMatchObject({ reserved: 1_000_000, remaining: 4_000_000 });
});

test('a grant that does not fit is refused, naming the year, and nothing changes', async () => {
  await reserveFrame({ caseId: 'PK-2026-0002', portfolio: 'p3', amountsByYear: { 2026: 2_500_000 }, enforce: true });
  const before = await db.select().from(frameReservations);
  expect(await reserveFrame({ caseId: 'PK-2026-0003', portfolio: 'p3', amountsByYear: { 2026: 400_000, 2027: 4_100_000 }, enforce: true }))
    .toEqual({ ok: false, year: 2027, frame: 5_000_000, reserved: 1_000_000, requested: 4_100_000 });
  expect(await reserveFrame({ caseId: 'PK-2026-0003', portfolio: 'p3', amountsByYear: { 2026: 500_001 }, enforce: true }))
    .toEqual({ ok: false, year: 2026, frame: 5_000_000, reserved: 4_500_000, requested: 500_001 });
  expect(await db.select().from(frameReservations)).toEqual(before);
  // Exactly the remaining amount fits.
  expect(await reserveFrame({ caseId: 'PK-2026-0003', portfolio: 'p3', amountsByYear: { 2026: 500_000 }, enforce: true })).toEqual({ ok: true });
  expect(await use('p3', 2026)).toMatchObject({ reserved: 5_000_000, remaining: 0 });
});

test('a year without a frame has nothing to reserve from', async () => {
  expect(await reserveFrame({ caseId: 'PK-2026-0010', portfolio: 'p1', amountsByYear: { 2031: 1 }, enforce: true }))
    .toEqual({ ok: false, year: 2031, frame: 0, reserved: 0, requested: 1 });
});

test('a change request replaces the reservation; lowering it needs no room even when the frame was cut', async () => {
  const caseId = 'PK-2026-0020';
  await reserveFrame({ caseId, portfolio: 'p2', amountsByYear: { 2026: 10_000_000, 2027: 5_000_000 }, enforce: true });
  await db.update(portfolioFrames).set({ amount: 8_000_000 }).where(eq(portfolioFrames.portfolioId, 'p2'));
  // An increase must still fit what is left...
  expect(await reserveFrame({ caseId, portfolio: 'p2', amountsByYear: { 2026: 10_000_001, 2027: 5_000_000 }, enforce: true }))
    .toEqual({ ok: false, year: 2026, frame: 8_000_000, reserved: 0, requested: 10_000_001 });
  // ...but keeping or lowering what the case holds is accepted.
  expect(await reserveFrame({ caseId, portfolio: 'p2', amountsByYear: { 2026: 9_000_000, 2027: 5_000_000 }, enforce: true })).toEqual({ ok: true });
  expect(await db.select({ year: frameReservations.year, amount: frameReservations.amount }).from(frameReservations).where(eq(frameReservations.caseId, caseId)))
    .toEqual(expect.arrayContaining([{ year: 2026, amount: 9_000_000 }, { year: 2027, amount: 5_000_000 }]));
});

test('a termination releases the unspent years, and without enforce nothing is refused', async () => {
  const caseId = 'PK-2026-0030';
  await reserveFrame({ caseId, portfolio: 'p4', amountsByYear: { 2026: 3_000_000, 2027: 3_000_000 }, enforce: true });
  expect(await reserveFrame({ caseId, portfolio: 'p4', amountsByYear: { 2026: 1_200_000 }, enforce: false })).toEqual({ ok: true });
  expect(await db.select({ year: frameReservations.year, amount: frameReservations.amount }).from(frameReservations).where(eq(frameReservations.caseId, caseId)))
    .toEqual([{ year: 2026, amount: 1_200_000 }]);
  expect(await reserveFrame({ caseId, portfolio: 'p4', amountsByYear: {}, enforce: false })).toEqual({ ok: true });
  expect(await db.select().from(frameReservations).where(eq(frameReservations.caseId, caseId))).toEqual([]);
});

test('an amount that is not whole SEK for a year, or an unknown portfolio, is refused for good and changes nothing', async () => {
  const before = await db.select().from(frameReservations);
  for (const amountsByYear of [{ 2026: -1 }, { 2026: 1.5 }, { '26': 100 }] as Record<string, number>[]) {
    const refused = reserveFrame({ caseId: 'PK-2026-0001', portfolio: 'p3', amountsByYear, enforce: true });
    await expect(refused).rejects.toBeInstanceOf(ApplicationFailure);
    await expect(refused).rejects.toMatchObject({ type: 'InvalidInput', nonRetryable: true });
  }
  await expect(reserveFrame({ caseId: 'PK-2026-0001', portfolio: 'p42', amountsByYear: { 2026: 1 }, enforce: false }))
    .rejects.toMatchObject({ type: 'InvalidInput', nonRetryable: true, message: expect.stringContaining('there is no portfolio p42') });
  expect(await db.select().from(frameReservations)).toEqual(before);
});

test('ten approvals at once against a frame that fits three: exactly three win', async () => {
  const attempts = Array.from({ length: 10 }, (_, i) => reserveFrame({
    caseId: `PK-2026-09${String(i).padStart(2, '0')}`, portfolio: 'p9', amountsByYear: { 2026: 300_000 }, enforce: true,
  }));
  const results = await Promise.all(attempts);
  expect(results.filter((r) => r.ok)).toHaveLength(3);
  for (const refused of results.filter((r) => !r.ok)) expect(refused).toEqual({ ok: false, year: 2026, frame: 1_000_000, reserved: 900_000, requested: 300_000 });
  expect(await use('p9', 2026)).toEqual({ portfolioId: 'p9', year: 2026, frame: 1_000_000, reserved: 900_000, remaining: 100_000 });
});
