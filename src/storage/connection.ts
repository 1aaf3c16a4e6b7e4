// Opens the embedded database (PGlite in a directory) or PostgreSQL, behind one Kysely dialect surface.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { Kysely, PostgresDialect } from 'kysely';
import { PGliteDialect } from 'kysely-pglite-dialect';
import pg from 'pg';
import { acquireDataDirLock } from './data-dir-lock.ts';
import type { Database } from './database.ts';

// int8 (bigint counters, sequences) as numbers, as PGlite returns them.
pg.types.setTypeParser(20, (value) => Number(value));

export interface DatabaseHandle {
  db: Kysely<Database>;
  kind: 'embedded' | 'postgres';
  close(): Promise<void>;
}

const PREPARABLE = /^\s*(select|insert|update|delete|with)\b/i;

/**
 * Sends each data statement as a named prepared statement (named after its text), so PostgreSQL parses and plans
 * it once per connection instead of on every call: Kysely sends the same few dozen statements over and over.
 * Measured with bench/micro/prepared-statements.ts: about half the server CPU per lookup. Statements whose text
 * varies (an IN list's length) just get one name per variant; DDL is left unnamed.
 */
const statementNames = new Map<string, string>();

function statementName(text: string): string {
  let name = statementNames.get(text);
  if (!name) {
    name = `passless_${createHash('sha1').update(text).digest('base64url')}`;
    // Bounded: texts that vary without end (none should) would otherwise grow it for ever.
    if (statementNames.size < 2000) statementNames.set(text, name);
  }
  return name;
}

function prepareRepeatedStatements(client: pg.PoolClient): void {
  const query = client.query.bind(client) as (...args: unknown[]) => unknown;
  (client as { query: unknown }).query = (config: unknown, values?: unknown, callback?: unknown) => {
    if (typeof config === 'string' && Array.isArray(values) && PREPARABLE.test(config) && callback === undefined) {
      const name = statementName(config);
      // A migration by another instance can change a table under a prepared `SELECT *` (0A000, "cached plan must
      // not change result type"), and a statement whose preparation failed stays unknown (26000): such a call
      // goes through once more unprepared instead of failing the request.
      return (query({ name, text: config, values }) as Promise<unknown>).catch((error: { code?: string }) =>
        error?.code === '0A000' || error?.code === '26000' ? query(config, values) : Promise.reject(error),
      );
    }
    return query(config, values, callback);
  };
}

export async function openPostgres(databaseUrl: string, options: { max?: number } = {}): Promise<DatabaseHandle> {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: options.max ?? 16 });
  pool.on('connect', prepareRepeatedStatements);
  // An idle connection killed by the server (restart, failover) must not crash the process; the pool replaces it.
  pool.on('error', (error) => process.emitWarning(`PostgreSQL connection lost: ${error.message}`));
  // Fail at start with a clear message rather than on the first request.
  const client = await pool.connect().catch(async (error: Error) => {
    await pool.end();
    throw new Error(`Cannot connect to PostgreSQL at DATABASE_URL (${redact(databaseUrl)}): ${error.message}`, {
      cause: error,
    });
  });
  client.release();
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return {
    db,
    kind: 'postgres',
    close: async () => {
      await db.destroy(); // a Kysely that never ran a query does not end the pool itself
      if (!pool.ended) await pool.end();
    },
  };
}

export async function openEmbedded(dataDir: string): Promise<DatabaseHandle> {
  const dir = resolve(dataDir);
  const release = acquireDataDirLock(dir);
  try {
    const pgDir = join(dir, 'pglite');
    if (!existsSync(pgDir)) mkdirSync(pgDir, { recursive: true });
    const client = await PGlite.create(pgDir);
    return fromPGlite(client, async () => {
      release();
    });
  } catch (error) {
    release();
    throw error;
  }
}

/** Wraps an already-open PGlite (tests load one from a migrated template image). */
export function fromPGlite(client: PGlite, onClose: () => Promise<void> = async () => {}): DatabaseHandle {
  const db = new Kysely<Database>({ dialect: new PGliteDialect(client) });
  return {
    db,
    kind: 'embedded',
    close: async () => {
      await db.destroy(); // the dialect's driver closes the PGlite client itself
      if (!client.closed) await client.close();
      await onClose();
    },
  };
}

export function redact(databaseUrl: string): string {
  return databaseUrl.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
}
