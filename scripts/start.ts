// `npm start`: the whole stack in one process. The Temporal dev server (unless TEMPORAL_ADDRESS names a
// cluster), the database, the worker, the API; Ctrl-C stops them in the reverse order.
import fs from 'node:fs';
import path from 'node:path';
import { Runtime } from '@temporalio/worker';
import pino from 'pino';
import { startApi } from '../api/server';
import { loadConfig } from '../config';
import { startDevServer } from '../tooling/devServer';
import { errorSerializers } from '../platform/errors';
import { readyDatabase } from '../platform/startup';
import { startWorker } from '../worker';

interface Part {
  name: string;
  stop(): Promise<void>;
}

const started: Part[] = [];
let stopping = false;

/** What the dev server and the database get to close after the API's and the worker's own deadlines. */
const CLOSE_MS = 10_000;
/** The longest a stop may take: the API's and the worker's deadlines and CLOSE_MS, once the configuration is read. */
let stopWithinMs = CLOSE_MS;

async function shutdown(exitCode: number): Promise<void> {
  stopping = true;
  // The API and the worker keep their own deadlines; this one is for anything that hangs regardless.
  setTimeout(() => {
    console.error('Stopping took too long; exiting');
    process.exit(1);
  }, stopWithinMs).unref();
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
  stopWithinMs = config.shutdown.apiMs + config.shutdown.workerForceMs + CLOSE_MS;
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
  const wait = { stopped: () => stopping };
  const database = await readyDatabase(config, pino({ level: config.logLevel, serializers: errorSerializers }), wait);
  started.push({ name: 'database', stop: () => database.close() });
  const worker = await startWorker(config, { database }, wait);
  started.push({ name: 'worker', stop: () => worker.shutdown() });
  const api = await startApi(config, { database }, wait);
  started.push({ name: 'API', stop: () => api.close() });

  const temporal = config.temporal.external
    ? `Temporal:    ${config.temporal.address} (namespace ${config.temporal.namespace})`
    : `Temporal UI: http://localhost:${config.temporal.uiPort}`;
  const mail = config.mail.smtpUrl ? 'Emails:      sent through SMTP_URL' : `Emails:      written as .eml files to ${path.resolve(config.mail.dropDir)}`;
  const token = config.jwt.jwksUrl
    ? 'Tokens:      from the identity provider (JWT_JWKS_URL)'
    : 'A token:     npm run --silent token -- --role officer --sub karin   (see README: roles, --org, --email)';
  console.log([
    `API:         http://localhost:${config.port}/api/v1`,
    `API docs:    http://localhost:${config.port}/docs`,
    temporal,
    mail,
    token,
    'Press Ctrl-C to stop.',
  ].join('\n'));
}

void main().catch((error: unknown) => {
  console.error('Start-up failed:', error);
  if (!stopping) void shutdown(1);
});
