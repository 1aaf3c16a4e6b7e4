// GET /v1.0/organization with Graph's shape: the tenant id (the one the Entra-style endpoints name), the name and
// the verified domain (the host of PASSLESS_PUBLIC_URL); readable by any person with a full session.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { getTenantId } from '../../src/services/tenant.service.ts';
import { newUserWithTap, ORIGIN, signInWithTap } from '../kit/app.ts';
import { adminSuite, assertGraphError, freshIp, onboardPerson, type Person } from '../kit/directory.ts';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('organization', () => {
  const suite = adminSuite();
  let member: Person;

  before(async () => {
    member = await onboardPerson(suite.t, suite.admin, suite.upn('member'));
  });

  test('GET /v1.0/organization answers the tenant with its id, name and verified domain', async () => {
    const res = await suite.admin.request('GET', '/v1.0/organization');
    assert.equal(res.status, 200, JSON.stringify(res.json));
    assert.equal(res.json['@odata.context'], `${ORIGIN}/v1.0/$metadata#organization`);
    assert.equal(res.json.value.length, 1);
    const [org] = res.json.value;
    assert.match(org.id, GUID);
    assert.equal(org.id, await getTenantId(suite.t.deps), 'the tenant id the OIDC endpoints use');
    const stored = await sql<{ value: unknown }>`SELECT value FROM settings WHERE key = 'tenantId'`.execute(
      suite.t.deps.db,
    );
    assert.equal(JSON.stringify(stored.rows[0]?.value).includes(org.id), true, 'the id is the stored one');
    assert.equal(org.displayName, 'Passless');
    assert.deepEqual(org.verifiedDomains, [
      { name: new URL(ORIGIN).hostname, isDefault: true, isInitial: true, type: 'Managed' },
    ]);

    const again = await suite.admin.request('GET', '/v1.0/organization');
    assert.equal(again.json.value[0].id, org.id, 'the tenant id is stable');
  });

  test('GET /v1.0/organization/{id} answers the entity; another id answers 404', async () => {
    const { id } = (await suite.admin.request('GET', '/v1.0/organization')).json.value[0];
    const res = await suite.admin.request('GET', `/v1.0/organization/${id}`);
    assert.equal(res.status, 200, JSON.stringify(res.json));
    assert.equal(res.json['@odata.context'], `${ORIGIN}/v1.0/$metadata#organization/$entity`);
    assert.equal(res.json.id, id);
    assert.equal(res.json.displayName, 'Passless');
    assert.equal(res.json.verifiedDomains[0].name, 'localhost');
    assert.equal((await suite.admin.request('GET', `/v1.0/organization/${id.toUpperCase()}`)).json.id, id);
    assertGraphError(
      await suite.admin.request('GET', '/v1.0/organization/00000000-0000-4000-8000-000000000000'),
      404,
      'itemNotFound',
    );
    assertGraphError(await suite.admin.request('GET', '/v1.0/organization/contoso'), 404, 'itemNotFound');
  });

  test('a member without any role reads it too', async () => {
    const admin = (await suite.admin.request('GET', '/v1.0/organization')).json.value[0];
    const res = await member.client.request('GET', '/v1.0/organization');
    assert.equal(res.status, 200, JSON.stringify(res.json));
    assert.equal(res.json.value[0].id, admin.id);
  });

  test('without a session it answers 401; a Temporary Access Pass session answers 403', async () => {
    assertGraphError(await suite.t.client().request('GET', '/v1.0/organization'), 401, 'unauthenticated');
    const upn = suite.upn('newcomer');
    const { pass } = await newUserWithTap(suite.admin, upn);
    const bootstrap = suite.t.client({ ip: freshIp() });
    assert.equal((await signInWithTap(bootstrap, upn, pass.temporaryAccessPass)).status, 200);
    const res = await bootstrap.request('GET', '/v1.0/organization');
    assertGraphError(res, 403, 'bootstrapSessionOnly');
    const tenantId = await getTenantId(suite.t.deps);
    assert.ok(!JSON.stringify(res.json).includes(tenantId), 'no tenant id for a pass session');
  });
});
