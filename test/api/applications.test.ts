// /v1.0/applications with Graph's shapes: create, list with paging, get (by id and by appId), update, delete;
// client secrets shown once by addPassword and stored only as a verifier; validation; roles; audit records.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { sql } from 'kysely';
import {
  adminSuite,
  allPages,
  assertGraphError,
  auditRowsFor,
  correlated,
  type Json,
  onboardPerson,
  type Person,
} from '../kit/directory.ts';

const APP_FIELDS = [
  '@odata.context',
  '@odata.type',
  'appId',
  'createdDateTime',
  'displayName',
  'id',
  'idTokenSigningAlgorithm',
  'isFallbackPublicClient',
  'isFirstParty',
  'passwordCredentials',
  'publicClient',
  'requiredResourceAccess',
  'signInAudience',
  'spa',
  'web',
];
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const GRAPH = '00000003-0000-0000-c000-000000000000';
const USER_READ = 'e1fe6dd8-ba31-4d61-89e7-88639da4683d';

describe('applications', () => {
  const suite = adminSuite();
  let member: Person;
  let userAdmin: Person;
  let appAdmin: Person;

  const create = (body: Record<string, unknown>, headers: Record<string, string> = {}) =>
    suite.admin.request('POST', '/v1.0/applications', body, headers);
  const newApp = async (displayName = 'Contoso app') => {
    const res = await create({ displayName });
    assert.equal(res.status, 201, JSON.stringify(res.json));
    return res.json;
  };

  before(async () => {
    member = await onboardPerson(suite.t, suite.admin, suite.upn('member'));
    userAdmin = await onboardPerson(suite.t, suite.admin, suite.upn('useradmin'), { roles: ['userAdministrator'] });
    appAdmin = await onboardPerson(suite.t, suite.admin, suite.upn('appadmin'), {
      roles: ['cloudApplicationAdministrator'],
    });
  });

  test('creating an application answers 201 with the Graph application; GET by id and by appId return it', async () => {
    const res = await create({
      displayName: 'Payroll',
      web: { redirectUris: ['https://payroll.contoso.test/signin-oidc', 'http://localhost:5000/callback'] },
      spa: { redirectUris: ['https://spa.contoso.test/'] },
      publicClient: { redirectUris: ['http://127.0.0.1:8400/', 'contoso-payroll://auth'] },
      isFallbackPublicClient: false,
      requiredResourceAccess: [{ resourceAppId: GRAPH, resourceAccess: [{ id: USER_READ, type: 'Scope' }] }],
    });
    assert.equal(res.status, 201, JSON.stringify(res.json));
    assert.deepEqual(Object.keys(res.json).sort(), APP_FIELDS);
    assert.match(res.json['@odata.context'], /\$metadata#applications\/\$entity$/);
    assert.equal(res.json['@odata.type'], '#microsoft.graph.application');
    assert.match(res.json.id, GUID);
    assert.match(res.json.appId, GUID);
    assert.notEqual(res.json.id, res.json.appId);
    assert.equal(res.json.displayName, 'Payroll');
    assert.equal(res.json.signInAudience, 'AzureADMyOrg');
    assert.ok(!Number.isNaN(Date.parse(res.json.createdDateTime)));
    assert.deepEqual(res.json.web, {
      redirectUris: ['https://payroll.contoso.test/signin-oidc', 'http://localhost:5000/callback'],
    });
    assert.deepEqual(res.json.spa, { redirectUris: ['https://spa.contoso.test/'] });
    assert.deepEqual(res.json.publicClient, { redirectUris: ['http://127.0.0.1:8400/', 'contoso-payroll://auth'] });
    assert.equal(res.json.isFallbackPublicClient, false);
    assert.deepEqual(res.json.requiredResourceAccess, [
      { resourceAppId: GRAPH, resourceAccess: [{ id: USER_READ, type: 'Scope' }] },
    ]);
    assert.deepEqual(res.json.passwordCredentials, []);

    const byId = await suite.admin.request('GET', `/v1.0/applications/${res.json.id}`);
    assert.equal(byId.status, 200, JSON.stringify(byId.json));
    assert.deepEqual(byId.json, res.json);
    const byAppId = await suite.admin.request('GET', `/v1.0/applications(appId='${res.json.appId}')`);
    assert.equal(byAppId.status, 200, JSON.stringify(byAppId.json));
    assert.deepEqual(byAppId.json, res.json);

    const defaults = await newApp('Defaults');
    assert.deepEqual(
      [
        defaults.web,
        defaults.spa,
        defaults.publicClient,
        defaults.isFallbackPublicClient,
        defaults.requiredResourceAccess,
      ],
      [{ redirectUris: [] }, { redirectUris: [] }, { redirectUris: [] }, false, []],
    );
  });

  test('isFirstParty defaults to false, is set on create and by PATCH, and is audited', async () => {
    const plain = await newApp('Third party');
    assert.equal(plain.isFirstParty, false);

    const c1 = correlated();
    const created = await create({ displayName: 'First party', isFirstParty: true }, c1.headers);
    assert.equal(created.status, 201, JSON.stringify(created.json));
    assert.equal(created.json.isFirstParty, true);
    assert.equal((await suite.admin.request('GET', `/v1.0/applications/${created.json.id}`)).json.isFirstParty, true);
    const [add] = await auditRowsFor(suite.admin, c1.id);
    assert.ok(
      add.targetResources[0].modifiedProperties.some(
        (p: Json) => p.displayName === 'isFirstParty' && p.newValue === 'true',
      ),
      JSON.stringify(add),
    );

    const c2 = correlated();
    const patch = await suite.admin.request(
      'PATCH',
      `/v1.0/applications/${plain.id}`,
      { isFirstParty: true },
      c2.headers,
    );
    assert.equal(patch.status, 204, JSON.stringify(patch.json));
    const got = (await suite.admin.request('GET', `/v1.0/applications/${plain.id}`)).json;
    assert.equal(got.isFirstParty, true);
    assert.equal(got.displayName, 'Third party', 'other fields are untouched');
    const [update] = await auditRowsFor(suite.admin, c2.id);
    assert.deepEqual(update.targetResources[0].modifiedProperties, [
      { displayName: 'isFirstParty', oldValue: 'false', newValue: 'true' },
    ]);
    const list = await allPages(suite.admin, '/v1.0/applications');
    assert.equal(list.items.find((a: Json) => a.id === plain.id)?.isFirstParty, true);

    await suite.admin.request('PATCH', `/v1.0/applications/${plain.id}`, { isFirstParty: false });
    assert.equal((await suite.admin.request('GET', `/v1.0/applications/${plain.id}`)).json.isFirstParty, false);
  });

  test('isFirstParty must be a boolean: anything else answers 400 and changes nothing', async () => {
    for (const value of ['true', 1, null, {}]) {
      assertGraphError(
        await create({ displayName: 'Bad first party', isFirstParty: value }),
        400,
        'badRequest',
        /isFirstParty must be true or false/,
      );
    }
    const app = await newApp('Stays third party');
    assertGraphError(
      await suite.admin.request('PATCH', `/v1.0/applications/${app.id}`, { isFirstParty: 'yes' }),
      400,
      'badRequest',
      /isFirstParty/,
    );
    assert.equal((await suite.admin.request('GET', `/v1.0/applications/${app.id}`)).json.isFirstParty, false);
    const list = await allPages(suite.admin, '/v1.0/applications');
    assert.ok(!list.items.some((a: Json) => a.displayName === 'Bad first party'));
  });

  test('a person without an application role cannot make an application first-party', async () => {
    const app = await newApp('Consent stays');
    assertGraphError(
      await userAdmin.client.request('PATCH', `/v1.0/applications/${app.id}`, { isFirstParty: true }),
      403,
      'accessDenied',
    );
    assert.equal((await suite.admin.request('GET', `/v1.0/applications/${app.id}`)).json.isFirstParty, false);
  });

  test('$search="displayName:…" finds applications by a case-insensitive part of the name', async () => {
    await newApp('Search Zebrafish North');
    await newApp('Search zebrafish south');
    await newApp('Search 100%_literal');
    await newApp('Search Intranet');
    const search = (term: string) =>
      allPages(suite.admin, `/v1.0/applications?$top=1&$search=${encodeURIComponent(term)}`, {
        ConsistencyLevel: 'eventual',
      });
    const names = async (term: string) => (await search(term)).items.map((a: Json) => a.displayName).sort();
    assert.deepEqual(await names('"displayName:ZEBRAFISH"'), ['Search Zebrafish North', 'Search zebrafish south']);
    assert.deepEqual(await names('"%_"'), ['Search 100%_literal'], 'LIKE wildcards are taken literally');
    assert.deepEqual(await names('"displayName:nothing like it"'), []);
    assertGraphError(
      await suite.admin.request('GET', `/v1.0/applications?$search=${encodeURIComponent('"payroll"')}`),
      400,
      'badRequest',
      /ConsistencyLevel/,
    );
    assertGraphError(
      await suite.admin.request('GET', '/v1.0/applications?$search=payroll', undefined, {
        ConsistencyLevel: 'eventual',
      }),
      400,
      'badRequest',
      /double quotes/,
    );
  });

  test('an unknown application answers 404 in the Graph shape', async () => {
    assertGraphError(
      await suite.admin.request('GET', '/v1.0/applications/00000000-0000-4000-8000-000000000000'),
      404,
      'itemNotFound',
    );
    assertGraphError(await suite.admin.request('GET', '/v1.0/applications/not-a-guid'), 404, 'itemNotFound');
    assertGraphError(
      await suite.admin.request('GET', "/v1.0/applications(appId='00000000-0000-4000-8000-000000000000')"),
      404,
      'itemNotFound',
    );
  });

  test('PATCH changes the given fields only and answers 204; DELETE removes the application', async () => {
    const app = await newApp('Before');
    const patch = await suite.admin.request('PATCH', `/v1.0/applications/${app.id}`, {
      displayName: 'After',
      spa: { redirectUris: ['https://after.contoso.test/'] },
      isFallbackPublicClient: true,
    });
    assert.equal(patch.status, 204, JSON.stringify(patch.json));
    const got = (await suite.admin.request('GET', `/v1.0/applications/${app.id}`)).json;
    assert.equal(got.displayName, 'After');
    assert.deepEqual(got.spa.redirectUris, ['https://after.contoso.test/']);
    assert.deepEqual(got.web.redirectUris, []);
    assert.equal(got.isFallbackPublicClient, true);
    assert.equal(got.appId, app.appId);

    const byAppId = await suite.admin.request('PATCH', `/v1.0/applications(appId='${app.appId}')`, {
      displayName: 'By appId',
    });
    assert.equal(byAppId.status, 204, JSON.stringify(byAppId.json));
    assert.equal((await suite.admin.request('GET', `/v1.0/applications/${app.id}`)).json.displayName, 'By appId');

    assert.equal((await suite.admin.request('DELETE', `/v1.0/applications/${app.id}`)).status, 204);
    assertGraphError(await suite.admin.request('GET', `/v1.0/applications/${app.id}`), 404, 'itemNotFound');
    assertGraphError(await suite.admin.request('DELETE', `/v1.0/applications/${app.id}`), 404, 'itemNotFound');
  });

  test('addPassword returns secretText once; reads show null; the database holds only a verifier', async () => {
    const app = await newApp('Daemon');
    const res = await suite.admin.request('POST', `/v1.0/applications/${app.id}/addPassword`, {
      passwordCredential: { displayName: 'CI secret' },
    });
    assert.equal(res.status, 200, JSON.stringify(res.json));
    const secret: string = res.json.secretText;
    assert.match(secret, /^[A-Za-z0-9_-]{43}$/, '256 random bits, base64url');
    assert.match(res.json.keyId, GUID);
    assert.equal(res.json.displayName, 'CI secret');
    assert.equal(res.json.hint, secret.slice(0, 3));
    const start = Date.parse(res.json.startDateTime);
    const end = Date.parse(res.json.endDateTime);
    const twoYears = 2 * 365 * 24 * 60 * 60 * 1000;
    assert.ok(Math.abs(end - start - twoYears) < 60_000, 'the default lifetime is two years');

    const got = (await suite.admin.request('GET', `/v1.0/applications/${app.id}`)).json;
    assert.deepEqual(got.passwordCredentials, [
      {
        customKeyIdentifier: null,
        displayName: 'CI secret',
        endDateTime: res.json.endDateTime,
        hint: secret.slice(0, 3),
        keyId: res.json.keyId,
        secretText: null,
        startDateTime: res.json.startDateTime,
      },
    ]);
    const list = await allPages(suite.admin, '/v1.0/applications');
    assert.ok(!JSON.stringify(list.items).includes(secret), 'no list shows the secret');
    assert.ok(!JSON.stringify(got).includes(secret), 'no read shows the secret');

    const rows = await sql<Record<string, unknown>>`SELECT * FROM application_password_credentials`.execute(
      suite.t.deps.db,
    );
    assert.ok(rows.rows.length >= 1);
    for (const row of rows.rows) {
      for (const [column, value] of Object.entries(row)) {
        assert.ok(!String(value).includes(secret), `column ${column} holds the secret`);
      }
    }
    const mine = rows.rows.find((r) => r.key_id === res.json.keyId)!;
    const { createHash } = await import('node:crypto');
    assert.equal(mine.secret_verifier, createHash('sha256').update(secret).digest('base64url'));
    const audit = await suite.admin.request('GET', '/v1.0/auditLogs/directoryAudits?$top=1000');
    assert.ok(!JSON.stringify(audit.json).includes(secret), 'the audit log never holds the secret');
  });

  test('addPassword takes endDateTime up to two years ahead and refuses more, the past, or a chosen secret', async () => {
    const app = await newApp('Lifetimes');
    const add = (credential: Record<string, unknown>) =>
      suite.admin.request('POST', `/v1.0/applications/${app.id}/addPassword`, { passwordCredential: credential });
    const soon = new Date(suite.t.deps.clock().getTime() + 30 * 24 * 60 * 60 * 1000).toISOString();
    const ok = await add({ endDateTime: soon });
    assert.equal(ok.status, 200, JSON.stringify(ok.json));
    assert.equal(ok.json.endDateTime, soon);
    assert.equal(ok.json.displayName, null);
    const far = new Date(suite.t.deps.clock().getTime() + 3 * 365 * 24 * 60 * 60 * 1000).toISOString();
    assertGraphError(await add({ endDateTime: far }), 400, 'badRequest', /at most two years/);
    assertGraphError(await add({ endDateTime: '2001-01-01T00:00:00Z' }), 400, 'badRequest', /future/);
    assertGraphError(await add({ endDateTime: 'tomorrow' }), 400, 'badRequest', /ISO 8601/);
    assertGraphError(await add({ secretText: 'mine' }), 400, 'badRequest', /cannot be chosen/);
    const empty = await suite.admin.request('POST', `/v1.0/applications/${app.id}/addPassword`, {});
    assert.equal(empty.status, 200, JSON.stringify(empty.json));
  });

  test('removePassword removes the secret by keyId and answers 204; an unknown keyId answers 404', async () => {
    const app = await newApp('Rotate');
    const added = await suite.admin.request('POST', `/v1.0/applications/${app.id}/addPassword`, {
      passwordCredential: { displayName: 'old' },
    });
    const removed = await suite.admin.request('POST', `/v1.0/applications/${app.id}/removePassword`, {
      keyId: added.json.keyId,
    });
    assert.equal(removed.status, 204, JSON.stringify(removed.json));
    assert.deepEqual((await suite.admin.request('GET', `/v1.0/applications/${app.id}`)).json.passwordCredentials, []);
    assertGraphError(
      await suite.admin.request('POST', `/v1.0/applications/${app.id}/removePassword`, { keyId: added.json.keyId }),
      404,
      'itemNotFound',
    );
    assertGraphError(
      await suite.admin.request('POST', `/v1.0/applications/${app.id}/removePassword`, { keyId: 'x' }),
      400,
      'badRequest',
      /keyId/,
    );
  });

  test('deleting an application deletes its secrets', async () => {
    const app = await newApp('Gone');
    await suite.admin.request('POST', `/v1.0/applications/${app.id}/addPassword`, {});
    assert.equal((await suite.admin.request('DELETE', `/v1.0/applications/${app.id}`)).status, 204);
    const rows = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM application_password_credentials WHERE application_id = ${app.id}`.execute(
      suite.t.deps.db,
    );
    assert.equal(rows.rows[0]!.n, 0);
  });

  test('bad redirect URIs are refused with 400 saying what to fix, and nothing is created', async () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ web: { redirectUris: ['http://app.contoso.test/cb'] } }, /use https/],
      [{ spa: { redirectUris: ['/relative/callback'] } }, /not an absolute URI/],
      [{ web: { redirectUris: ['https://app.contoso.test/cb#frag'] } }, /fragment/],
      [{ web: { redirectUris: ['https://*.contoso.test/cb'] } }, /wildcard/],
      [{ spa: { redirectUris: ['contoso://auth'] } }, /must use https/],
      [{ web: { redirectUris: ['javascript://alert(1)'] } }, /must use https/],
      [{ publicClient: { redirectUris: ['javascript://x'] } }, /must use https/],
      [{ web: { redirectUris: [`https://a.test/${'x'.repeat(300)}`] } }, /at most|1 to 256/],
      [{ web: { redirectUris: Array.from({ length: 257 }, (_, i) => `https://a.test/${i}`) } }, /at most 256 URIs/],
      [{ web: { redirectUris: 'https://a.test/' } }, /array/],
      [{ web: { redirectUri: ['https://a.test/'] } }, /only web.redirectUris/],
    ];
    for (const [fields, message] of cases) {
      const res = await create({ displayName: 'Bad redirect', ...fields });
      assertGraphError(res, 400, 'badRequest', message);
    }
    const app = await newApp('Patched badly');
    assertGraphError(
      await suite.admin.request('PATCH', `/v1.0/applications/${app.id}`, {
        web: { redirectUris: ['http://evil.test/'] },
      }),
      400,
      'badRequest',
      /use https/,
    );
    const list = await allPages(suite.admin, '/v1.0/applications');
    assert.ok(!list.items.some((a: Json) => a.displayName === 'Bad redirect'));
  });

  test('unknown, read-only and invalid fields are refused with 400; passwordCredentials points to addPassword', async () => {
    assertGraphError(await create({ displayName: 'X', color: 'blue' }), 400, 'badRequest', /'color' is not supported/);
    assertGraphError(await create({}), 400, 'badRequest', /displayName is required/);
    assertGraphError(await create({ displayName: '' }), 400, 'badRequest', /displayName/);
    assertGraphError(await create({ displayName: 'x'.repeat(257) }), 400, 'badRequest', /256/);
    assertGraphError(await create({ displayName: 'X', appId: GRAPH }), 400, 'badRequest', /read-only/);
    assertGraphError(
      await create({ displayName: 'X', isFallbackPublicClient: 'yes' }),
      400,
      'badRequest',
      /true or false/,
    );
    assertGraphError(
      await create({ displayName: 'X', signInAudience: 'AzureADMultipleOrgs' }),
      400,
      'badRequest',
      /AzureADMyOrg/,
    );
    assertGraphError(
      await create({ displayName: 'X', requiredResourceAccess: [{ resourceAppId: 'graph' }] }),
      400,
      'badRequest',
      /requiredResourceAccess/,
    );
    const withSecret = await create({
      displayName: 'X',
      passwordCredentials: [{ displayName: 's', secretText: 'chosen' }],
    });
    assertGraphError(withSecret, 400, 'badRequest', /addPassword/);
    const app = await newApp('Strict');
    assertGraphError(
      await suite.admin.request('PATCH', `/v1.0/applications/${app.id}`, { passwordCredentials: [] }),
      400,
      'badRequest',
      /addPassword/,
    );
    assertGraphError(
      await suite.admin.request('PATCH', `/v1.0/applications/${app.id}`, { unknown: 1 }),
      400,
      'badRequest',
      /not supported/,
    );
    assertGraphError(await suite.admin.request('POST', '/v1.0/applications', []), 400, 'badRequest');
  });

  test('without an application role: reads need a directory role, changes answer 403', async () => {
    const app = await newApp('Guarded');
    for (const person of [member, userAdmin]) {
      assertGraphError(
        await person.client.request('POST', '/v1.0/applications', { displayName: 'No' }),
        403,
        'accessDenied',
      );
      assertGraphError(
        await person.client.request('PATCH', `/v1.0/applications/${app.id}`, { displayName: 'No' }),
        403,
        'accessDenied',
      );
      assertGraphError(await person.client.request('DELETE', `/v1.0/applications/${app.id}`), 403, 'accessDenied');
      assertGraphError(
        await person.client.request('POST', `/v1.0/applications/${app.id}/addPassword`, {}),
        403,
        'accessDenied',
      );
      assertGraphError(
        await person.client.request('POST', `/v1.0/applications/${app.id}/removePassword`, {
          keyId: '00000000-0000-4000-8000-000000000000',
        }),
        403,
        'accessDenied',
      );
    }
    assertGraphError(await member.client.request('GET', '/v1.0/applications'), 403, 'accessDenied');
    assert.equal((await userAdmin.client.request('GET', `/v1.0/applications/${app.id}`)).status, 200);
    assert.equal((await suite.admin.request('GET', `/v1.0/applications/${app.id}`)).json.displayName, 'Guarded');
  });

  test('a Cloud Application Administrator manages applications and secrets', async () => {
    const res = await appAdmin.client.request('POST', '/v1.0/applications', { displayName: 'Delegated' });
    assert.equal(res.status, 201, JSON.stringify(res.json));
    const secret = await appAdmin.client.request('POST', `/v1.0/applications/${res.json.id}/addPassword`, {});
    assert.equal(secret.status, 200, JSON.stringify(secret.json));
    assert.equal((await appAdmin.client.request('DELETE', `/v1.0/applications/${res.json.id}`)).status, 204);
  });

  test('changes are audited with Entra activity names and modified properties, never the secret', async () => {
    const c1 = correlated();
    const created = await create({ displayName: 'Audited' }, c1.headers);
    const [add] = await auditRowsFor(suite.admin, c1.id);
    assert.equal(add.activityDisplayName, 'Add application');
    assert.equal(add.category, 'ApplicationManagement');
    assert.equal(add.targetResources[0].id, created.json.id);
    assert.equal(add.targetResources[0].type, 'Application');
    assert.equal(add.initiatedBy.user.userPrincipalName, 'admin@contoso.test');

    const c2 = correlated();
    await suite.admin.request(
      'PATCH',
      `/v1.0/applications/${created.json.id}`,
      { displayName: 'Audited 2' },
      c2.headers,
    );
    const [update] = await auditRowsFor(suite.admin, c2.id);
    assert.equal(update.activityDisplayName, 'Update application');
    assert.deepEqual(update.targetResources[0].modifiedProperties, [
      { displayName: 'displayName', oldValue: '"Audited"', newValue: '"Audited 2"' },
    ]);

    const c3 = correlated();
    const secret = await suite.admin.request(
      'POST',
      `/v1.0/applications/${created.json.id}/addPassword`,
      { passwordCredential: { displayName: 'audited secret' } },
      c3.headers,
    );
    const [added] = await auditRowsFor(suite.admin, c3.id);
    assert.equal(added.activityDisplayName, 'Update application – Certificates and secrets management');
    assert.match(added.targetResources[0].modifiedProperties[0].newValue, new RegExp(secret.json.keyId));
    assert.ok(!JSON.stringify(added).includes(secret.json.secretText));

    const c4 = correlated();
    await suite.admin.request(
      'POST',
      `/v1.0/applications/${created.json.id}/removePassword`,
      { keyId: secret.json.keyId },
      c4.headers,
    );
    const [removed] = await auditRowsFor(suite.admin, c4.id);
    assert.equal(removed.activityDisplayName, 'Update application – Certificates and secrets management');
    assert.match(removed.targetResources[0].modifiedProperties[0].oldValue, new RegExp(secret.json.keyId));

    const c5 = correlated();
    await suite.admin.request('DELETE', `/v1.0/applications/${created.json.id}`, undefined, c5.headers);
    const [deleted] = await auditRowsFor(suite.admin, c5.id);
    assert.equal(deleted.activityDisplayName, 'Delete application');

    // A refused change writes nothing.
    const c6 = correlated();
    await create({ displayName: 'X', color: 'blue' }, c6.headers);
    assert.deepEqual(await auditRowsFor(suite.admin, c6.id), []);
  });

  test('the list pages with $top and @odata.nextLink until it is absent, each application once', async () => {
    for (let i = 0; i < 5; i++) await newApp(`Paged ${i}`);
    const first = await suite.admin.request('GET', '/v1.0/applications?$top=2');
    assert.equal(first.status, 200, JSON.stringify(first.json));
    assert.match(first.json['@odata.context'], /\$metadata#applications$/);
    assert.equal(first.json.value.length, 2);
    assert.ok(first.json['@odata.nextLink']);
    assert.equal(new URL(first.json['@odata.nextLink']).searchParams.get('$top'), '2');
    const { pages, items } = await allPages(suite.admin, '/v1.0/applications?$top=2');
    assert.ok(pages.every((p) => p.length <= 2));
    const ids = items.map((a: Json) => a.id);
    assert.equal(new Set(ids).size, ids.length, 'no application twice');
    for (let i = 0; i < 5; i++) assert.ok(items.some((a: Json) => a.displayName === `Paged ${i}`));
    assertGraphError(await suite.admin.request('GET', '/v1.0/applications?$top=0'), 400, 'badRequest', /\$top/);
    assertGraphError(
      await suite.admin.request('GET', '/v1.0/applications?$skiptoken=bogus'),
      400,
      'badRequest',
      /skiptoken/,
    );
  });
});
