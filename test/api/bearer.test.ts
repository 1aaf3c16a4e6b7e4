// The Graph-compatible /v1.0 API with OAuth bearer tokens: application permissions granted by an administrator
// (client credentials, `roles`), delegated permissions limited by the person's roles (code flow, `scp`), and the
// refusals — 403 naming the missing permission, 401 with WWW-Authenticate for a bad token.
import assert from 'node:assert/strict';
import { createPrivateKey, randomUUID, sign } from 'node:crypto';
import { describe, test } from 'node:test';
import * as oidc from 'openid-client';
import { loadPrivateJwks } from '../../src/services/signing-keys.service.ts';
import { ORIGIN, type Response, type TestApp } from '../kit/app.ts';
import { adminSuite, assertGraphError, assignRole, correlated, onboardPerson } from '../kit/directory.ts';
import {
  authorizationRequest,
  Browser,
  clientConfiguration,
  type RegisteredApp,
  registerApplication,
} from '../kit/oidc.ts';

const GRAPH = '00000003-0000-0000-c000-000000000000';
const ROLE_IDS = {
  'User.ReadWrite.All': '741f803b-c850-494e-b5df-cde7c675a1ca',
  'AuditLog.Read.All': 'b0afded3-3588-46d8-8b3d-9842eff778da',
  'Directory.Read.All': '7ab1d382-f21e-4acd-a863-ba3e13f7da61',
  'Group.ReadWrite.All': '62a82d76-70ea-41e2-9197-370581804d09',
  'Application.ReadWrite.All': '1bfefb4e-e0b5-418b-a88f-73c46d2cc8e9',
} as const;

async function call(
  t: TestApp,
  method: string,
  url: string,
  token: string,
  body?: unknown,
  headers = {},
): Promise<Response> {
  const res = await t.app.inject({
    method: method as 'GET',
    url,
    headers: {
      host: new URL(ORIGIN).host,
      authorization: `Bearer ${token}`,
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...headers,
    },
    payload: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.statusCode, headers: res.headers, json: res.body ? JSON.parse(res.body) : null };
}

function claimsOf(jwt: string) {
  const [header, payload] = jwt.split('.');
  return {
    header: JSON.parse(Buffer.from(header!, 'base64url').toString()),
    payload: JSON.parse(Buffer.from(payload!, 'base64url').toString()),
  };
}

/** A token signed with the provider's real ES256 key: for the cases the provider itself would never issue. */
async function forge(t: TestApp, payload: Record<string, unknown>, header: Record<string, unknown> = {}) {
  const jwk = (await loadPrivateJwks(t.deps)).find((k) => k.alg === 'ES256')!;
  const h = Buffer.from(JSON.stringify({ alg: 'ES256', typ: 'at+jwt', kid: jwk.kid, ...header })).toString('base64url');
  const p = Buffer.from(JSON.stringify(payload)).toString('base64url');
  const key = createPrivateKey({ key: jwk as never, format: 'jwk' });
  const s = sign('sha256', Buffer.from(`${h}.${p}`), { key, dsaEncoding: 'ieee-p1363' }).toString('base64url');
  return `${h}.${p}.${s}`;
}

describe('bearer tokens on /v1.0', () => {
  const suite = adminSuite();

  async function apiPrincipal(): Promise<string> {
    const res = await suite.admin.request('GET', `/v1.0/servicePrincipals?$filter=appId eq '${GRAPH}'`);
    assert.equal(res.status, 200, JSON.stringify(res.json));
    return res.json.value[0].id;
  }

  async function principalOf(registered: RegisteredApp): Promise<string> {
    const res = await suite.admin.request('GET', `/v1.0/servicePrincipals?$filter=appId eq '${registered.appId}'`);
    assert.equal(res.status, 200, JSON.stringify(res.json));
    assert.equal(res.json.value.length, 1);
    return res.json.value[0].id;
  }

  async function grant(registered: RegisteredApp, permission: keyof typeof ROLE_IDS, by = suite.admin) {
    const principalId = await principalOf(registered);
    return by.request('POST', `/v1.0/servicePrincipals/${principalId}/appRoleAssignments`, {
      principalId,
      resourceId: await apiPrincipal(),
      appRoleId: ROLE_IDS[permission],
    });
  }

  async function appToken(registered: RegisteredApp, scope = `${ORIGIN}/.default`): Promise<string> {
    const tokens = await oidc.clientCredentialsGrant(await clientConfiguration(suite.t, registered), { scope });
    return tokens.access_token;
  }

  test("the API's service principal publishes the catalogue with Graph's ids", async () => {
    const res = await suite.admin.request('GET', `/v1.0/servicePrincipals?$filter=appId eq '${GRAPH}'`);
    assert.equal(res.status, 200);
    const [sp] = res.json.value;
    assert.equal(sp.appId, GRAPH);
    const role = sp.appRoles.find((r: { value: string }) => r.value === 'User.ReadWrite.All');
    assert.equal(role.id, ROLE_IDS['User.ReadWrite.All']);
    assert.deepEqual(role.allowedMemberTypes, ['Application']);
    const scope = sp.oauth2PermissionScopes.find((s: { value: string }) => s.value === 'User.ReadWrite.All');
    assert.equal(scope.id, '204e0828-b5ca-4ad8-b9f3-f32a958e7cc4');
  });

  test('an app granted User.ReadWrite.All creates a user; the audit log names the app', async () => {
    const registered = await registerApplication(suite.admin, { displayName: 'HR provisioning' });
    const granted = await grant(registered, 'User.ReadWrite.All');
    assert.equal(granted.status, 201, JSON.stringify(granted.json));
    assert.equal(granted.json.appRoleId, ROLE_IDS['User.ReadWrite.All']);
    assert.equal(granted.json.principalId, await principalOf(registered));

    const token = await appToken(registered);
    const { header, payload } = claimsOf(token);
    assert.equal(header.typ, 'at+jwt');
    assert.equal(header.alg, 'ES256');
    assert.equal(payload.aud, ORIGIN);
    assert.equal(payload.iss, ORIGIN);
    assert.equal(payload.client_id, registered.appId);
    assert.deepEqual(payload.roles, ['User.ReadWrite.All']);
    assert.equal(payload.scp, undefined);

    const { id: correlationId, headers } = correlated();
    const upn = suite.upn('provisioned');
    const created = await call(
      suite.t,
      'POST',
      '/v1.0/users',
      token,
      { displayName: 'Provisioned', userPrincipalName: upn },
      headers,
    );
    assert.equal(created.status, 201, JSON.stringify(created.json));
    assert.equal(created.json.userPrincipalName, upn);

    const audits = await suite.admin.request('GET', '/v1.0/auditLogs/directoryAudits?$top=20');
    const row = audits.json.value.find((r: { correlationId: string }) => r.correlationId === correlationId);
    assert.equal(row?.activityDisplayName, 'Add user');
    assert.equal(row.initiatedBy.user, null);
    assert.equal(row.initiatedBy.app.appId, registered.appId);
    assert.equal(row.initiatedBy.app.displayName, 'HR provisioning');
    assert.equal(row.initiatedBy.app.servicePrincipalId, await principalOf(registered));

    // The grant itself was audited with Entra's activity, naming the admin.
    const grantRow = audits.json.value.find(
      (r: { activityDisplayName: string; targetResources: { id: string }[] }) =>
        r.activityDisplayName === 'Add app role assignment to service principal' &&
        r.targetResources[0]?.id === granted.json.principalId,
    );
    assert.ok(grantRow, 'grant audited');
    assert.equal(grantRow.initiatedBy.user.userPrincipalName, 'admin@contoso.test');

    // Without AuditLog.Read.All the same token reads no logs: 403 in Graph's shape, naming the permission.
    const logs = await call(suite.t, 'GET', '/v1.0/auditLogs/signIns', token);
    assertGraphError(logs, 403, 'accessDenied', /AuditLog\.Read\.All/);
    assert.match(String(logs.headers['www-authenticate']), /insufficient_scope/);

    // User Administrator's limits: it cannot change or delete an admin.
    const me = await suite.admin.request('GET', '/v1.0/me');
    const patch = await call(suite.t, 'PATCH', `/v1.0/users/${me.json.id}`, token, { displayName: 'Pwned' });
    assertGraphError(patch, 403, 'accessDenied');
  });

  test('a requested but not granted permission does nothing; revoking a grant takes effect at once', async () => {
    const registered = await registerApplication(suite.admin, {
      displayName: 'Log shipper',
      requiredResourceAccess: [
        {
          resourceAppId: GRAPH,
          resourceAccess: [
            { id: ROLE_IDS['AuditLog.Read.All'], type: 'Role' },
            { id: ROLE_IDS['Directory.Read.All'], type: 'Role' },
          ],
        },
      ],
    });
    const before = await appToken(registered);
    assert.equal(claimsOf(before).payload.roles, undefined);
    assertGraphError(
      await call(suite.t, 'GET', '/v1.0/auditLogs/signIns', before),
      403,
      'accessDenied',
      /AuditLog\.Read\.All/,
    );

    const granted = await grant(registered, 'AuditLog.Read.All');
    assert.equal(granted.status, 201);
    // The token issued before the grant still carries no roles: a grant counts from the next token.
    assertGraphError(await call(suite.t, 'GET', '/v1.0/auditLogs/signIns', before), 403, 'accessDenied');
    const token = await appToken(registered);
    assert.deepEqual(claimsOf(token).payload.roles, ['AuditLog.Read.All']);
    assert.equal((await call(suite.t, 'GET', '/v1.0/auditLogs/signIns', token)).status, 200);
    // Directory.Read.All was requested only.
    assertGraphError(await call(suite.t, 'GET', '/v1.0/users', token), 403, 'accessDenied', /Directory\.Read\.All/);

    const again = await grant(registered, 'AuditLog.Read.All');
    assertGraphError(again, 400, 'badRequest', /already exists/);

    const principalId = await principalOf(registered);
    const list = await suite.admin.request('GET', `/v1.0/servicePrincipals/${principalId}/appRoleAssignments`);
    assert.deepEqual(
      list.json.value.map((a: { appRoleId: string }) => a.appRoleId),
      [ROLE_IDS['AuditLog.Read.All']],
    );
    const removed = await suite.admin.request(
      'DELETE',
      `/v1.0/servicePrincipals/${principalId}/appRoleAssignments/${granted.json.id}`,
    );
    assert.equal(removed.status, 204);
    assertGraphError(await call(suite.t, 'GET', '/v1.0/auditLogs/signIns', token), 403, 'accessDenied');
    const audits = await suite.admin.request('GET', '/v1.0/auditLogs/directoryAudits?$top=5');
    assert.equal(audits.json.value[0].activityDisplayName, 'Remove app role assignment from service principal');

    // Deleting the application ends its tokens.
    const again2 = await grant(registered, 'AuditLog.Read.All');
    assert.equal(again2.status, 201);
    const live = await appToken(registered);
    assert.equal((await call(suite.t, 'GET', '/v1.0/auditLogs/signIns', live)).status, 200);
    assert.equal((await suite.admin.request('DELETE', `/v1.0/applications/${registered.id}`)).status, 204);
    assertGraphError(await call(suite.t, 'GET', '/v1.0/auditLogs/signIns', live), 401, 'InvalidAuthenticationToken');
  });

  test('only a Global Administrator or a Privileged Role Administrator grants application permissions', async () => {
    const registered = await registerApplication(suite.admin, { displayName: 'Needs consent' });
    const appAdmin = await onboardPerson(suite.t, suite.admin, suite.upn('appadmin'), {
      roles: ['applicationAdministrator'],
    });
    assertGraphError(await grant(registered, 'User.ReadWrite.All', appAdmin.client), 403, 'accessDenied');
    const pra = await onboardPerson(suite.t, suite.admin, suite.upn('pra'), { roles: ['privilegedRoleAdministrator'] });
    assert.equal((await grant(registered, 'Directory.Read.All', pra.client)).status, 201);
    // An application cannot grant itself anything, whatever it holds.
    await grant(registered, 'User.ReadWrite.All');
    const token = await appToken(registered);
    const principalId = await principalOf(registered);
    const self = await call(suite.t, 'POST', `/v1.0/servicePrincipals/${principalId}/appRoleAssignments`, token, {
      principalId,
      resourceId: await apiPrincipal(),
      appRoleId: ROLE_IDS['AuditLog.Read.All'],
    });
    assertGraphError(self, 403, 'accessDenied');
    // Unknown app roles and foreign resources are refused.
    const bogus = await suite.admin.request('POST', `/v1.0/servicePrincipals/${principalId}/appRoleAssignments`, {
      principalId,
      resourceId: await apiPrincipal(),
      appRoleId: randomUUID(),
    });
    assertGraphError(bogus, 400, 'badRequest', /not found/);
  });

  test('Group.ReadWrite.All manages groups and nothing else', async () => {
    const registered = await registerApplication(suite.admin, { displayName: 'Group sync' });
    await grant(registered, 'Group.ReadWrite.All');
    const token = await appToken(registered);
    const group = await call(suite.t, 'POST', '/v1.0/groups', token, { displayName: 'Sales', mailNickname: 'sales' });
    assert.equal(group.status, 201, JSON.stringify(group.json));
    const user = await call(suite.t, 'POST', '/v1.0/users', token, {
      displayName: 'Z',
      userPrincipalName: suite.upn('z'),
    });
    assertGraphError(user, 403, 'accessDenied', /User\.ReadWrite\.All/);
    assert.equal((await call(suite.t, 'DELETE', `/v1.0/groups/${group.json.id}`, token)).status, 204);
  });

  test('Application.ReadWrite.All lists, creates and reads applications, and nothing else', async () => {
    const registered = await registerApplication(suite.admin, { displayName: 'App provisioner' });
    assert.equal((await grant(registered, 'Application.ReadWrite.All')).status, 201);
    const token = await appToken(registered);
    const created = await call(suite.t, 'POST', '/v1.0/applications', token, { displayName: 'Provisioned' });
    assert.equal(created.status, 201, JSON.stringify(created.json));
    const listed = await call(suite.t, 'GET', '/v1.0/applications', token);
    assert.equal(listed.status, 200, JSON.stringify(listed.json));
    assert.ok(listed.json.value.some((a: { displayName: string }) => a.displayName === 'Provisioned'));
    assert.equal((await call(suite.t, 'GET', `/v1.0/applications/${created.json.id}`, token)).status, 200);
    assertGraphError(await call(suite.t, 'GET', '/v1.0/users', token), 403, 'accessDenied', /User\.Read\.All/);
  });

  test("Graph's resource identifier is an alias; other resources are refused at the token endpoint", async () => {
    const registered = await registerApplication(suite.admin, { displayName: 'Graph-written script' });
    await grant(registered, 'Directory.Read.All');
    const viaGraph = await appToken(registered, 'https://graph.microsoft.com/.default');
    assert.equal(claimsOf(viaGraph).payload.aud, ORIGIN);
    assert.deepEqual(claimsOf(viaGraph).payload.roles, ['Directory.Read.All']);
    assert.equal((await call(suite.t, 'GET', '/v1.0/users', viaGraph)).status, 200);
    const config = await clientConfiguration(suite.t, registered);
    const explicit = await oidc.clientCredentialsGrant(config, { resource: ORIGIN, scope: `${ORIGIN}/.default` });
    assert.equal(claimsOf(explicit.access_token).payload.aud, ORIGIN);
    await assert.rejects(
      oidc.clientCredentialsGrant(config, { resource: 'https://api.other.example', scope: 'x' }),
      (error: { error?: string }) => error.error === 'invalid_target',
    );
  });

  test('tampered, expired, foreign-audience and non-access tokens get 401 with WWW-Authenticate', async () => {
    const registered = await registerApplication(suite.admin, { displayName: 'Reader' });
    await grant(registered, 'Directory.Read.All');
    const token = await appToken(registered);
    assert.equal((await call(suite.t, 'GET', '/v1.0/users', token)).status, 200);
    const { payload } = claimsOf(token);

    const [h, p, s] = token.split('.');
    const raised = Buffer.from(JSON.stringify({ ...payload, roles: ['User.ReadWrite.All'] })).toString('base64url');
    const now = Math.floor(Date.now() / 1000);
    const cases: [string, string][] = [
      ['tampered', `${h}.${raised}.${s}`],
      ['not a JWT', 'opaque-token-value'],
      ['expired', await forge(suite.t, { ...payload, iat: now - 7200, exp: now - 3600 })],
      ['for another audience', await forge(suite.t, { ...payload, aud: 'https://other.example' })],
      ['from another issuer', await forge(suite.t, { ...payload, iss: 'https://other.example' })],
      ['an ID token', await forge(suite.t, payload, { typ: 'JWT' })],
      ['unsigned', `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'at+jwt' })).toString('base64url')}.${p}.`],
    ];
    for (const [name, bad] of cases) {
      const res = await call(suite.t, 'GET', '/v1.0/users', bad);
      assertGraphError(res, 401, 'InvalidAuthenticationToken');
      assert.match(String(res.headers['www-authenticate']), /^Bearer error="invalid_token"/, name);
    }
  });

  test('a bearer request never borrows the session cookie riding along', async () => {
    const registered = await registerApplication(suite.admin, { displayName: 'Cookie thief' });
    const token = await appToken(registered);
    const cookie = suite.admin.cookie!;
    // The admin's cookie could create users; this token cannot, and there is no CSRF token either.
    const res = await call(
      suite.t,
      'POST',
      '/v1.0/users',
      token,
      { displayName: 'X', userPrincipalName: suite.upn('x') },
      { cookie },
    );
    assertGraphError(res, 403, 'accessDenied', /User\.ReadWrite\.All/);
    const invalid = await call(suite.t, 'GET', '/v1.0/users', 'garbage', undefined, { cookie });
    assertGraphError(invalid, 401, 'InvalidAuthenticationToken');
    // Browser-only endpoints refuse bearer tokens.
    assertGraphError(
      await call(suite.t, 'GET', '/v1.0/me/authentication/methods', token),
      403,
      'accessDenied',
      /browser session/,
    );
    // /me needs a person.
    const delegatedOnly = await call(suite.t, 'GET', '/v1.0/me', token);
    assert.ok([400, 403].includes(delegatedOnly.status));
  });

  describe('delegated tokens', () => {
    async function delegatedToken(browser: Browser, registered: RegisteredApp, scopes: string[]) {
      const config = await clientConfiguration(suite.t, registered);
      const request = await authorizationRequest(config, registered.redirectUri, {
        scope: ['openid', ...scopes.map((s) => `${ORIGIN}/${s}`)].join(' '),
      });
      const { callback, interaction } = await browser.authorize(request.url, registered.redirectUri);
      assert.equal(interaction, null, JSON.stringify(interaction));
      const tokens = await oidc.authorizationCodeGrant(config, callback!, {
        pkceCodeVerifier: request.verifier,
        expectedState: request.state,
        expectedNonce: request.nonce,
      });
      return tokens.access_token;
    }

    test("an admin's token does what both its scopes and the admin's roles allow", async () => {
      const registered = await registerApplication(suite.admin, { isFirstParty: true, displayName: 'Admin tool' });
      const token = await delegatedToken(new Browser(suite.t.app, suite.admin), registered, [
        'User.Read',
        'User.Read.All',
      ]);
      const { payload } = claimsOf(token);
      assert.equal(payload.aud, ORIGIN);
      assert.equal(payload.scp, 'User.Read User.Read.All');
      assert.equal(payload.roles, undefined);

      const me = await call(suite.t, 'GET', '/v1.0/me', token);
      assert.equal(me.status, 200, JSON.stringify(me.json));
      assert.equal(me.json.userPrincipalName, 'admin@contoso.test');
      const memberOf = await call(suite.t, 'GET', '/v1.0/me/memberOf', token);
      assert.equal(memberOf.status, 200, JSON.stringify(memberOf.json));
      assert.ok(memberOf.json.value.some((r: { displayName: string }) => r.displayName === 'Global Administrator'));
      assert.equal((await call(suite.t, 'GET', '/v1.0/users', token)).status, 200);
      // A Global Administrator, but the token holds no User.ReadWrite.All.
      const create = await call(suite.t, 'POST', '/v1.0/users', token, {
        displayName: 'Y',
        userPrincipalName: suite.upn('y'),
      });
      assertGraphError(create, 403, 'accessDenied', /User\.ReadWrite\.All/);
    });

    test('a person without an admin role cannot list users, even with the scope', async () => {
      const person = await onboardPerson(suite.t, suite.admin, suite.upn('member'));
      const registered = await registerApplication(suite.admin, { isFirstParty: true, displayName: 'Directory app' });
      const token = await delegatedToken(new Browser(suite.t.app, person.client), registered, [
        'User.Read',
        'User.Read.All',
      ]);
      assert.equal((await call(suite.t, 'GET', '/v1.0/me', token)).status, 200);
      assertGraphError(await call(suite.t, 'GET', '/v1.0/users', token), 403, 'accessDenied', /roles/);
      // Given a role, the same token works; disabling the account ends it.
      await assignRole(suite.admin, 'globalReader', person.user.id);
      assert.equal((await call(suite.t, 'GET', '/v1.0/users', token)).status, 200);
      const disabled = await suite.admin.request('PATCH', `/v1.0/users/${person.user.id}`, { accountEnabled: false });
      assert.equal(disabled.status, 204, JSON.stringify(disabled.json));
      assertGraphError(await call(suite.t, 'GET', '/v1.0/me', token), 401, 'InvalidAuthenticationToken');
    });
  });
});
