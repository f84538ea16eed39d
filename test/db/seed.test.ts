// Reference data for the embedded default: loaded once, and a second load changes nothing, not even
// what an admin has changed in between.
import { asc, eq } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { frameUse } from '../../db/readModel';
import { organisations, portfolioFrames, portfolios, ruleSets } from '../../db/schema';
import { SEED_ORGANISATIONS, SEED_PORTFOLIOS, seedReferenceData } from '../../db/seed';
import { DEFAULT_RULES } from '../../workflows/defaults';
import { freshDatabase, type TestDatabase } from '../support/db';

let database: TestDatabase;
let db: Db;
// Late on New Year's Eve in UTC is already the next year in Stockholm.
const now = new Date('2026-12-31T23:30:00Z');

beforeAll(async () => {
  database = await freshDatabase();
  db = database.db;
});

afterAll(() => database.close());

async function everything() {
  return {
    organisations: await db.select().from(organisations).orderBy(asc(organisations.id)),
    portfolios: await db.select().from(portfolios).orderBy(asc(portfolios.id)),
    frames: await db.select().from(portfolioFrames).orderBy(asc(portfolioFrames.portfolioId), asc(portfolioFrames.year)),
    ruleSets: await db.select().from(ruleSets),
  };
}

test('the first load gives the five portfolios of 2013, the organisations, three years of frames and rule set 1', async () => {
  expect(await seedReferenceData(db, { now })).toEqual({ organisations: SEED_ORGANISATIONS.length, portfolios: 5, frames: 15, ruleSets: 1 });
  const all = await everything();
  expect(all.portfolios.map((p) => [p.id, p.number, p.experimental])).toEqual([
    ['p1', 1, false], ['p2', 2, false], ['p3', 3, false], ['p4', 4, false], ['p5', 5, true],
  ]);
  expect(all.portfolios[4]).toMatchObject({ nameSv: 'Innovativ verksamhetsutveckling med hjälp av it', nameEn: 'Innovative business development with IT' });
  expect(all.organisations.find((o) => o.id === 'utbildning')).toEqual({ id: 'utbildning', name: 'Utbildningsförvaltningen', type: 'forvaltning', email: 'utbildning@stockholm.example' });
  expect(all.organisations.filter((o) => o.type === 'bolag').map((o) => o.id)).toEqual(['stockholm-vatten', 'stokab']);
  expect([...new Set(all.frames.map((f) => f.year))]).toEqual([2027, 2028, 2029]);
  expect(await frameUse(db, { portfolioId: 'p5', year: 2027 })).toEqual([{ portfolioId: 'p5', year: 2027, frame: 10_000_000, reserved: 0, remaining: 10_000_000 }]);
  expect(all.ruleSets).toMatchObject([{ version: 1, rules: DEFAULT_RULES, createdBy: 'system' }]);
});

test('loading again changes nothing, and keeps what an admin changed', async () => {
  await db.update(portfolioFrames).set({ amount: 55_000_000 }).where(eq(portfolioFrames.portfolioId, 'p1'));
  await db.update(organisations).set({ email: 'it-stod@utbildning.example' }).where(eq(organisations.id, 'utbildning'));
  const before = await everything();
  expect(await seedReferenceData(db, { now })).toEqual({ organisations: 0, portfolios: 0, frames: 0, ruleSets: 0 });
  expect(await everything()).toEqual(before);
  expect(SEED_PORTFOLIOS).toHaveLength(5);
});

test('the next rule set an admin posts becomes version 2', async () => {
  const [next] = await db.insert(ruleSets).values({ rules: { ...DEFAULT_RULES, completionDeadline: 'P30D' }, createdBy: 'admin' }).returning({ version: ruleSets.version });
  expect(next.version).toBe(2);
});

test('a load in a later year adds that year\'s frames and nothing else', async () => {
  expect(await seedReferenceData(db, { now: new Date('2028-06-01T00:00:00Z') })).toEqual({ organisations: 0, portfolios: 0, frames: 5, ruleSets: 0 });
});
