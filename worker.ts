// Starts a Temporal worker: the workflows bundle plus activities built from real dependencies.
import { Runtime, Worker } from '@temporalio/worker';
import pino from 'pino';
import { createActivities } from './activities';
import { createMaintenance } from './activities/maintenance';
import { createOutboxRelay } from './activities/outboxRelay';
import { loadConfig, type Config } from './config';
import { migrateConfigured, openConfiguredDatabase, type Database } from './db/client';
import { seedReferenceData } from './db/seed';
import { configuredSigner } from './platform/auditChain';
import { errorSerializers } from './platform/errors';
import { createMailer } from './platform/mailer';
import { dataConverter } from './platform/payloadCodec';
import { connectWorker } from './platform/temporal';
import { buildWorkflowBundle } from './platform/workflowBundle';

/** database: pass the process's shared handle (embedded PGlite allows one opener); else one is opened. */
export async function startWorker(config: Config, shared?: { database: Database }): Promise<{ shutdown(): Promise<void> }> {
  const logger = pino({ level: config.logLevel, serializers: errorSerializers });
  const database = shared?.database ?? openConfiguredDatabase(config, logger);
  if (!shared) {
    await migrateConfigured(config, database);
    await seedReferenceData(database.db);
  }
  const mailer = createMailer(config.mail);
  const connection = await connectWorker(config);
  const worker = await Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    workflowBundle: await buildWorkflowBundle(require.resolve('./workflows')),
    // The SDK's default (from the heap limit, ~1 MB a case) would cache thousands of cases.
    maxCachedWorkflows: config.temporal.cachedCases,
    activities: createActivities({ db: database.db, mailer, mail: config.mail }),
    dataConverter: dataConverter(config),
  });
  const relay = createOutboxRelay({ db: database.db, mailer, mail: config.mail, database });
  await relay.start();
  const maintenance = createMaintenance({ db: database.db, signer: configuredSigner(config), config });
  maintenance.start();
  const running = worker.run();
  return {
    async shutdown() {
      await Promise.all([relay.stop(), maintenance.stop()]);
      worker.shutdown();
      await running;
      await connection.close();
      mailer.close();
      if (!shared) await database.close();
    },
  };
}

if (require.main === module) {
  // Our own signal handling stops the worker once, in order; the SDK's would stop it a second time.
  Runtime.install({ shutdownSignals: [] });
  const config = loadConfig();
  startWorker(config).then((w) => {
    console.log(`worker polling task queue ${config.temporal.taskQueue} at ${config.temporal.address}`);
    const stop = () => { void w.shutdown().then(() => process.exit(0)); };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  }).catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
