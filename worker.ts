// Starts a Temporal worker: the workflows bundle plus activities built from real dependencies. At start it waits
// for the database and Temporal; asked to stop, it gives running activities WORKER_SHUTDOWN_GRACE_SECONDS and
// stops after WORKER_SHUTDOWN_FORCE_SECONDS whatever still runs (a step cut off is retried by another worker).
import { Runtime, Worker } from '@temporalio/worker';
import pino from 'pino';
import { createActivities } from './activities';
import { createMaintenance } from './activities/maintenance';
import { createOutboxRelay } from './activities/outboxRelay';
import { loadConfig, type Config } from './config';
import { openSignerDatabase, type Database } from './db/client';
import { configuredSigner } from './audit/chain';
import { describeError, errorSerializers } from './platform/errors';
import { createMailer } from './platform/mailer';
import { dataConverter } from './platform/payloadCodec';
import { ensureSearchAttributes } from './platform/searchAttributes';
import { readyDatabase, runUntilSignalled, untilReachable, type WaitOptions } from './platform/startup';
import { connectWorker } from './platform/temporal';
import { workflowBundle } from './platform/workflowBundle';

/** database: pass the process's shared handle (embedded PGlite allows one opener); else one is opened. */
export async function startWorker(config: Config, shared?: { database: Database }, wait: WaitOptions = {}): Promise<{ shutdown(): Promise<void> }> {
  const logger = pino({ level: config.logLevel, serializers: errorSerializers });
  const database = shared?.database ?? await readyDatabase(config, logger, wait);
  const mailer = createMailer(config.mail);
  const connection = await untilReachable(`Temporal at ${config.temporal.address}`, () => connectWorker(config), logger, wait);
  await ensureSearchAttributes(connection.operatorService, config.temporal.namespace);
  const worker = await Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    workflowBundle: await workflowBundle(require.resolve('./workflows')),
    // The SDK's default (from the heap limit, ~1 MB a case) would cache thousands of cases.
    maxCachedWorkflows: config.temporal.cachedCases,
    activities: createActivities({ db: database.db, mailer, mail: config.mail }),
    dataConverter: dataConverter(config),
    shutdownGraceTime: config.shutdown.workerGraceMs,
    shutdownForceTime: config.shutdown.workerForceMs,
  });
  const relay = createOutboxRelay({ db: database.db, mailer, mail: config.mail, database });
  await relay.start();
  const signing = openSignerDatabase(config, database);
  const maintenance = createMaintenance({ db: database.db, signerDb: signing.db, signer: () => configuredSigner(config), config });
  maintenance.start();
  const running = worker.run();
  return {
    async shutdown() {
      await Promise.all([relay.stop(), maintenance.stop()]);
      worker.shutdown();
      // Past the force time the run ends with an error: what still ran is left to the engine's retries.
      await running.catch((err: unknown) => logger.warn({ error: describeError(err) }, 'worker stopped at its force time'));
      await connection.close();
      mailer.close();
      await signing.close();
      if (!shared) await database.close();
    },
  };
}

if (require.main === module) {
  // Our own signal handling stops the worker once, in order; the SDK's would stop it a second time.
  Runtime.install({ shutdownSignals: [] });
  const config = loadConfig();
  runUntilSignalled(
    (stopped) => startWorker(config, undefined, { stopped }),
    (worker) => worker.shutdown(),
    () => `worker polling task queue ${config.temporal.taskQueue} at ${config.temporal.address}`,
  );
}
