// What one step costs the engine and the database, for estimates beyond this machine: history events and
// bytes per step from the cases' own histories, and transactions, rows and bytes per step from PostgreSQL's
// statistics of the benchmark's own database, read before and after a phase.
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { Client as PgClient } from 'pg';
import type { CaseView } from '../workflows/types';
import { caseViewQuery } from '../workflows/messages';

export interface EngineCost { cases: number; steps: number; eventsPerStep: number; historyBytesPerStep: number }

/** Events and encoded history bytes per recorded step, over the given cases' histories. */
export async function engineCost(client: Client, caseIds: string[]): Promise<EngineCost> {
  let steps = 0;
  let events = 0;
  let bytes = 0;
  for (const id of caseIds) {
    const handle = client.workflow.getHandle(id);
    const history = await handle.fetchHistory();
    const view: CaseView = await handle.query(caseViewQuery);
    steps += view.seq;
    events += history.events?.length ?? 0;
    bytes += temporal.api.history.v1.History.encode(history).finish().length;
  }
  return { cases: caseIds.length, steps, eventsPerStep: events / steps, historyBytesPerStep: bytes / steps };
}

export interface DatabaseCounters { commits: number; rowsWritten: number; rowsRead: number; bytes: number; walBytes: number }
export type DatabaseCost = DatabaseCounters & { steps: number };

/** The benchmark database's counters: commits, rows written and read, its size on disk, the server's WAL position. */
export async function databaseCounters(url: string): Promise<DatabaseCounters> {
  const pg = new PgClient({ connectionString: url });
  await pg.connect();
  try {
    // The statistics collector reports a backend's counts when its transaction ends; a fresh snapshot each time.
    await pg.query('SELECT pg_stat_clear_snapshot()');
    const { rows: [r] } = await pg.query<{ commits: string; written: string; read: string; bytes: string; wal: string }>(`
      SELECT xact_commit AS commits, tup_inserted + tup_updated + tup_deleted AS written, tup_returned + tup_fetched AS read,
        pg_database_size(current_database()) AS bytes, pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0') AS wal
      FROM pg_stat_database WHERE datname = current_database()`);
    return { commits: Number(r.commits), rowsWritten: Number(r.written), rowsRead: Number(r.read), bytes: Number(r.bytes), walBytes: Number(r.wal) };
  } finally {
    await pg.end();
  }
}

/** Per step: the difference of two readings divided by the steps taken between them. */
export function perStep(before: DatabaseCounters, after: DatabaseCounters, steps: number): DatabaseCost {
  const d = (k: keyof DatabaseCounters) => (after[k] - before[k]) / steps;
  return { steps, commits: d('commits'), rowsWritten: d('rowsWritten'), rowsRead: d('rowsRead'), bytes: d('bytes'), walBytes: d('walBytes') };
}
