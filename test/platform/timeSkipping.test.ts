import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { ping } from '../../workflows';
import { dataConverter } from '../../platform/payloadCodec';
import { bundle, testConfig, timeSkippingEnv } from '../support/temporal';

let env: TestWorkflowEnvironment;

beforeAll(async () => {
  env = await timeSkippingEnv();
});
afterAll(async () => {
  await env?.teardown();
});

test('a workflow that sleeps 30 days completes on the time-skipping server', async () => {
  const taskQueue = 'platform-time-skipping';
  const worker = await Worker.create({
    connection: env.nativeConnection, taskQueue, workflowBundle: bundle(), dataConverter: dataConverter(testConfig()),
  });

  const described = await worker.runUntil(async () => {
    const handle = await env.client.workflow.start(ping, { args: ['kansliet'], taskQueue, workflowId: 'ping-30-days' });
    expect(await handle.result()).toBe('pong kansliet');
    return handle.describe();
  });

  const workflowDays = (described.closeTime!.getTime() - described.startTime.getTime()) / 86_400_000;
  expect(workflowDays).toBeGreaterThanOrEqual(30);
});
