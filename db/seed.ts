// Reference data for the embedded default: organisations, the five portfolios of 2013, a frame per
// portfolio for this year and the next two, and the default rule set as version 1. Loading is
// idempotent and never overwrites: what an admin has changed since stays as it is.
import { sql } from 'drizzle-orm';
import { DEFAULT_RULES } from '../workflows/defaults';
import { stockholmYear } from '../workflows/calendar';
import { SYSTEM_ACTOR } from '../workflows/types';
import { recordSubjectChange } from './audit';
import type { Db } from './client';
import { organisations, portfolioFrames, portfolios, ruleSets } from './schema';

/**
 * A handful of förvaltningar (administrations) and bolag (companies). Notice addresses are
 * placeholders on the reserved .example domain, so a demo never mails a real office.
 */
export const SEED_ORGANISATIONS: (typeof organisations.$inferInsert)[] = [
  { id: 'stadsledningskontoret', name: 'Stadsledningskontoret', type: 'forvaltning', email: 'stadsledningskontoret@stockholm.example' },
  { id: 'utbildning', name: 'Utbildningsförvaltningen', type: 'forvaltning', email: 'utbildning@stockholm.example' },
  { id: 'stadsbyggnad', name: 'Stadsbyggnadskontoret', type: 'forvaltning', email: 'stadsbyggnad@stockholm.example' },
  { id: 'socialforvaltningen', name: 'Socialförvaltningen', type: 'forvaltning', email: 'socialforvaltningen@stockholm.example' },
  { id: 'serviceforvaltningen', name: 'Serviceförvaltningen', type: 'forvaltning', email: 'serviceforvaltningen@stockholm.example' },
  { id: 'stockholm-vatten', name: 'Stockholm Vatten AB', type: 'bolag', email: 'it@stockholmvatten.example' },
  { id: 'stokab', name: 'Stokab AB', type: 'bolag', email: 'it@stokab.example' },
];

/**
 * The five portfolios (fokusområden) of the IT programme of 2013. Ids do not carry the name,
 * which may change over time.
 */
export const SEED_PORTFOLIOS: (typeof portfolios.$inferInsert)[] = [
  {
    id: 'p1', number: 1, experimental: false,
    nameSv: 'Tillgänglighet och service för medborgare, företagande och besök',
    nameEn: 'Accessibility and service for residents, businesses and visitors',
  },
  {
    id: 'p2', number: 2, experimental: false,
    nameSv: 'Förbättrad förmåga att sammanställa, analysera och återanvända information',
    nameEn: 'Better ability to compile, analyse and reuse information',
  },
  {
    id: 'p3', number: 3, experimental: false,
    nameSv: 'Utbildning och systemutveckling för ökad och förenklad användning av befintligt it-stöd',
    nameEn: 'Training and system development for wider and simpler use of existing IT support',
  },
  {
    id: 'p4', number: 4, experimental: false,
    nameSv: 'Samverkan och informationsutbyte med andra myndigheter och organisationer',
    nameEn: 'Collaboration and information exchange with other authorities and organisations',
  },
  {
    // Experimental: lighter requirements, no exact benefit figures.
    id: 'p5', number: 5, experimental: true,
    nameSv: 'Innovativ verksamhetsutveckling med hjälp av it',
    nameEn: 'Innovative business development with IT',
  },
];

/**
 * Yearly frame per portfolio in SEK (*design*): about 170 mnkr a year in all, the pace of the
 * 650 mnkr the city set aside for 2007-2010; the experimental portfolio gets a small one.
 */
export const SEED_FRAME_PER_YEAR: Record<string, number> = {
  p1: 40_000_000, p2: 40_000_000, p3: 40_000_000, p4: 40_000_000, p5: 10_000_000,
};

/** Frames are seeded for this many years from the current one. */
export const SEED_FRAME_YEARS = 3;

export function seedFrames(now: Date): (typeof portfolioFrames.$inferInsert)[] {
  const first = stockholmYear(now.getTime());
  return SEED_PORTFOLIOS.flatMap((p) => Array.from({ length: SEED_FRAME_YEARS }, (_, i) => ({
    portfolioId: p.id, year: first + i, amount: SEED_FRAME_PER_YEAR[p.id],
  })));
}

/** Rows inserted per table by this run: all zero when everything was already there. */
export interface SeedResult { organisations: number; portfolios: number; frames: number; ruleSets: number }

export async function seedReferenceData(db: Db, { now = new Date() }: { now?: Date } = {}): Promise<SeedResult> {
  return db.transaction(async (tx) => {
    const orgs = await tx.insert(organisations).values(SEED_ORGANISATIONS).onConflictDoNothing().returning({ id: organisations.id });
    const ports = await tx.insert(portfolios).values(SEED_PORTFOLIOS).onConflictDoNothing().returning({ id: portfolios.id });
    const frames = await tx.insert(portfolioFrames).values(seedFrames(now)).onConflictDoNothing()
      .returning({ portfolioId: portfolioFrames.portfolioId, year: portfolioFrames.year, amount: portfolioFrames.amount });
    const rules = await tx.insert(ruleSets).values({ version: 1, rules: DEFAULT_RULES, createdBy: 'system' })
      .onConflictDoNothing().returning({ version: ruleSets.version });
    if (rules.length > 0) {
      // Version 1 was given explicitly; move the serial past it so the next rule set becomes 2.
      await tx.execute(sql`SELECT setval(pg_get_serial_sequence('rule_sets', 'version'), (SELECT max(version) FROM rule_sets))`);
    }
    if (orgs.length + ports.length + frames.length + rules.length > 0) {
      await recordSubjectChange(tx, {
        subject: 'reference-data', action: 'seed-reference-data', actor: SYSTEM_ACTOR, before: null,
        after: { organisations: orgs.map((o) => o.id), portfolios: ports.map((p) => p.id), frames, ruleSets: rules.map((r) => r.version) },
      });
    }
    return { organisations: orgs.length, portfolios: ports.length, frames: frames.length, ruleSets: rules.length };
  });
}
