// The OpenID Connect provider as mounted in issue 3, step 2: discovery and JWKS served by node-oidc-provider
// with Passless's signing keys, its storage adapter on both databases, and its errors kept its own.
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { allowInsecureRequests, discovery } from 'openid-client';
import { loadConfig } from '../../src/core/config/config.ts';
import { buildApp } from '../../src/server/app.ts';
import { createOidcAdapter } from '../../src/server/oidc/adapter.ts';
import type { Deps } from '../../src/services/deps.ts';
import { ensureSigningKeys, getPublishedJwks } from '../../src/services/signing-keys.service.ts';
import { startTestApp, type TestApp } from '../kit/app.ts';
import { createTestDatabase } from '../kit/database.ts';

async function withApp(body: (t: TestApp) => Promise<void>): Promise<void> {
  const t = await startTestApp();
  try {
    await ensureSigningKeys(t.deps);
    await body(t);
  } finally {
    await t.close();
  }
}

test('openid-client discovers the provider on a real port: issuer, algorithms, PKCE, grant types', async () => {
  const handle = await createTestDatabase();
  // The issuer must be the address the client reaches, so the port is picked first and the app built for it.
  const probe = await buildApp({
    db: handle.db,
    config: loadConfig({ PASSLESS_PUBLIC_URL: 'http://localhost:8080', PASSLESS_LOG_LEVEL: 'silent' }),
    clock: () => new Date(),
  });
  await probe.listen({ port: 0, host: '127.0.0.1' });
  const { port } = probe.server.address() as AddressInfo;
  await probe.close();
  const origin = `http://localhost:${port}`;
  const deps: Deps = {
    db: handle.db,
    config: loadConfig({ PASSLESS_PUBLIC_URL: origin, PASSLESS_LOG_LEVEL: 'silent' }),
    clock: () => new Date(),
  };
  await ensureSigningKeys(deps);
  const app = await buildApp(deps);
  try {
    await app.listen({ port, host: '127.0.0.1' });
    const config = await discovery(new URL(origin), 'unused-client', undefined, undefined, {
      execute: [allowInsecureRequests],
    });
    const meta = config.serverMetadata();
    assert.equal(meta.issuer, origin);
    assert.equal(meta.jwks_uri, `${origin}/jwks`);
    assert.ok(meta.id_token_signing_alg_values_supported?.includes('ES256'));
    assert.ok(meta.id_token_signing_alg_values_supported?.includes('RS256'));
    assert.deepEqual(meta.code_challenge_methods_supported, ['S256']);
    assert.deepEqual(meta.response_types_supported, ['code']);
    const grants = meta.grant_types_supported ?? [];
    assert.ok(grants.includes('authorization_code'));
    assert.ok(!grants.includes('implicit'));
    assert.ok(!grants.includes('password'));
    assert.equal(meta.registration_endpoint, undefined);
    assert.ok(meta.claims_supported?.includes('preferred_username'));
  } finally {
    await app.close();
    await handle.close();
  }
});

test('the JWKS holds exactly the published keys, public members only', async () => {
  await withApp(async (t) => {
    const res = await t.app.inject({ method: 'GET', url: '/jwks', headers: { host: 'localhost:8080' } });
    assert.equal(res.statusCode, 200);
    const served = res.json() as { keys: Record<string, unknown>[] };
    const published = await getPublishedJwks(t.deps);
    assert.deepEqual(
      served.keys.map((k) => k.kid),
      published.keys.map((k) => k.kid),
    );
    assert.deepEqual(served.keys.map((k) => k.alg).sort(), ['ES256', 'RS256']);
    for (const key of served.keys) {
      for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi']) assert.equal(key[member], undefined, member);
    }
  });
});

test('discovery JSON through the Fastify server keeps the public URL as issuer', async () => {
  await withApp(async (t) => {
    const res = await t.app.inject({
      method: 'GET',
      url: '/.well-known/openid-configuration',
      headers: { host: 'localhost:8080' },
    });
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers['content-type']), /application\/json/);
    assert.equal(res.json().issuer, t.config.origin);
    assert.equal(res.headers['x-content-type-options'], 'nosniff');
  });
});

test('an authorization request for an unknown client gets the provider’s own error, not a 5xx', async () => {
  await withApp(async (t) => {
    const url =
      '/auth?client_id=unknown&response_type=code&scope=openid&redirect_uri=https%3A%2F%2Fexample.test%2Fcb&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256';
    const res = await t.app.inject({ method: 'GET', url, headers: { host: 'localhost:8080' } });
    assert.equal(res.statusCode, 400);
    assert.match(res.body, /invalid_client/);
    const token = await t.app.inject({
      method: 'POST',
      url: '/token',
      headers: { host: 'localhost:8080', 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'grant_type=password&username=a&password=b&client_id=unknown',
    });
    assert.ok(token.statusCode >= 400 && token.statusCode < 500, String(token.statusCode));
    assert.ok(typeof token.json().error === 'string');
  });
});

test('Passless routes are unaffected; an unknown interaction answers with a message, not a sign-in', async () => {
  await withApp(async (t) => {
    const signin = await t.app.inject({ method: 'GET', url: '/signin', headers: { host: 'localhost:8080' } });
    assert.equal(signin.statusCode, 200);
    assert.match(String(signin.headers['content-security-policy']), /default-src 'self'/);
    const graph = await t.app.inject({ method: 'GET', url: '/v1.0/users', headers: { host: 'localhost:8080' } });
    assert.equal(graph.statusCode, 401);
    assert.equal(typeof graph.json().error.code, 'string');
    const page = await t.app.inject({
      method: 'GET',
      url: '/oidc/interaction/abc',
      headers: { host: 'localhost:8080' },
    });
    assert.equal(page.statusCode, 200, 'the page is static; its script asks the server');
    assert.equal(page.headers['cache-control'], 'no-store');
    const interaction = await t.app.inject({
      method: 'POST',
      url: '/oidc/interaction/abc',
      headers: { host: 'localhost:8080', origin: 'http://localhost:8080', 'content-type': 'application/json' },
      payload: '{}',
    });
    assert.equal(interaction.statusCode, 410);
    assert.match(interaction.json().error.message, /expired or was started in another browser/);
    const crossSite = await t.app.inject({
      method: 'POST',
      url: '/oidc/interaction/abc',
      headers: { host: 'localhost:8080', origin: 'https://evil.example', 'content-type': 'application/json' },
      payload: '{}',
    });
    assert.equal(crossSite.statusCode, 403);
  });
});

test('the storage adapter: upsert, find, lookups, consume, destroy, revokeByGrantId, expiry', async () => {
  await withApp(async (t) => {
    let offset = 0;
    const Adapter = createOidcAdapter({ db: t.deps.db, clock: () => new Date(Date.now() + offset) });
    const codes = new Adapter('AuthorizationCode');
    const sessions = new Adapter('Interaction');
    const devices = new Adapter('DeviceCode');

    await codes.upsert('c1', { grantId: 'g1', accountId: 'a', kind: 'AuthorizationCode' }, 60);
    await codes.upsert('c2', { grantId: 'g1', kind: 'AuthorizationCode' }, 60);
    await codes.upsert('c3', { grantId: 'g2', kind: 'AuthorizationCode' }, 60);
    assert.deepEqual(await codes.find('c1'), { grantId: 'g1', accountId: 'a', kind: 'AuthorizationCode' });
    assert.equal(await codes.find('missing'), undefined);
    // Another model's adapter does not see the row.
    assert.equal(await sessions.find('c1'), undefined);

    // upsert replaces the payload.
    await codes.upsert('c1', { grantId: 'g1', accountId: 'b', kind: 'AuthorizationCode' }, 60);
    assert.equal((await codes.find('c1'))?.accountId, 'b');

    await sessions.upsert('i1', { uid: 'u-1', kind: 'Interaction' }, 60);
    assert.equal((await sessions.findByUid('u-1'))?.kind, 'Interaction');
    await devices.upsert('d1', { userCode: 'ABCD-EFGH', kind: 'DeviceCode' }, 60);
    assert.equal((await devices.findByUserCode('ABCD-EFGH'))?.kind, 'DeviceCode');

    await codes.consume('c1');
    const consumed = await codes.find('c1');
    assert.equal(typeof consumed?.consumed, 'number');
    await codes.consume('c1');
    assert.equal((await codes.find('c1'))?.consumed, consumed?.consumed);

    await codes.revokeByGrantId('g1');
    assert.equal(await codes.find('c1'), undefined);
    assert.equal(await codes.find('c2'), undefined);
    assert.ok(await codes.find('c3'));

    await codes.destroy('c3');
    assert.equal(await codes.find('c3'), undefined);

    offset = 61_000;
    assert.equal(await sessions.findByUid('u-1'), undefined);
    // A device code outlives its expiry by ten minutes, so the device polling it hears `expired_token` (the
    // provider checks the expiry in the payload itself), and then it is gone too.
    assert.equal((await devices.findByUserCode('ABCD-EFGH'))?.kind, 'DeviceCode');
    offset = 61_000 + 10 * 60_000;
    assert.equal(await devices.findByUserCode('ABCD-EFGH'), undefined);
  });
});
