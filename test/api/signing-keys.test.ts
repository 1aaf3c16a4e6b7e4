// Token-signing keys: created on first start, sealed at rest under the key-encryption key, rotated with the
// replaced keys still published until their tokens have expired. Runs on both databases.
import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey, randomBytes, sign, verify } from 'node:crypto';
import { test } from 'node:test';
import { ConfigError } from '../../src/core/config/config.ts';
import { KeyUnwrapError, openSecret } from '../../src/core/keys/key-wrap.ts';
import { RETIRED_KEY_PUBLISHED_MS } from '../../src/core/keys/signing-keys.ts';
import {
  ensureSigningKeys,
  getPublishedJwks,
  loadPrivateJwks,
  resolveKeyEncryptionKey,
  rotateSigningKeys,
} from '../../src/services/signing-keys.service.ts';
import { getSetting } from '../../src/storage/repositories/settings.repository.ts';
import { startTestApp, type TestApp } from '../kit/app.ts';

const KEK = randomBytes(32).toString('base64url');

async function withApp(env: Record<string, string>, body: (t: TestApp) => Promise<void>): Promise<void> {
  const t = await startTestApp(env);
  try {
    await body(t);
  } finally {
    await t.close();
  }
}

async function storedKeys(t: TestApp) {
  return t.deps.db.selectFrom('signing_keys').selectAll().orderBy('created_at').execute();
}

async function auditActivities(t: TestApp) {
  const rows = await t.deps.db.selectFrom('audit_events').select('activity_display_name').execute();
  return rows.map((r) => r.activity_display_name);
}

test('first start creates one ES256 and one RS256 key, once, and publishes them ES256 first', async () => {
  await withApp({ PASSLESS_KEY_ENCRYPTION_KEY: KEK }, async (t) => {
    const first = await ensureSigningKeys(t.deps);
    assert.equal(first.created.length, 2);
    assert.equal(first.kek.source, 'configured');
    const again = await ensureSigningKeys(t.deps);
    assert.deepEqual(again.created, [], 'a restart adds nothing');
    assert.equal((await storedKeys(t)).length, 2);

    const jwks = await getPublishedJwks(t.deps);
    assert.deepEqual(
      jwks.keys.map((k) => [k.alg, k.kty, k.use]),
      [
        ['ES256', 'EC', 'sig'],
        ['RS256', 'RSA', 'sig'],
      ],
    );
    const [ec, rsa] = jwks.keys;
    assert.equal(ec!.crv, 'P-256');
    assert.ok(ec!.x && ec!.y && rsa!.n && rsa!.e);
    assert.deepEqual(new Set(jwks.keys.map((k) => k.kid)), new Set(first.created));
    for (const key of jwks.keys) {
      assert.equal('d' in key || 'p' in key || 'q' in key, false, 'the JWKS holds no private member');
    }
    assert.deepEqual(await auditActivities(t), ['Add token signing keys']);
  });
});

test('instances starting at once create the keys only once', async () => {
  await withApp({ PASSLESS_KEY_ENCRYPTION_KEY: KEK }, async (t) => {
    const results = await Promise.all([
      ensureSigningKeys(t.deps),
      ensureSigningKeys(t.deps),
      ensureSigningKeys(t.deps),
    ]);
    assert.equal(results.flatMap((r) => r.created).length, 2);
    assert.equal((await storedKeys(t)).length, 2);
  });
});

test('private keys are sealed at rest: no readable JWK, and only the right key-encryption key opens them', async () => {
  await withApp({ PASSLESS_KEY_ENCRYPTION_KEY: KEK }, async (t) => {
    await ensureSigningKeys(t.deps);
    for (const row of await storedKeys(t)) {
      assert.match(row.sealed_private_key, /^v1\.[\w-]+\.[\w-]+\.[\w-]+$/);
      assert.doesNotMatch(row.sealed_private_key, /"d"|BEGIN/);
      const opened = JSON.parse(openSecret(Buffer.from(KEK, 'base64url'), row.sealed_private_key, row.kid));
      assert.equal(typeof opened.d, 'string');
      assert.equal(opened.kid, row.kid);
      assert.throws(() => openSecret(randomBytes(32), row.sealed_private_key, row.kid), KeyUnwrapError);
      assert.throws(
        () => openSecret(Buffer.from(KEK, 'base64url'), row.sealed_private_key, 'another-kid'),
        KeyUnwrapError,
        'a sealed key moved onto another row does not open',
      );
    }
    // What the provider will sign with: each private key matches its published public key.
    const privateJwks = await loadPrivateJwks(t.deps);
    const published = (await getPublishedJwks(t.deps)).keys;
    assert.deepEqual(
      privateJwks.map((k) => k.kid),
      published.map((k) => k.kid),
    );
    for (const [i, jwk] of privateJwks.entries()) {
      const data = Buffer.from('header.payload');
      const signature = sign('sha256', data, createPrivateKey({ key: jwk, format: 'jwk' }));
      assert.ok(verify('sha256', data, createPublicKey({ key: { ...published[i]! }, format: 'jwk' }), signature));
    }
  });
});

test('a start with a different PASSLESS_KEY_ENCRYPTION_KEY stops with a message naming the setting', async () => {
  await withApp({ PASSLESS_KEY_ENCRYPTION_KEY: KEK }, async (t) => {
    await ensureSigningKeys(t.deps);
    const other = { ...t.deps, config: { ...t.config, keyEncryptionKey: randomBytes(32).toString('base64url') } };
    await assert.rejects(
      ensureSigningKeys(other),
      (e: unknown) => e instanceof ConfigError && /PASSLESS_KEY_ENCRYPTION_KEY/.test(e.message),
    );
  });
});

test('without PASSLESS_KEY_ENCRYPTION_KEY a generated development key is kept in the database and reported', async () => {
  await withApp({}, async (t) => {
    const { kek } = await ensureSigningKeys(t.deps);
    assert.equal(kek.source, 'generated');
    const stored = await getSetting<string>(t.deps.db, 'signingKeys.developmentKeyEncryptionKey');
    assert.equal(stored, kek.key.toString('base64url'));
    // A restart finds the same key and can still open the signing keys.
    assert.deepEqual((await resolveKeyEncryptionKey(t.deps)).key, kek.key);
    assert.equal((await loadPrivateJwks(t.deps)).length, 2);
  });
});

test('rotation adds new current keys; the replaced ones stay published until not_after, then drop out', async () => {
  await withApp({ PASSLESS_KEY_ENCRYPTION_KEY: KEK }, async (t) => {
    const initial = await ensureSigningKeys(t.deps);
    const before = t.deps.clock();
    const rotation = await rotateSigningKeys(t.deps, { source: 'test' });
    assert.deepEqual(
      rotation.added.map((k) => k.alg),
      ['ES256', 'RS256'],
    );
    assert.deepEqual(new Set(rotation.retired), new Set(initial.created));
    const publishedUntil = new Date(rotation.retiredPublishedUntil).getTime();
    assert.ok(Math.abs(publishedUntil - before.getTime() - RETIRED_KEY_PUBLISHED_MS) < 5_000);

    const newEs = rotation.added[0]!.kid;
    const newRsa = rotation.added[1]!.kid;
    const published = (await getPublishedJwks(t.deps)).keys;
    assert.equal(published.length, 4);
    assert.equal(published[0]!.kid, newEs, 'the newest ES256 key comes first: it signs');
    assert.deepEqual(
      published.map((k) => k.alg),
      ['ES256', 'ES256', 'RS256', 'RS256'],
    );
    assert.equal(published[2]!.kid, newRsa);
    assert.equal((await loadPrivateJwks(t.deps))[0]!.kid, newEs);
    // A restart after a rotation creates nothing: every algorithm has a current key.
    assert.deepEqual((await ensureSigningKeys(t.deps)).created, []);

    t.advance(RETIRED_KEY_PUBLISHED_MS / 60_000 - 1);
    assert.equal((await getPublishedJwks(t.deps)).keys.length, 4, 'still published just before not_after');
    t.advance(2);
    assert.deepEqual(
      (await getPublishedJwks(t.deps)).keys.map((k) => k.kid),
      [newEs, newRsa],
    );
    assert.equal((await storedKeys(t)).length, 4, 'expired keys are unpublished, not deleted');

    const audit = await t.deps.db
      .selectFrom('audit_events')
      .selectAll()
      .where('activity_display_name', '=', 'Rotate token signing keys')
      .execute();
    assert.equal(audit.length, 1);
    assert.equal(audit[0]!.category, 'KeyManagement');
  });
});
