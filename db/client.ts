// One database handle for both back ends: PostgreSQL through pg when DATABASE_URL is set, otherwise
// embedded PGlite. The same checked-in migrations serve both.
//
// Three roles in production: the owner of the schema (DATABASE_OWNER_URL) runs the migrations and grants the
// others what they may do. The application's role (the user of DATABASE_URL) may insert and read the audit
// trail and only read its checkpoints; it owns nothing, so it can neither change nor remove audit rows nor
// switch their trigger off. The signer's role (DATABASE_SIGNER_URL) may read the trail and insert
// checkpoints, nothing else. With one URL, that role does everything (the embedded default, development,
// tests).
import fs from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { sql } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { readMigrationFiles } from 'drizzle-orm/migrator';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { Client, Pool } from 'pg';
import pino, { type Logger } from 'pino';
import { describeError, errorSerializers } from '../platform/errors';
import { loadConfig } from '../config';
import * as schema from './schema';

export type Db = PgDatabase<PgQueryResultHKT, typeof schema>;

export interface Database {
  db: Db;
  kind: 'postgres' | 'pglite';
  /** Applies the migrations not yet applied; with none pending it changes nothing, so a role that owns nothing may call it. */
  migrate(): Promise<void>;
  /**
   * Calls onNotify for every NOTIFY on the channel, and once more whenever the listening connection comes
   * back after it was lost (a notification may have been missed meanwhile). Resolves once listening.
   */
  listen(channel: string, onNotify: () => void): Promise<Listener>;
  close(): Promise<void>;
}

export interface Listener { close(): Promise<void> }

const LISTEN_RETRY_MS = { initial: 500, max: 30_000 };

const migrationsFolder = path.join(__dirname, 'migrations');

/** Whether every checked-in migration is applied (drizzle applies those newer than the newest it has recorded). */
async function upToDate(db: Db): Promise<boolean> {
  const files = readMigrationFiles({ migrationsFolder });
  const newest = files[files.length - 1]?.folderMillis ?? 0;
  const [exists] = await rows<{ present: boolean }>(db, sql`SELECT to_regclass('drizzle.__drizzle_migrations') IS NOT NULL AS present`);
  if (!exists?.present) return false;
  const [applied] = await rows<{ at: string | null }>(db, sql`SELECT max(created_at)::text AS at FROM drizzle.__drizzle_migrations`);
  return applied?.at !== null && applied?.at !== undefined && Number(applied.at) >= newest;
}

async function rows<T>(db: Db, query: ReturnType<typeof sql>): Promise<T[]> {
  return ((await db.execute(query)) as unknown as { rows: T[] }).rows;
}

/** Whether PostgreSQL refused a statement for lack of privilege (SQLSTATE 42501), as pg or drizzle reports it. */
export const permissionDenied = (err: unknown): boolean =>
  (err as { cause?: { code?: string } }).cause?.code === '42501' || (err as { code?: string }).code === '42501';

/** Migrates unless up to date; a role without the right to migrate is told what to run instead. */
async function migrateWith(db: Db, run: () => Promise<void>): Promise<void> {
  if (await upToDate(db)) return;
  try {
    await run();
  } catch (err) {
    if (permissionDenied(err)) {
      throw new Error('The database schema is not up to date, and this role may not change it: set DATABASE_OWNER_URL, or run `npm run db:migrate` with it');
    }
    throw err;
  }
}

/**
 * What the application's role may do, granted by the owner after migrating: read and write the read model and
 * reference data; only insert and read the audit trail; only read its checkpoints; read which migrations are
 * applied.
 */
export async function grantApplicationRole(owner: Db, role: string): Promise<void> {
  const r = sql.identifier(role);
  for (const statement of [
    sql`GRANT USAGE ON SCHEMA public, drizzle TO ${r}`,
    sql`GRANT SELECT ON drizzle.__drizzle_migrations TO ${r}`,
    sql`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ${r}`,
    sql`REVOKE UPDATE, DELETE, TRUNCATE ON audit_events, audit_checkpoints FROM ${r}`,
    // A checkpoint vouches for the chain; only the signer's role writes one.
    sql`REVOKE INSERT ON audit_checkpoints FROM ${r}`,
    sql`GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO ${r}`,
    // The chain's numbering is the database's to give out, not the application's to reset.
    sql`REVOKE UPDATE ON SEQUENCE audit_events_seq_seq, audit_checkpoints_id_seq FROM ${r}`,
    sql`REVOKE USAGE ON SEQUENCE audit_checkpoints_id_seq FROM ${r}`,
  ]) await owner.execute(statement);
}

/** What the signer's role may do: read the trail to sign its head, read and insert checkpoints. */
export async function grantSignerRole(owner: Db, role: string): Promise<void> {
  const r = sql.identifier(role);
  for (const statement of [
    sql`GRANT USAGE ON SCHEMA public TO ${r}`,
    sql`GRANT SELECT ON audit_events TO ${r}`,
    sql`GRANT SELECT, INSERT ON audit_checkpoints TO ${r}`,
    sql`GRANT USAGE ON SEQUENCE audit_checkpoints_id_seq TO ${r}`,
  ]) await owner.execute(statement);
}

const roleOf = (url: string) => decodeURIComponent(new URL(url).username);

/**
 * Brings the schema up to date for the configured database: through the owner role when DATABASE_OWNER_URL
 * is set (then grants DATABASE_URL's and DATABASE_SIGNER_URL's roles their rights), else through the handle
 * itself.
 */
export async function migrateConfigured(
  config: { databaseUrl?: string; databaseOwnerUrl?: string; databaseSignerUrl?: string; database?: DatabaseTimeouts },
  database: Database,
): Promise<void> {
  if (!config.databaseOwnerUrl || !config.databaseUrl) return database.migrate();
  const owner = openDatabase({ url: config.databaseOwnerUrl }, { poolSize: 1, timeouts: config.database });
  try {
    await owner.migrate();
    const ownerRole = roleOf(config.databaseOwnerUrl);
    const role = roleOf(config.databaseUrl);
    if (role && role !== ownerRole) await grantApplicationRole(owner.db, role);
    const signer = config.databaseSignerUrl ? roleOf(config.databaseSignerUrl) : '';
    if (signer && signer !== ownerRole && signer !== role) await grantSignerRole(owner.db, signer);
  } finally {
    await owner.close();
  }
}

/**
 * The handle checkpoints are written through: DATABASE_SIGNER_URL's role when set (a connection of its own,
 * closed with close()), else the process's own handle.
 */
export function openSignerDatabase(config: { databaseSignerUrl?: string; database?: DatabaseTimeouts }, own: Database): { db: Db; close(): Promise<void> } {
  if (!config.databaseSignerUrl) return { db: own.db, close: async () => {} };
  const signer = openDatabase({ url: config.databaseSignerUrl }, { poolSize: 1, timeouts: config.database });
  return { db: signer.db, close: () => signer.close() };
}

/** How long PostgreSQL may take: to connect, to answer a statement, with a transaction left idle. */
export interface DatabaseTimeouts { connectTimeoutMs: number; statementTimeoutMs: number; idleInTransactionTimeoutMs: number }

/** The client's own limit on a statement, a little past the server's, for a server that no longer answers at all. */
const CLIENT_GRACE_MS = 1_000;

export interface OpenOptions { poolSize?: number; timeouts?: DatabaseTimeouts; logger?: Logger }

/** url: a postgres:// URL; otherwise a PGlite data directory, or undefined for an in-memory PGlite. */
export function openDatabase(target: { url: string } | { dir?: string }, opts: OpenOptions = {}): Database {
  if ('url' in target) {
    const t = opts.timeouts ?? loadConfig({}).database;
    const logger = opts.logger ?? pino({ level: 'warn', serializers: errorSerializers });
    const pool = new Pool({
      connectionString: target.url,
      max: opts.poolSize ?? 10,
      connectionTimeoutMillis: t.connectTimeoutMs,
      // The server cancels a statement or ends a session idle in a transaction (a request that died holding it);
      // the client gives up on a server that stopped answering altogether.
      statement_timeout: t.statementTimeoutMs,
      idle_in_transaction_session_timeout: t.idleInTransactionTimeoutMs,
      query_timeout: t.statementTimeoutMs + CLIENT_GRACE_MS,
      keepAlive: true,
    });
    // A dropped connection must not crash the process, whether idle in the pool (the pool's 'error') or
    // checked out between two queries of a transaction (the client's own 'error', which the pool does not
    // listen to then); the failed query's caller sees the error, and the next query takes a fresh connection.
    pool.on('error', (err) => logger.warn({ error: describeError(err) }, 'idle database connection lost'));
    pool.on('connect', (client) => client.on('error', (err) => logger.warn({ error: describeError(err) }, 'database connection lost')));
    const db = drizzlePg(pool, { schema }) as unknown as Db;
    return {
      db,
      kind: 'postgres',
      migrate: () => migrateWith(db, () => migratePg(drizzlePg(pool), { migrationsFolder })),
      listen: (channel, onNotify) => listenPg(target.url, t.connectTimeoutMs, channel, onNotify),
      close: () => pool.end(),
    };
  }
  if (target.dir) fs.mkdirSync(target.dir, { recursive: true, mode: 0o700 });
  const client = new PGlite(target.dir);
  const db = drizzlePglite(client, { schema }) as unknown as Db;
  return {
    db,
    kind: 'pglite',
    migrate: () => migrateWith(db, () => migratePglite(drizzlePglite(client), { migrationsFolder })),
    async listen(channel, onNotify) {
      const unlisten = await client.listen(channel, () => onNotify());
      return { close: () => unlisten() };
    },
    close: () => client.close(),
  };
}

/**
 * LISTEN on a connection of its own (a pooled one would be handed back and stop listening). A lost
 * connection is opened again with backoff, and onNotify runs once it listens again.
 */
async function listenPg(url: string, connectTimeoutMs: number, channel: string, onNotify: () => void): Promise<Listener> {
  let client: Client | undefined;
  let closed = false;
  let retry: NodeJS.Timeout | undefined;
  let delay = LISTEN_RETRY_MS.initial;

  const connect = async (): Promise<void> => {
    const c = new Client({ connectionString: url, connectionTimeoutMillis: connectTimeoutMs, keepAlive: true });
    c.on('notification', (n) => { if (n.channel === channel) onNotify(); });
    c.on('error', () => again(c));
    c.on('end', () => again(c));
    await c.connect();
    await c.query(`LISTEN "${channel.replace(/"/g, '""')}"`);
    client = c;
    delay = LISTEN_RETRY_MS.initial;
  };
  const again = (lost: Client) => {
    if (closed || client !== lost) return;
    client = undefined;
    void lost.end().catch(() => undefined);
    const attempt = () => {
      retry = undefined;
      if (closed) return;
      connect().then(onNotify, () => {
        delay = Math.min(delay * 2, LISTEN_RETRY_MS.max);
        retry = setTimeout(attempt, delay);
        retry.unref();
      });
    };
    retry = setTimeout(attempt, delay);
    retry.unref();
  };

  await connect();
  return {
    async close() {
      closed = true;
      clearTimeout(retry);
      await client?.end().catch(() => undefined);
    },
  };
}

/** The configured database: PostgreSQL when DATABASE_URL is set, else PGlite under data/. */
export function openConfiguredDatabase(config: { databaseUrl?: string; pgliteDir: string; database: DatabaseTimeouts }, logger?: Logger): Database {
  return openDatabase(config.databaseUrl ? { url: config.databaseUrl } : { dir: config.pgliteDir }, { timeouts: config.database, logger });
}

/** Resolves when the database answers a query: what readiness checks. */
export async function pingDatabase(db: Db): Promise<void> {
  await db.execute(sql`select 1`);
}

/**
 * SQLSTATE classes and codes of a server that cannot answer now (rather than a statement it refused): connection
 * exceptions, a statement cancelled by its timeout, a server shutting down or out of connections.
 */
const UNREACHABLE_CODES = /^(08...|57014|57P0[1-5]|53300)$/;
/** node-postgres's own words for a connection it could not make, or a server that stopped answering. */
const UNREACHABLE_MESSAGES = /timeout exceeded when trying to connect|Connection terminated|Query read timeout|connection timeout/i;
const UNREACHABLE_ERRNO = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EPIPE']);

/** Whether err (or one of its causes) says the database could not answer in time: worth retrying. */
export function databaseUnreachable(err: unknown, depth = 0): boolean {
  if (err === null || typeof err !== 'object' || depth > 5) return false;
  const { code, message, cause } = err as { code?: unknown; message?: unknown; cause?: unknown };
  if (typeof code === 'string' && (UNREACHABLE_CODES.test(code) || UNREACHABLE_ERRNO.has(code))) return true;
  if (typeof message === 'string' && UNREACHABLE_MESSAGES.test(message) && !message.startsWith('Failed query')) return true;
  return databaseUnreachable(cause, depth + 1);
}
