// Runs the API: opens the database (migrated, reference data seeded), connects to Temporal and the mailer,
// and listens on config.port. `npm run api` runs it alone; `npm start` runs it beside the worker.
import type { Server } from 'node:http';
import pino from 'pino';
import { loadConfig, type Config } from '../config';
import { migrateConfigured, openConfiguredDatabase, type Database } from '../db/client';
import { seedReferenceData } from '../db/seed';
import { createMailer } from '../platform/mailer';
import { errorSerializers } from '../platform/errors';
import { connectClient } from '../platform/temporal';
import { createApp } from './app';

/** database: pass the process's shared handle (embedded PGlite allows one opener); else one is opened. */
export async function startApi(config: Config, shared?: { database: Database }): Promise<{ close(): Promise<void>; port: number }> {
  const logger = pino({ level: config.logLevel, serializers: errorSerializers });
  const database = shared?.database ?? openConfiguredDatabase(config, logger);
  if (!shared) {
    await migrateConfigured(config, database);
    await seedReferenceData(database.db);
  }
  const temporal = await connectClient(config);
  const mailer = createMailer(config.mail, { logger });
  const app = createApp({ db: database.db, temporal, config, mailer, logger });
  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(config.port, (err?: Error) => (err ? reject(err) : resolve(s)));
  });
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : config.port,
    async close() {
      await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
      await temporal.connection.close();
      mailer.close();
      if (!shared) await database.close();
    },
  };
}

if (require.main === module) {
  const config = loadConfig();
  startApi(config).then((api) => {
    console.log(`API listening on http://localhost:${api.port}/api/v1 (reference: http://localhost:${api.port}/docs)`);
    const stop = () => { void api.close().then(() => process.exit(0)); };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  }).catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
