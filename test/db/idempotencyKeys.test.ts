// Idempotency-Key claims carry their holder: a process that stalled past its lease, while a retry took the
// request over, can no longer renew, answer or release the key, so the answer the key keeps is the
// successor's, the one its client was given.
import type { Db } from '../../db/client';
import { claimIdempotencyKey, earlierRequest, IN_PROGRESS, releaseIdempotencyKey, renewIdempotencyLease, storeAnswer } from '../../db/idempotencyKeys';
import { freshDatabase, type TestDatabase } from '../support/db';

let database: TestDatabase;
let db: Db;
beforeAll(async () => { database = await freshDatabase(); db = database.db; });
afterAll(() => database.close());

const LEASE_MS = 50;
const lapse = () => new Promise((r) => setTimeout(r, LEASE_MS * 3));

test('a stalled holder whose lease was taken over cannot renew, answer or release; the successor answers', async () => {
  const stalled = await claimIdempotencyKey(db, 'karin', 'k1', 'hash-1', LEASE_MS);
  expect(stalled).toEqual(expect.any(String));
  // While the lease holds, nobody takes over.
  expect(await claimIdempotencyKey(db, 'karin', 'k1', 'hash-1', LEASE_MS)).toBeUndefined();
  await lapse();
  const successor = await claimIdempotencyKey(db, 'karin', 'k1', 'hash-1', LEASE_MS);
  expect(successor).toEqual(expect.any(String));
  expect(successor).not.toBe(stalled);

  expect(await renewIdempotencyLease(db, 'karin', 'k1', stalled!, LEASE_MS)).toBe(false);
  expect(await storeAnswer(db, 'karin', 'k1', stalled!, { status: 200, body: { from: 'stalled' } })).toBe(false);
  await releaseIdempotencyKey(db, 'karin', 'k1', stalled!);
  expect(await earlierRequest(db, 'karin', 'k1')).toMatchObject({ status: IN_PROGRESS });

  expect(await storeAnswer(db, 'karin', 'k1', successor!, { status: 200, body: { from: 'successor' } })).toBe(true);
  expect(await storeAnswer(db, 'karin', 'k1', stalled!, { status: 200, body: { from: 'stalled' } })).toBe(false);
  expect(await earlierRequest(db, 'karin', 'k1')).toMatchObject({ status: 200, body: { from: 'successor' } });
});

test('a lapsed claim is taken over only by the same request; an answered key is never claimed again', async () => {
  const first = await claimIdempotencyKey(db, 'karin', 'k2', 'hash-2', LEASE_MS);
  await lapse();
  expect(await claimIdempotencyKey(db, 'karin', 'k2', 'another-body', LEASE_MS)).toBeUndefined();
  expect(await storeAnswer(db, 'karin', 'k2', first!, { status: 201, body: { id: 'x' } })).toBe(true);
  await lapse();
  expect(await claimIdempotencyKey(db, 'karin', 'k2', 'hash-2', LEASE_MS)).toBeUndefined();
});
