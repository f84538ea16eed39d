// Replays the committed histories of real runs against today's workflow code: a change that would
// break a running case (non-determinism) fails here. Re-record with `npm run record-histories`.
import fs from 'node:fs';
import path from 'node:path';
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { dataConverter } from '../../platform/payloadCodec';
import { bundle, testConfig } from '../support/temporal';
import { HISTORIES_DIR } from './harness';

test('every committed history replays without non-determinism', async () => {
  const files = fs.readdirSync(HISTORIES_DIR, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.binpb'));
  expect(files.length).toBeGreaterThanOrEqual(20);
  // Binary protobuf, as the engine keeps them. Each replays as its own case (workflow id = case number): its
  // payloads are bound to that id, and one replayed under another id would rightly not decrypt.
  const caseNumber = (file: string) => /(PK-\d{4}-\d{4,})\.binpb$/.exec(file)?.[1] ?? file;
  const histories = files.map((f) => ({ workflowId: caseNumber(f), history: temporal.api.history.v1.History.decode(fs.readFileSync(path.join(HISTORIES_DIR, f))) }));
  const failures: string[] = [];
  // Histories recorded since payloads are encrypted replay through the codec with the tests' key; earlier ones pass through it.
  const replay = { workflowBundle: bundle(), replayName: 'committed-histories', dataConverter: dataConverter(testConfig()) };
  let n = 0;
  for await (const result of Worker.runReplayHistories(replay, histories)) {
    if (result.error) failures.push(`${files[n]}: ${String(result.error)}`);
    n += 1;
  }
  expect(failures).toEqual([]);
}, 300_000);
