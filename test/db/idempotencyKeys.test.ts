// Idempotency-Key claims carry their holder: a process that stalled past its lease, while a retry took the
// request over, can no longer renew, answer or release the key, so the answer the key keeps is the
// successor's, the one its client was given. A claim counts its request against the user's limit in the
// same statement, and over the limit claims nothing.
import type { Db } from '../../db/client';
import { claimIdempotencyKey, earlierRequest, IN_PROGRESS, releaseIdempotencyKey, renewIdempotencyLease, storeAnswer } from '../../db/idempotencyKeys';
import { countRequest } from '../../db/requestCounts';
import { freshDatabase, type TestDatabase } from '../support/db';

let database: TestDatabase;
let db: Db;
beforeAll(async () => { database = await freshDatabase(); db = database.db; });
afterAll(() => database.close());

const LEASE_MS = 50;
const lapse = () => new Promise((r) => setTimeout(r, LEASE_MS * 3));

test('a stalled holder whose lease was taken over cannot renew, answer or release; the successor answers', async () => {
  const { holder: stalled } = await claimIdempotencyKey(db, 'karin', 'k1', 'hash-1', LEASE_MS);
  expect(stalled).toEqual(expect.any(String));
  // While the lease holds, nobody takes over.
  expect((await claimIdempotencyKey(db, 'karin', 'k1', 'hash-1', LEASE_MS)).holder).toBeUndefined();
  await lapse();
  const { holder: successor } = await claimIdempotencyKey(db, 'karin', 'k1', 'hash-1', LEASE_MS);
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
  const { holder: first } = await claimIdempotencyKey(db, 'karin', 'k2', 'hash-2', LEASE_MS);
  await lapse();
  expect((await claimIdempotencyKey(db, 'karin', 'k2', 'another-body', LEASE_MS)).holder).toBeUndefined();
  expect(await storeAnswer(db, 'karin', 'k2', first!, { status: 201, body: { id: 'x' } })).toBe(true);
  await lapse();
  expect((await claimIdempotencyKey(db, 'karin', 'k2', 'hash-2', LEASE_MS)).holder).toBeUndefined();
});

test("a claim counts its request in the user's window in the same statement; over the limit it claims nothing", async () => {
  const petra = { key: 'post:petra', points: 2, durationMs: 60_000 };
  expect((await claimIdempotencyKey(db, 'petra', 'a', 'h-a', LEASE_MS, petra)).holder).toEqual(expect.any(String));
  expect((await claimIdempotencyKey(db, 'petra', 'b', 'h-b', LEASE_MS, petra)).holder).toEqual(expect.any(String));
  const over = await claimIdempotencyKey(db, 'petra', 'c', 'h-c', LEASE_MS, petra);
  expect(over.holder).toBeUndefined();
  expect(over.refused?.msBeforeNext).toBeGreaterThan(55_000);
  expect(over.refused?.msBeforeNext).toBeLessThanOrEqual(60_000);
  expect(await earlierRequest(db, 'petra', 'c')).toBeUndefined();
  // Another user's window is their own.
  expect((await claimIdempotencyKey(db, 'olle', 'c', 'h-c', LEASE_MS, { ...petra, key: 'post:olle' })).holder).toEqual(expect.any(String));
});

test('a window that has ended starts again from one', async () => {
  const w = { key: 'post:rut', points: 1, durationMs: LEASE_MS };
  expect(await countRequest(db, w)).toEqual({ allowed: true });
  expect(await countRequest(db, w)).toMatchObject({ allowed: false });
  await lapse();
  expect(await countRequest(db, w)).toEqual({ allowed: true });
});
