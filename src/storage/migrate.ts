// Runs the migrations in order, each in its own transaction, recording them in schema_migrations.
// An advisory lock makes concurrent starts of several instances against one PostgreSQL safe.

import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import type { Database } from './database.ts';
import * as m001 from './migrations/001-initial.ts';
import * as m002 from './migrations/002-signing-keys.ts';
import * as m003 from './migrations/003-oidc-payloads.ts';
import * as m004 from './migrations/004-applications.ts';
import * as m005 from './migrations/005-oidc-clients.ts';
import * as m006 from './migrations/006-app-role-assignments.ts';

const MIGRATIONS: readonly { version: number; name: string; up: string }[] = [
  { version: 1, ...m001 },
  { version: 2, ...m002 },
  { version: 3, ...m003 },
  { version: 4, ...m004 },
  { version: 5, ...m005 },
  { version: 6, ...m006 },
];
const MIGRATION_LOCK = 727_271;

export async function migrate(db: Kysely<Database>): Promise<number[]> {
  return db.transaction().execute(async (trx) => {
    await sql`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`.execute(trx);
    await sql`CREATE TABLE IF NOT EXISTS schema_migrations (
      version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL)`.execute(trx);
    const done = new Set((await trx.selectFrom('schema_migrations').select('version').execute()).map((r) => r.version));
    const applied: number[] = [];
    for (const migration of MIGRATIONS) {
      if (done.has(migration.version)) continue;
      // One statement at a time: both drivers use the extended protocol, which takes a single statement.
      for (const statement of splitStatements(migration.up)) await sql.raw(statement).execute(trx);
      await trx
        .insertInto('schema_migrations')
        .values({ version: migration.version, name: migration.name, applied_at: new Date() })
        .execute();
      applied.push(migration.version);
    }
    return applied;
  });
}

/** Splits migration SQL on statement-ending semicolons (the migrations hold no function bodies). */
function splitStatements(source: string): string[] {
  return source
    .split(/;\s*(?:\n|$)/)
    .map((s) => s.replace(/^\s*--.*$/gm, '').trim())
    .filter((s) => s.length > 0);
}
