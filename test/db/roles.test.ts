// Production's database roles, on real PostgreSQL (DATABASE_URL, else the machine's server): the owner
// migrates and grants; the application's role records steps and changes reference data, but may not
// rewrite, remove or truncate audit rows or checkpoints, nor switch the append-only trigger off, nor write a
// checkpoint; the signer's role writes checkpoints and may do nothing else.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { Client } from 'pg';
import request from 'supertest';
import { createApp } from '../../api/app';
import { signToken } from '../../api/auth';
import { loadConfig } from '../../config';
import { createPersistenceActivities } from '../../activities/persistence';
import { signCheckpoint, verifyAuditChain } from '../../db/audit';
import { migrateConfigured, openDatabase, type Database } from '../../db/client';
import { setPortfolioFrame } from '../../db/referenceData';
import { seedReferenceData } from '../../db/seed';
import { loadCheckpointSigner } from '../../audit/chain';
import { MACHINE_POSTGRES } from '../e2e/system';
import { CaseStory, planOneEmailPerIntent } from '../support/steps';

const base = process.env.DATABASE_URL ?? MACHINE_POSTGRES;
const suffix = randomBytes(4).toString('hex');
const dbName = `roles_${suffix}`;
const appRole = `pk_app_${suffix}`;
const signerRole = `pk_signer_${suffix}`;
let ownerUrl: string;
let appUrl: string;
let app: Database;
let signerDatabase: Database;
let keyDir: string;

async function admin(statement: string): Promise<void> {
  const client = new Client({ connectionString: base });
  await client.connect();
  try { await client.query(statement); } finally { await client.end(); }
}

beforeAll(async () => {
  await admin(`CREATE DATABASE ${dbName}`);
  await admin(`CREATE ROLE ${appRole} LOGIN`);
  await admin(`CREATE ROLE ${signerRole} LOGIN`);
  const url = new URL(base);
  url.pathname = `/${dbName}`;
  ownerUrl = url.toString();
  url.username = appRole;
  appUrl = url.toString();
  url.username = signerRole;
  const signerUrl = url.toString();
  keyDir = fs.mkdtempSync(path.join(os.tmpdir(), 'roles-'));
  app = openDatabase({ url: appUrl }, { poolSize: 2 });
  signerDatabase = openDatabase({ url: signerUrl }, { poolSize: 1 });
  // What start-up does with the URLs set: migrate as the owner, grant the application's and the signer's roles.
  await migrateConfigured({ databaseUrl: appUrl, databaseOwnerUrl: ownerUrl, databaseSignerUrl: signerUrl }, app);
});
afterAll(async () => {
  await app?.close();
  await signerDatabase?.close();
  await admin(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
  await admin(`DROP ROLE IF EXISTS ${appRole}`);
  await admin(`DROP ROLE IF EXISTS ${signerRole}`);
  fs.rmSync(keyDir, { recursive: true, force: true });
});

/** The SQLSTATE with which a role (the application's unless given) is refused a statement. */
async function refusedCode(statement: ReturnType<typeof sql>, as: Database = app): Promise<string | undefined> {
  try {
    await as.db.execute(statement);
  } catch (err) {
    return (err as { cause?: { code?: string } }).cause?.code;
  }
  throw new Error('the statement was not refused');
}

test("the application's role runs the service: migrations up to date, reference data, steps; the signer's role signs checkpoints", async () => {
  // Up to date, so its own start-up migrate changes nothing and needs no rights.
  await app.migrate();
  await seedReferenceData(app.db);
  await setPortfolioFrame(app.db, 'p1', 2030, 5_000_000, { id: 'adam', name: 'Adam Admin', roles: ['admin'] });
  const { recordStep } = createPersistenceActivities({ db: app.db, planEmails: planOneEmailPerIntent });
  for (const step of new CaseStory('PK-2026-0001').toExecution()) await recordStep(step);
  const signer = loadCheckpointSigner(path.join(keyDir, 'key.pem'), { generate: true });
  expect(await signCheckpoint(signerDatabase.db, signer, { headFile: path.join(keyDir, 'audit-head.json') })).not.toBeNull();
  expect(await verifyAuditChain(app.db, { publicKeys: [signer.publicKey.publicKey] })).toMatchObject({ ok: true, checkpoints: 1 });
});

test('it may not rewrite, remove or truncate audit rows or checkpoints (refused by privilege, before any trigger)', async () => {
  for (const statement of [
    sql`UPDATE audit_events SET motivation = 'efterhandskonstruktion'`,
    sql`DELETE FROM audit_events`,
    sql`TRUNCATE audit_events`,
    sql`UPDATE audit_checkpoints SET hash = 'x'`,
    sql`DELETE FROM audit_checkpoints`,
    sql`SELECT setval('audit_events_seq_seq', 1)`,
  ]) expect(await refusedCode(statement)).toBe('42501');
});

test('it may not write a checkpoint: only the signer vouches for the chain', async () => {
  const signer = loadCheckpointSigner(path.join(keyDir, 'key.pem'), { generate: true });
  await expect(signCheckpoint(app.db, signer, { headFile: path.join(keyDir, 'app-head.json') })).rejects.toMatchObject({ cause: { code: '42501' } });
  expect(await refusedCode(sql`INSERT INTO audit_checkpoints (seq, hash, at, key_id, signature) VALUES (1, 'x', now(), 'k', 's')`)).toBe('42501');
  expect(fs.existsSync(path.join(keyDir, 'app-head.json'))).toBe(false);
});

test('an API whose database role may not write checkpoints says so: 503 checkpoint-signer-unavailable, not a 500', async () => {
  const config = loadConfig({ DATA_DIR: keyDir, JWT_SECRET: 'roles-test-secret-of-at-least-32-chars', LOG_LEVEL: 'silent' });
  // Only the application's role, as a deployment without DATABASE_SIGNER_URL runs.
  const api = createApp({ db: app.db, temporal: undefined as never, config });
  const auditor = await signToken(config.jwt, { sub: 'astrid', name: 'Astrid Revisor', roles: ['auditor'] });
  const res = await request(api).post('/api/v1/audit/checkpoints').set('Authorization', `Bearer ${auditor}`);
  expect(res.status).toBe(503);
  expect(res.body).toMatchObject({ type: 'https://projektkontoret.stockholm.se/problems/checkpoint-signer-unavailable', detail: expect.stringContaining('DATABASE_SIGNER_URL') });
  // Through the signer's role the same API signs.
  const signing = createApp({ db: app.db, signerDb: signerDatabase.db, temporal: undefined as never, config });
  expect((await request(signing).post('/api/v1/audit/checkpoints').set('Authorization', `Bearer ${auditor}`)).status).toBe(201);
});

test("the signer's role may do nothing but read the trail and write checkpoints", async () => {
  for (const statement of [
    sql`INSERT INTO audit_events (case_id, case_seq, at, actor_id, actor_name, actor_roles, action, prev_hash, hash) VALUES ('x', 1, now(), 'a', 'a', '{}', 'a', 'x', 'x')`,
    sql`SELECT * FROM cases`,
    sql`UPDATE audit_checkpoints SET hash = 'x'`,
    sql`DELETE FROM audit_checkpoints`,
  ]) expect(await refusedCode(statement, signerDatabase)).toBe('42501');
});

test('it may not switch the append-only trigger off, drop it, or change the table', async () => {
  for (const statement of [
    sql`ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only`,
    sql`ALTER TABLE audit_events DISABLE TRIGGER ALL`,
    sql`DROP TRIGGER audit_events_append_only ON audit_events`,
    sql`ALTER TABLE audit_events DROP CONSTRAINT audit_events_case_or_subject`,
    sql`CREATE OR REPLACE FUNCTION audit_events_refuse_change() RETURNS trigger AS $$ BEGIN RETURN NEW; END; $$ LANGUAGE plpgsql`,
    sql`SET session_replication_role = replica`,
  ]) expect(await refusedCode(statement)).toBe('42501');
});

test('nor create tables of its own, nor migrate: a schema behind the code tells it to use the owner', async () => {
  expect(await refusedCode(sql`CREATE TABLE audit_events_copy (x int)`)).toBe('42501');
  const owner = new Client({ connectionString: ownerUrl });
  await owner.connect();
  try {
    // As if a new migration had been checked in since.
    await owner.query('UPDATE drizzle.__drizzle_migrations SET created_at = created_at - 1 WHERE created_at = (SELECT max(created_at) FROM drizzle.__drizzle_migrations)');
    await expect(app.migrate()).rejects.toThrow(/may not change it: set DATABASE_OWNER_URL, or run `npm run db:migrate`/);
    await owner.query('UPDATE drizzle.__drizzle_migrations SET created_at = created_at + 1 WHERE created_at = (SELECT max(created_at) FROM drizzle.__drizzle_migrations)');
  } finally {
    await owner.end();
  }
});
