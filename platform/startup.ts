// At start, the processes wait for what they need (PostgreSQL, Temporal) instead of exiting: in a cluster the
// parts come up in any order, and a process that exits only to be restarted hides why it could not start.
import type { Logger } from 'pino';
import type { Config } from '../config';
import { databaseUnreachable, migrateConfigured, openConfiguredDatabase, type Database } from '../db/client';
import { seedReferenceData } from '../db/seed';
import { describeError } from './errors';

const BACKOFF_MS = { initial: 500, max: 15_000 };

export interface WaitOptions {
  /** Whether an error means "not reachable yet" (else it is thrown at once, e.g. a role without rights). */
  transient?: (err: unknown) => boolean;
  /** True once the process is asked to stop: the wait ends with the last error. */
  stopped?: () => boolean;
}

/** Runs attempt until it succeeds, waiting longer after each failure (up to 15 s) and logging what it waits for and why. */
export async function untilReachable<T>(what: string, attempt: () => Promise<T>, logger: Logger, { transient = () => true, stopped = () => false }: WaitOptions = {}): Promise<T> {
  let delay = BACKOFF_MS.initial;
  for (let tries = 1; ; tries++) {
    try {
      const value = await attempt();
      if (tries > 1) logger.info({ what, tries }, `${what} reachable`);
      return value;
    } catch (err) {
      if (stopped() || !transient(err)) throw err;
      logger.warn({ what, tries, retryInMs: delay, error: describeError(err) }, `waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(delay * 2, BACKOFF_MS.max);
    }
  }
}

/** Opens the configured database once it answers, migrated and seeded. */
export async function readyDatabase(config: Config, logger: Logger, wait: WaitOptions = {}): Promise<Database> {
  const database = openConfiguredDatabase(config, logger);
  try {
    await untilReachable('the database', async () => {
      await migrateConfigured(config, database);
      await seedReferenceData(database.db);
    }, logger, { transient: databaseUnreachable, ...wait });
  } catch (err) {
    await database.close().catch(() => undefined);
    throw err;
  }
  return database;
}

/**
 * Runs a long-lived part (API, worker) as a process: started with a way to tell it that a signal came while it
 * was still waiting for its dependencies, stopped once on SIGINT or SIGTERM, exiting 0 after a clean stop.
 */
export function runUntilSignalled<T>(
  start: (stopped: () => boolean) => Promise<T>, stopIt: (running: T) => Promise<void>, started: (running: T) => string,
): void {
  let stopping = false;
  let running: T | undefined;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    void (running === undefined ? Promise.resolve() : stopIt(running)).then(() => process.exit(0), (err: unknown) => { console.error(err); process.exit(1); });
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  start(() => stopping).then((r) => {
    running = r;
    if (stopping) return stop();
    console.log(started(r));
  }).catch((err: unknown) => {
    console.error(err);
    process.exit(stopping ? 0 : 1);
  });
}
