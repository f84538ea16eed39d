// Runs the API: waits for the database (migrated, reference data seeded) and Temporal, then listens on
// config.port. `npm run api` runs it alone; `npm start` runs it beside the worker.
//
// Shutting down: readiness answers 503 at once, the server stops accepting connections, requests in flight
// get API_SHUTDOWN_TIMEOUT_SECONDS to finish, and then what is left is cut and the connections are closed.
import type { Server } from 'node:http';
import pino from 'pino';
import { loadConfig, type Config } from '../config';
import { openSignerDatabase, type Database } from '../db/client';
import { errorSerializers } from '../platform/errors';
import { readyDatabase, runUntilSignalled, untilReachable, type WaitOptions } from '../platform/startup';
import { connectClient } from '../platform/temporal';
import { createApp } from './app';

export interface RunningApi {
  port: number;
  /** Stops within config.shutdown.apiMs (plus closing the connections); requests in flight are answered meanwhile. */
  close(): Promise<void>;
}

/** database: pass the process's shared handle (embedded PGlite allows one opener); else one is opened. */
export async function startApi(config: Config, shared?: { database: Database }, wait: WaitOptions = {}): Promise<RunningApi> {
  const logger = pino({ level: config.logLevel, serializers: errorSerializers });
  const database = shared?.database ?? await readyDatabase(config, logger, wait);
  const temporal = await untilReachable(`Temporal at ${config.temporal.address}`, () => connectClient(config), logger, wait);
  const lifecycle = { draining: false };
  const signing = openSignerDatabase(config, database);
  const app = createApp({ db: database.db, signerDb: signing.db, temporal, config, logger, lifecycle });
  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(config.port, (err?: Error) => (err ? reject(err) : resolve(s)));
  });
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : config.port,
    async close() {
      lifecycle.draining = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Keep-alive connections with no request running go now; those with one, once it is answered.
      server.closeIdleConnections();
      let timer: NodeJS.Timeout | undefined;
      const late = await Promise.race([
        closed.then(() => false),
        new Promise<boolean>((resolve) => { timer = setTimeout(() => resolve(true), config.shutdown.apiMs); }),
      ]);
      clearTimeout(timer);
      if (late) {
        logger.warn({ afterMs: config.shutdown.apiMs }, 'requests still running at the shutdown deadline were cut');
        server.closeAllConnections();
        await closed;
      }
      await temporal.connection.close();
      await signing.close();
      if (!shared) await database.close();
    },
  };
}

if (require.main === module) {
  runUntilSignalled(
    (stopped) => startApi(loadConfig(), undefined, { stopped }),
    (api) => api.close(),
    (api) => `API listening on http://localhost:${api.port}/api/v1 (reference: http://localhost:${api.port}/docs)`,
  );
}
