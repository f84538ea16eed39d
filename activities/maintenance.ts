// What the worker does besides cases, on intervals: signs the audit chain's head (a checkpoint, written
// through the signer's role, kept in the head file and logged, so copies live outside the database), and
// purges personal data past its retention. Several workers may run it: a checkpoint is only made when the
// head has moved, and a purge that finds nothing records nothing. The signing key is read only when
// checkpoints are signed here (AUDIT_CHECKPOINT_INTERVAL_MINUTES above 0).
import pino, { type Logger } from 'pino';
import type { Config } from '../config';
import { signCheckpoint } from '../db/audit';
import type { Db } from '../db/client';
import { purgeExpired } from '../db/retention';
import type { CheckpointSigner } from '../audit/chain';
import { describeError } from '../platform/errors';

/** Hourly: retention is counted in days, so an hour late is of no consequence. */
const PURGE_INTERVAL_MS = 3_600_000;

export interface Maintenance { start(): void; stop(): Promise<void> }

export function createMaintenance({ db, signerDb = db, signer, config, logger = pino({ name: 'maintenance' }) }: {
  db: Db; signerDb?: Db; signer: () => CheckpointSigner; config: Pick<Config, 'audit' | 'retention'>; logger?: Logger;
}): Maintenance {
  const tasks: { every: number; run(): Promise<void> }[] = [{
    every: PURGE_INTERVAL_MS,
    async run() {
      const purged = await purgeExpired(db, config.retention.days);
      if (purged.idempotencyKeys + purged.caseRequests + purged.emailBodies > 0) logger.info({ purged }, 'expired personal data purged');
    },
  }];
  if (config.audit.checkpointIntervalMs > 0) {
    const key = signer();
    tasks.push({
      every: config.audit.checkpointIntervalMs,
      async run() {
        const checkpoint = await signCheckpoint(signerDb, key, { onlyIfMoved: true, headFile: config.audit.headFile });
        if (checkpoint) logger.info({ checkpoint }, 'audit checkpoint signed');
      },
    });
  }
  const timers: NodeJS.Timeout[] = [];
  const running = new Set<Promise<void>>();
  let started = false;

  function schedule(task: (typeof tasks)[number]) {
    const timer = setTimeout(() => {
      const run = task.run()
        .catch((err: unknown) => { logger.warn({ error: describeError(err) }, 'maintenance task failed'); })
        .finally(() => {
          running.delete(run);
          if (started) schedule(task);
        });
      running.add(run);
    }, task.every);
    timer.unref();
    timers.push(timer);
  }

  return {
    start() {
      if (started) return;
      started = true;
      tasks.forEach(schedule);
    },
    async stop() {
      started = false;
      timers.forEach(clearTimeout);
      await Promise.all(running);
    },
  };
}
