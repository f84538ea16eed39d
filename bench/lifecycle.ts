// One case's whole three-year lifecycle on the time-skipping server, driven as
// test/workflows/project.test.ts drives it: real activities on a fresh database, emails to an SMTP
// server in-process. The wall time runs from the idea sketch to the completed case.
import buildWorkflowBundle from '../test/support/globalSetup';
import { application, createHarness, fileReportsWhile, people, type Harness } from '../test/workflows/harness';

export interface LifecycleFigures {
  seconds: number;
  /** Recorded steps, reports filed and emails delivered along the way. */
  steps: number;
  reports: number;
  emails: number;
  /** Time-skipping server, workflow bundle, database and SMTP server, before the case starts. */
  setupSeconds: number;
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
    // The harness loads the bundle a test run's global setup writes; outside jest nobody else has written it.
    await buildWorkflowBundle();
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
