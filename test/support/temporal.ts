// Temporal servers and the workflow bundle for tests, from the project's own binaries (never the SDK's download).
import { TestWorkflowEnvironment } from '@temporalio/testing';
import fs from 'node:fs';
import { DefaultLogger, Runtime, type WorkflowBundle } from '@temporalio/worker';
import { loadConfig, type Config } from '../../config';
import { resolveTemporalCli, resolveTestServer } from '../../tooling/binaries';
import { dataConverter } from '../../platform/payloadCodec';
import { ensureSearchAttributes } from '../../platform/searchAttributes';
import { BUNDLE_FILE } from './bundleFile';

// Worker lifecycle messages at INFO drown the test output; warnings and errors still show.
Runtime.install({ logger: new DefaultLogger('WARN') });

/**
 * The DATA_DIR of the tests' configuration where a test builds none of its own: the payload key the engine's
 * client and the workers encrypt with is kept there, as the embedded default keeps it under its DATA_DIR.
 */
export const TEST_DATA_DIR = '/tmp/projektkontoret-test';

/**
 * The payload key of the workflow tests, fixed so that the histories they record (encrypted, as production's)
 * replay on any machine. A test key, for test data only.
 */
export const TEST_PAYLOAD_KEYS = `test-2026:${Buffer.alloc(32, 'projektkontoret-workflow-tests').toString('base64')}`;

/** The configuration of the workflow tests: their data directory and payload key, with what a test adds. */
export const testConfig = (env: Record<string, string> = {}): Config => loadConfig({ DATA_DIR: TEST_DATA_DIR, PAYLOAD_ENCRYPTION_KEYS: TEST_PAYLOAD_KEYS, ...env });

/**
 * The time-skipping test server: timers of months fire as soon as the workflow waits on nothing else. Its
 * client encrypts payloads as production's does, with the keys of `config` (the workers must use the same).
 */
export async function timeSkippingEnv(config: Pick<Config, 'payloads'> = testConfig()): Promise<TestWorkflowEnvironment> {
  return withSearchAttributes(await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: resolveTestServer() } },
    client: { dataConverter: dataConverter(config) },
  }));
}

/**
 * The dev server (real time, an in-memory store), for tests of what real time does: a task queue no worker
 * polls, a worker that comes back. Its client encrypts as timeSkippingEnv's does.
 */
export async function devServerEnv(config: Pick<Config, 'payloads'> = testConfig()): Promise<TestWorkflowEnvironment> {
  return withSearchAttributes(await TestWorkflowEnvironment.createLocal({
    server: { executable: { type: 'existing-path', path: resolveTemporalCli() }, ui: false },
    client: { dataConverter: dataConverter(config) },
  }));
}

/** The cases' search attributes registered as a worker of the service registers them at start: a case upserts them at every step. */
async function withSearchAttributes(env: TestWorkflowEnvironment): Promise<TestWorkflowEnvironment> {
  await ensureSearchAttributes(env.connection.operatorService, env.namespace ?? 'default');
  return env;
}

/** The workflows bundle the run's global setup built (see globalSetup.ts), read once per test file. */
let workflowBundle: WorkflowBundle | undefined;
export function bundle(): WorkflowBundle {
  workflowBundle ??= { code: fs.readFileSync(BUNDLE_FILE, 'utf8') };
  return workflowBundle;
}
