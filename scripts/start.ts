// `npm start`: the whole stack in one process. The Temporal dev server (unless TEMPORAL_ADDRESS names a
// cluster), the database, the worker, the API; Ctrl-C stops them in the reverse order.
import fs from 'node:fs';
import path from 'node:path';
import { Runtime } from '@temporalio/worker';
import pino from 'pino';
import { startApi } from '../api/server';
import { loadConfig } from '../config';
import { migrateConfigured, openConfiguredDatabase } from '../db/client';
import { seedReferenceData } from '../db/seed';
import { startDevServer } from '../platform/devServer';
import { errorSerializers } from '../platform/errors';
import { startWorker } from '../worker';

interface Part {
  name: string;
  stop(): Promise<void>;
}

const started: Part[] = [];
let stopping = false;

async function shutdown(exitCode: number): Promise<void> {
  stopping = true;
  for (const part of started.reverse()) {
    try {
      await part.stop();
    } catch (error) {
      console.error(`Stopping the ${part.name} failed:`, error);
      exitCode = 1;
    }
  }
  process.exit(exitCode);
}

function onSignal(): void {
  // A second Ctrl-C while stopping means "now": the exit hook in devServer.ts still kills the server.
  if (stopping) process.exit(1);
  console.log('\nStopping...');
  void shutdown(0);
}

async function main(): Promise<void> {
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // The SDK would otherwise drain the worker on the same signal, while the API still takes requests.
  Runtime.install({ shutdownSignals: [] });
  const config = loadConfig();
  // Keys, the databases and the mail drop live here: for the service's user only, also when made by an earlier version.
  fs.mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  fs.chmodSync(config.dataDir, 0o700);

  if (!config.temporal.external) {
    const devServer = await startDevServer({
      dbFile: path.join(config.dataDir, 'temporal.db'),
      port: config.temporal.port,
      uiPort: config.temporal.uiPort,
      namespace: config.temporal.namespace,
    });
    started.push({ name: 'Temporal dev server', stop: devServer.stop });
    void devServer.exited.then(() => {
      if (stopping) return;
      console.error(`The Temporal dev server stopped unexpectedly:\n${devServer.output()}`);
      void shutdown(1);
    });
  }
  // One handle for worker and API: embedded PGlite allows a single opener per data directory.
  const database = openConfiguredDatabase(config, pino({ level: config.logLevel, serializers: errorSerializers }));
  started.push({ name: 'database', stop: () => database.close() });
  await migrateConfigured(config, database);
  await seedReferenceData(database.db);
  const worker = await startWorker(config, { database });
  started.push({ name: 'worker', stop: () => worker.shutdown() });
  const api = await startApi(config, { database });
  started.push({ name: 'API', stop: () => api.close() });

  const temporal = config.temporal.external
    ? `Temporal:    ${config.temporal.address} (namespace ${config.temporal.namespace})`
    : `Temporal UI: http://localhost:${config.temporal.uiPort}`;
  console.log([
    `API:         http://localhost:${config.port}/api/v1`,
    `API docs:    http://localhost:${config.port}/docs`,
    temporal,
    'Press Ctrl-C to stop.',
  ].join('\n'));
}

void main().catch((error: unknown) => {
  console.error('Start-up failed:', error);
  if (!stopping) void shutdown(1);
});
