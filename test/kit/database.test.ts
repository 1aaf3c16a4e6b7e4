import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { sql } from 'kysely';
import { createTestDatabase, testDatabaseKind } from './database.ts';

const REQUIRED_TABLES = [
  'users',
  'temporary_access_passes',
  'passkey_credentials',
  'sessions',
  'flows',
  'audit_events',
  'sign_in_events',
];

test(`createTestDatabase gives a migrated database (${testDatabaseKind()})`, async () => {
  const handle = await createTestDatabase();
  try {
    assert.equal(handle.kind, testDatabaseKind());
    const { rows } = await sql<{ table_name: string }>`
      SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'`.execute(handle.db);
    const tables = new Set(rows.map((row) => row.table_name));
    for (const table of REQUIRED_TABLES) assert.ok(tables.has(table), `table ${table} is missing`);
  } finally {
    await handle.close();
  }
});

test('two fresh databases do not share rows', async () => {
  const [first, second] = await Promise.all([createTestDatabase(), createTestDatabase()]);
  try {
    const now = new Date();
    await first.db
      .insertInto('users')
      .values({
        id: randomUUID(),
        user_principal_name: 'ada@example.test',
        upn_key: 'ada@example.test',
        display_name: 'Ada',
        mail_nickname: 'ada',
        mail: null,
        account_enabled: true,
        employee_hire_date: null,
        created_at: now,
        updated_at: now,
      })
      .execute();
    const count = async (handle: typeof first) =>
      Number(
        (
          await handle.db
            .selectFrom('users')
            .select((eb) => eb.fn.countAll().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );
    assert.equal(await count(first), 1);
    assert.equal(await count(second), 0);

    // And a database created after the insert starts empty too (the template was not touched).
    const third = await createTestDatabase();
    try {
      assert.equal(await count(third), 0);
    } finally {
      await third.close();
    }
  } finally {
    await Promise.all([first.close(), second.close()]);
  }
});

test(`a table changed under a repeated statement keeps working (prepared statements on PostgreSQL) (${testDatabaseKind()})`, async () => {
  const handle = await createTestDatabase();
  try {
    // The same text twice over one connection: prepared by name on PostgreSQL, then reused.
    const read = () => handle.db.selectFrom('settings').selectAll().where('key', '=', 'x').execute();
    await handle.db.insertInto('settings').values({ key: 'x', value: '1', updated_at: new Date() }).execute();
    assert.equal((await read()).length, 1);
    assert.equal((await read()).length, 1);
    // What a migration by another instance does: SELECT * now returns another row type.
    await sql`ALTER TABLE settings ADD COLUMN note text`.execute(handle.db);
    const rows = await read();
    assert.equal(rows.length, 1);
    assert.ok('note' in (rows[0] as Record<string, unknown>), 'the new column is there');
  } finally {
    await handle.close();
  }
});
