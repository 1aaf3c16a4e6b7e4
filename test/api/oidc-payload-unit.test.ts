// A request's work on the provider's rows as one unit (src/server/oidc/payload-unit.ts), on both databases: writes
// held until the unit ends and then sent together (all or nothing), reads that see the unit's own writes, and the
// grant, provider session and account read along with a code.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { sql } from 'kysely';
import { createOidcAdapter } from '../../src/server/oidc/adapter.ts';
import { currentPayloadUnit, inPayloadUnit } from '../../src/server/oidc/payload-unit.ts';
import type { Db } from '../../src/storage/database.ts';
import { tokenSignInEventsQuery } from '../../src/storage/repositories/logs.repository.ts';
import { startTestApp } from '../kit/app.ts';

async function withDb(body: (db: Db) => Promise<void>): Promise<void> {
  const t = await startTestApp();
  try {
    await body(t.deps.db);
  } finally {
    await t.close();
  }
}

async function stored(db: Db, model: string, id: string) {
  const { rows } = await sql<{ payload: unknown; consumed_at: unknown }>`
    SELECT payload, consumed_at FROM oidc_payloads WHERE model = ${model} AND id = ${id}`.execute(db);
  return rows[0];
}

test('writes are held until the unit ends, then land together; finds inside see them', async () => {
  await withDb(async (db) => {
    const Adapter = createOidcAdapter({ db, clock: () => new Date() });
    const codes = new Adapter('AuthorizationCode');
    const interactions = new Adapter('Interaction');
    await interactions.upsert('i-old', { uid: 'i-old', kind: 'Interaction' }, 60);

    await inPayloadUnit(db, async () => {
      await codes.upsert('c1', { grantId: 'g1', kind: 'AuthorizationCode' }, 60);
      await interactions.destroy('i-old');
      assert.equal(await stored(db, 'AuthorizationCode', 'c1'), undefined, 'not written yet');
      assert.ok(await stored(db, 'Interaction', 'i-old'), 'not deleted yet');
      assert.deepEqual(await codes.find('c1'), { grantId: 'g1', kind: 'AuthorizationCode' });
      assert.equal(await interactions.find('i-old'), undefined, 'a held destroy hides the row');
      assert.equal(await interactions.findByUid('i-old'), undefined);

      // What a find returns is a copy: changing it changes nothing held.
      const copy = await codes.find('c1');
      (copy as { grantId: string }).grantId = 'changed';
      assert.equal((await codes.find('c1'))?.grantId, 'g1');

      await codes.consume('c1');
      assert.equal(typeof (await codes.find('c1'))?.consumed, 'number');
    });

    const row = await stored(db, 'AuthorizationCode', 'c1');
    assert.ok(row, 'written when the unit ended');
    assert.ok(row.consumed_at, 'with its consumption');
    assert.equal(await stored(db, 'Interaction', 'i-old'), undefined, 'deleted when the unit ended');
    // Outside a unit the adapter reads the database itself.
    assert.equal(typeof (await codes.find('c1'))?.consumed, 'number');
  });
});

test('a consumption held for a row written earlier lands; an upsert keeps the first consumption', async () => {
  await withDb(async (db) => {
    const Adapter = createOidcAdapter({ db, clock: () => new Date() });
    const tokens = new Adapter('RefreshToken');
    await tokens.upsert('r1', { grantId: 'g1', kind: 'RefreshToken' }, 60);
    await inPayloadUnit(db, async () => {
      await tokens.consume('r1');
      assert.equal(typeof (await tokens.find('r1'))?.consumed, 'number');
    });
    const first = (await stored(db, 'RefreshToken', 'r1'))?.consumed_at;
    assert.ok(first);
    await inPayloadUnit(db, async () => {
      await tokens.upsert('r1', { grantId: 'g1', kind: 'RefreshToken', rotated: true }, 60);
      await tokens.consume('r1');
    });
    const after = await stored(db, 'RefreshToken', 'r1');
    assert.equal(new Date(after!.consumed_at as string).getTime(), new Date(first as string).getTime());
    assert.equal((await tokens.find('r1'))?.rotated, true);
  });
});

test('a code is read with its grant, its provider session and its account, in one go', async () => {
  await withDb(async (db) => {
    const Adapter = createOidcAdapter({ db, clock: () => new Date() });
    const grants = new Adapter('Grant');
    const sessions = new Adapter('Session');
    const codes = new Adapter('AuthorizationCode');
    const userId = randomUUID();
    await sql`INSERT INTO users (id, user_principal_name, upn_key, display_name, mail_nickname, account_enabled,
      created_at, updated_at) VALUES (${userId}, 'ada@contoso.test', 'ada@contoso.test', 'Ada', 'ada', true, now(),
      now())`.execute(db);
    await grants.upsert('g1', { jti: 'g1', accountId: userId, kind: 'Grant' }, 60);
    await sessions.upsert('s1', { jti: 's1', uid: 'su1', accountId: userId, kind: 'Session' }, 60);
    await codes.upsert('c1', { jti: 'c1', grantId: 'g1', sessionUid: 'su1', accountId: userId }, 60);

    await inPayloadUnit(db, async () => {
      assert.equal((await codes.find('c1'))?.grantId, 'g1');
      // Gone from the database now, but already read along with the code (the same snapshot).
      await sql`DELETE FROM oidc_payloads WHERE model IN ('Grant', 'Session')`.execute(db);
      assert.equal((await grants.find('g1'))?.accountId, userId);
      assert.equal((await sessions.findByUid('su1'))?.jti, 's1');
      const account = currentPayloadUnit()?.account(userId);
      assert.equal(account?.userPrincipalName, 'ada@contoso.test');
      assert.equal(account?.accountEnabled, true);
    });
    // A new unit reads again.
    await inPayloadUnit(db, async () => {
      await codes.find('c1');
      assert.equal(await grants.find('g1'), undefined);
      assert.equal(await sessions.findByUid('su1'), undefined);
    });
  });
});

test('a failed flush writes nothing of the unit and fails it; work that throws still sends what it did', async () => {
  await withDb(async (db) => {
    const Adapter = createOidcAdapter({ db, clock: () => new Date() });
    const codes = new Adapter('AuthorizationCode');
    await assert.rejects(
      inPayloadUnit(db, async () => {
        await codes.upsert('good', { kind: 'AuthorizationCode' }, 60);
        // PostgreSQL's jsonb refuses \u0000: the one statement fails, so the good row is not written either.
        await codes.upsert('bad', { kind: 'AuthorizationCode', text: 'a\u0000b' }, 60);
      }),
    );
    assert.equal(await stored(db, 'AuthorizationCode', 'good'), undefined);
    assert.equal(await stored(db, 'AuthorizationCode', 'bad'), undefined);

    await assert.rejects(
      inPayloadUnit(db, async () => {
        await codes.upsert('before-error', { kind: 'AuthorizationCode' }, 60);
        throw new Error('boom');
      }),
      /boom/,
    );
    assert.ok(await stored(db, 'AuthorizationCode', 'before-error'));
  });
});

test('revoking a grant inside a unit sends the held writes first, then removes the grant’s rows', async () => {
  await withDb(async (db) => {
    const Adapter = createOidcAdapter({ db, clock: () => new Date() });
    const tokens = new Adapter('AccessToken');
    await inPayloadUnit(db, async () => {
      await tokens.upsert('a1', { grantId: 'g1', kind: 'AccessToken' }, 60);
      await tokens.upsert('a2', { grantId: 'g2', kind: 'AccessToken' }, 60);
      await tokens.revokeByGrantId('g1');
      assert.equal(await tokens.find('a1'), undefined);
      assert.ok(await tokens.find('a2'));
    });
    assert.equal(await stored(db, 'AccessToken', 'a1'), undefined);
    assert.ok(await stored(db, 'AccessToken', 'a2'));
  });
});

test('a write sent alongside (a token’s sign-in row) lands with the held writes, or not at all', async () => {
  await withDb(async (db) => {
    const Adapter = createOidcAdapter({ db, clock: () => new Date() });
    const tokens = new Adapter('AccessToken');
    const event = (appId: string) =>
      tokenSignInEventsQuery(db, [
        {
          record: {
            userId: null,
            ipAddress: '192.0.2.1',
            userAgent: 'test',
            clientAppUsed: 'Other clients',
            authenticationMethod: 'Authorization code',
            errorCode: 0,
            failureReason: '',
            appId,
            appDisplayName: 'Payroll',
          },
          now: new Date(),
          correlationId: randomUUID(),
        },
      ]);
    const logged = async (appId: string) =>
      (await sql<{ n: number }>`SELECT count(*)::int AS n FROM sign_in_events WHERE app_id = ${appId}`.execute(db))
        .rows[0]!.n;

    await inPayloadUnit(db, async () => {
      assert.equal(currentPayloadUnit()!.alongside(event('nothing-held')), false, 'nothing held: written its own way');
      await tokens.upsert('t1', { grantId: 'g1', kind: 'AccessToken' }, 60);
      assert.equal(currentPayloadUnit()!.alongside(event('with-token')), true);
    });
    assert.equal(await logged('with-token'), 1);
    assert.ok(await stored(db, 'AccessToken', 't1'));

    await assert.rejects(
      inPayloadUnit(db, async () => {
        await tokens.upsert('t2', { grantId: 'g1', kind: 'AccessToken', text: 'a\u0000b' }, 60);
        currentPayloadUnit()!.alongside(event('failed'));
      }),
    );
    assert.equal(await logged('failed'), 0);
    assert.equal(await stored(db, 'AccessToken', 't2'), undefined);
  });
});

test('a row destroyed and saved again in one unit is a new row: its old consumption is gone', async () => {
  await withDb(async (db) => {
    const Adapter = createOidcAdapter({ db, clock: () => new Date() });
    const codes = new Adapter('AuthorizationCode');
    await codes.upsert('c1', { kind: 'AuthorizationCode', n: 1 }, 60);
    await codes.consume('c1');
    await inPayloadUnit(db, async () => {
      await codes.destroy('c1');
      await codes.upsert('c1', { kind: 'AuthorizationCode', n: 2 }, 60);
      assert.equal((await codes.find('c1'))?.consumed, undefined);
    });
    const row = await stored(db, 'AuthorizationCode', 'c1');
    assert.equal(row?.consumed_at, null);
    assert.equal((await codes.find('c1'))?.n, 2);
  });
});
