// Temporal servers and the workflow bundle for tests, from the project's own binaries (never the SDK's download).
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, DefaultLogger, Runtime, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { resolveTestServer } from '../../platform/binaries';

// Worker lifecycle messages at INFO drown the test output; warnings and errors still show.
Runtime.install({ logger: new DefaultLogger('WARN') });

/** The time-skipping test server: timers of months fire as soon as the workflow waits on nothing else. */
export function timeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  return TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: resolveTestServer() } },
  });
}

let workflowBundle: Promise<WorkflowBundleWithSourceMap> | undefined;

/** The workflows bundle, built once per test file (jest gives each file its own module registry). */
export function bundle(): Promise<WorkflowBundleWithSourceMap> {
  workflowBundle ??= bundleWorkflowCode({
    workflowsPath: require.resolve('../../workflows'),
    logger: new DefaultLogger('WARN'),
  });
  return workflowBundle;
}
