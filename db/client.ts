// One database handle for both back ends: PostgreSQL through pg when DATABASE_URL is set, otherwise
// embedded PGlite. The same checked-in migrations serve both.
import fs from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { sql } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { Client, Pool } from 'pg';
import * as schema from './schema';

export type Db = PgDatabase<PgQueryResultHKT, typeof schema>;

export interface Database {
  db: Db;
  kind: 'postgres' | 'pglite';
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

/** url: a postgres:// URL; otherwise a PGlite data directory, or undefined for an in-memory PGlite. */
export function openDatabase(target: { url: string } | { dir?: string }, opts: { poolSize?: number } = {}): Database {
  if ('url' in target) {
    const pool = new Pool({ connectionString: target.url, max: opts.poolSize ?? 10 });
    // A dropped connection must not crash the process, whether idle in the pool (the pool's 'error') or
    // checked out between two queries of a transaction (the client's own 'error', which the pool does not
    // listen to then); the failed query's caller sees the error, and the next query takes a fresh connection.
    pool.on('error', () => undefined);
    pool.on('connect', (client) => client.on('error', () => undefined));
    const db = drizzlePg(pool, { schema }) as unknown as Db;
    return {
      db,
      kind: 'postgres',
      migrate: () => migratePg(drizzlePg(pool), { migrationsFolder }),
      listen: (channel, onNotify) => listenPg(target.url, channel, onNotify),
      close: () => pool.end(),
    };
  }
  if (target.dir) fs.mkdirSync(target.dir, { recursive: true });
  const client = new PGlite(target.dir);
  const db = drizzlePglite(client, { schema }) as unknown as Db;
  return {
    db,
    kind: 'pglite',
    migrate: () => migratePglite(drizzlePglite(client), { migrationsFolder }),
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
async function listenPg(url: string, channel: string, onNotify: () => void): Promise<Listener> {
  let client: Client | undefined;
  let closed = false;
  let retry: NodeJS.Timeout | undefined;
  let delay = LISTEN_RETRY_MS.initial;

  const connect = async (): Promise<void> => {
    const c = new Client({ connectionString: url });
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
export function openConfiguredDatabase(config: { databaseUrl?: string; pgliteDir: string }): Database {
  return openDatabase(config.databaseUrl ? { url: config.databaseUrl } : { dir: config.pgliteDir });
}

/** Resolves when the database answers a query: what readiness checks. */
export async function pingDatabase(db: Db): Promise<void> {
  await db.execute(sql`select 1`);
}
