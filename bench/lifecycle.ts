// One case's whole three-year lifecycle on the time-skipping server, driven as
// test/workflows/project.test.ts drives it: real activities on a fresh database, emails to an SMTP
// server in-process. The wall time runs from the idea sketch to the completed case.
import type { CaseView } from '../workflows/types';
import { application, createHarness, people, report, type CaseDriver, type Harness } from '../test/workflows/harness';

export interface LifecycleFigures {
  seconds: number;
  /** Recorded steps, reports filed and emails delivered along the way. */
  steps: number;
  reports: number;
  emails: number;
  /** Time-skipping server, workflow bundle, database and SMTP server, before the case starts. */
  setupSeconds: number;
}

const DAY = 86_400_000;
/** More than the ~80 steps of a three-year project; a loop that never ends is a failure, not a hang. */
const MAX_ROUNDS = 500;

async function fileReportsWhile(h: Harness, c: CaseDriver, stages: CaseView['stage'][]): Promise<CaseView> {
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const v = await c.view();
    if (!stages.includes(v.stage)) return v;
    const open = v.reports.find((r) => ['due', 'overdue', 'escalated'].includes(r.status));
    if (open?.type === 'effect') {
      await c.act('submit-effect-report', people.applicant, {
        reportId: open.id, realised: { citizenBenefit: 2_800_000, businessBenefit: 1_400_000, operationCost: 320_000 },
        savings: [{ key: 'utbildning:skolval-papper', realisedAmountPerYear: 380_000 }],
      });
    } else if (open?.type === 'final') {
      await c.act('submit-final-report', people.applicant, {
        outcome: 'E-tjänsten för skolval är i drift', finalCost: 4_900_000, deliveredAgainstPlan: 'Allt enligt plan',
        handoverConfirmed: true, supportArrangement: 'Förvaltningsobjekt Skolval', followUpPlan: 'Effekthemtagning efter 6 och 12 månader',
      });
      await c.act('approve-closure', people.officer, { comment: 'Godkänd' });
    } else if (open) {
      await c.act('submit-report', people.applicant, report(open.id, { forecastTotalCost: 5_000_000 }));
    } else {
      // Sleep until the next report opens (its reminder), or the next calendar event.
      const next = v.reports.filter((r) => r.status === 'scheduled').map((r) => Date.parse(r.dueAt) - 5 * DAY);
      const now = await h.env.currentTimeMs();
      await h.env.sleep(Math.max(60_000, Math.min(...next, now + 30 * DAY) - now + 60_000));
      await c.until((x) => x.seq >= v.seq);
    }
  }
  throw new Error(`the case was still in ${stages.join('/')} after ${MAX_ROUNDS} rounds`);
}

/** databaseUrl: run on a fresh database on that PostgreSQL server; undefined: in-memory PGlite. */
export async function threeYearLifecycle(databaseUrl: string | undefined): Promise<LifecycleFigures> {
  // The harness's freshDatabase() chooses the back end from DATABASE_URL, as the tests do.
  const saved = process.env.DATABASE_URL;
  if (databaseUrl) process.env.DATABASE_URL = databaseUrl;
  else delete process.env.DATABASE_URL;
  const t0 = Date.now();
  let h: Harness | undefined;
  try {
    h = await createHarness('bench');
    const t1 = Date.now();
    const c = await h.start({ rules: { followUpOffsets: ['P6M', 'P12M'] } });
    await c.toDecision(application({
      totalCost: 5_000_000, plannedStart: '2027-01-01', plannedEnd: '2029-12-31', costPerYear: { 2027: 2_000_000, 2028: 2_000_000, 2029: 1_000_000 },
    }));
    await c.act('decide', people.director, { outcome: 'approve', grantedAmount: 5_000_000, projectStart: '2027-01-01', conditions: 'Rapportera enligt plan', motivation: 'Hög nytta' });
    const v = await fileReportsWhile(h, c, ['execution', 'closure', 'followUp']);
    const done = await c.finished();
    const seconds = (Date.now() - t1) / 1000;
    if (v.stage !== 'completed' || done.stage !== 'completed') throw new Error(`the case ended in ${done.stage}, not completed`);
    const emails = (await c.emails()).length;
    return {
      seconds, steps: done.seq, reports: done.reports.filter((r) => r.status === 'received').length, emails, setupSeconds: (t1 - t0) / 1000,
    };
  } finally {
    await h?.close();
    if (saved === undefined) delete process.env.DATABASE_URL;
    else process.env.DATABASE_URL = saved;
  }
}
