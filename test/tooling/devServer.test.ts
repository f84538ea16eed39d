import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Worker } from '@temporalio/worker';
import { startDevServer, type DevServer } from '../../tooling/devServer';
import { dataConverter } from '../../platform/payloadCodec';
import { connectClient, connectWorker } from '../../platform/temporal';
import { pingNow } from '../../workflows';
import { bundle, testConfig } from '../support/temporal';

let tmp: string;
let server: DevServer | undefined;

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dev-server-'));
});
afterAll(async () => {
  await server?.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

async function freePort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as net.AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

test('a finished workflow is still there after a restart on the same SQLite file', async () => {
  const options = { dbFile: path.join(tmp, 'temporal.db'), port: await freePort(), uiPort: await freePort(), namespace: 'kontoret' };
  const config = testConfig({ TEMPORAL_ADDRESS: `127.0.0.1:${options.port}`, TEMPORAL_NAMESPACE: options.namespace });
  const taskQueue = 'platform-dev-server';
  const workflowId = 'ping-before-restart';

  server = await startDevServer(options);
  const connection = await connectWorker(config);
  const worker = await Worker.create({ connection, namespace: options.namespace, taskQueue, workflowBundle: bundle(), dataConverter: dataConverter(config) });
  const client = await connectClient(config);
  const result = await worker.runUntil(client.workflow.execute(pingNow, { args: ['stadshuset'], taskQueue, workflowId }));
  expect(result).toBe('pong stadshuset');
  await client.connection.close();
  await connection.close();
  await server.stop();

  server = await startDevServer(options);
  const afterRestart = await connectClient(config);
  const handle = afterRestart.workflow.getHandle(workflowId);
  expect((await handle.describe()).status.name).toBe('COMPLETED');
  expect(await handle.result()).toBe('pong stadshuset');
  await afterRestart.connection.close();
});

test('a port already in use is an error that shows what the server said', async () => {
  const blocker = net.createServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  const { port } = blocker.address() as net.AddressInfo;
  try {
    await expect(startDevServer({ dbFile: path.join(tmp, 'other.db'), port, uiPort: await freePort(), namespace: 'default' }))
      .rejects.toThrow(/exited before it was ready:\n.*address already in use/s);
  } finally {
    await new Promise((resolve) => blocker.close(resolve));
  }
});
