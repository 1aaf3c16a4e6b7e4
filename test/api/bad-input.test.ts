// Bad input of every kind gets a 4xx in Graph's error shape with a message that says what to fix — never a
// 5xx — and leaves nothing half-written.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import {
  createSoftwareAuthenticator,
  newUserWithTap,
  ORIGIN,
  type Response,
  signInWithTap,
  type TestClient,
} from '../kit/app.ts';
import {
  adminSuite,
  assertGraphError,
  correlated,
  freshIp,
  type Json,
  ROLES,
  TAP_POLICY,
  tapsOf,
} from '../kit/directory.ts';
import { createRegistrationResponse } from '../kit/software-authenticator.ts';

describe('bad input', () => {
  const suite = adminSuite();
  let member: { id: string; userPrincipalName: string };

  const auditCount = async () =>
    (await suite.admin.request('GET', '/v1.0/auditLogs/directoryAudits?$top=1000')).json.value.length as number;

  before(async () => {
    ({ user: member } = await newUserWithTap(suite.admin, 'member@contoso.test', { isUsableOnce: false }));
  });

  test('malformed JSON answers 400 saying the body is not valid JSON, before and after sign-in', async () => {
    const broken = '{"displayName": "Jane", ';
    assertGraphError(await suite.admin.request('POST', '/v1.0/users', broken), 400, 'badRequest', /not valid JSON/);
    assertGraphError(
      await suite.t.client().request('POST', '/api/signin/identify', '{identifier: jane}'),
      400,
      'badRequest',
      /not valid JSON/,
    );
    assertGraphError(await suite.admin.request('POST', '/v1.0/users', ''), 400, 'badRequest', /empty/);
  });

  test('a body that is not a JSON object, or not JSON at all, is refused', async () => {
    for (const body of ['[]', 'null', '"text"', '42']) {
      assertGraphError(
        await suite.admin.request('PATCH', `/v1.0/users/${member.id}`, body),
        400,
        'badRequest',
        /object/,
      );
    }
    const text = await suite.admin.request('POST', '/v1.0/users', 'displayName=Jane', { 'content-type': 'text/plain' });
    assertGraphError(text, 415, 'unsupportedMediaType', /application\/json/);
  });

  test('wrong types are refused, not coerced: lifetimeInMinutes "60" is a 400 naming the field', async () => {
    const cases: [string, string, unknown, RegExp][] = [
      ['POST', tapsOf(member.id), { lifetimeInMinutes: '60' }, /lifetimeInMinutes must be integer/],
      ['POST', tapsOf(member.id), { lifetimeInMinutes: 60.5 }, /lifetimeInMinutes must be integer/],
      ['POST', tapsOf(member.id), { isUsableOnce: 'true' }, /isUsableOnce must be boolean/],
      ['POST', tapsOf(member.id), { startDateTime: 20260101 }, /startDateTime must be string/],
      ['POST', tapsOf(member.id), { startDateTime: 'tomorrow' }, /startDateTime must be an ISO 8601/],
      ['PATCH', `/v1.0/users/${member.id}`, { accountEnabled: 'false' }, /accountEnabled must be true or false/],
      ['PATCH', `/v1.0/users/${member.id}`, { displayName: 7 }, /displayName must be a non-empty string/],
      ['PATCH', `/v1.0/users/${member.id}`, { employeeHireDate: '99999-01-01' }, /employeeHireDate/],
      ['PATCH', TAP_POLICY, { defaultLifetimeInMinutes: '480' }, /whole number/],
    ];
    for (const [method, url, body, message] of cases) {
      assertGraphError(await suite.admin.request(method, url, body), 400, 'badRequest', message);
    }
    const signIn = suite.t.client({ ip: freshIp() });
    assertGraphError(
      await signIn.request('POST', '/api/signin/identify', { identifier: 42 }),
      400,
      'badRequest',
      /identifier must be string/,
    );
    // Nothing was issued or changed by the refused requests.
    const taps = (await suite.admin.request('GET', tapsOf(member.id))).json.value;
    assert.equal(taps.length, 1);
    assert.equal((await suite.admin.request('GET', `/v1.0/users/${member.id}`)).json.accountEnabled, true);
  });

  test('unknown properties are refused by name', async () => {
    assertGraphError(
      await suite.admin.request('POST', tapsOf(member.id), { lifetime: 60 }),
      400,
      'badRequest',
      /unknown property "lifetime"/,
    );
    assertGraphError(
      await suite.t.client().request('POST', '/api/signin/identify', { identifier: 'a@contoso.test', remember: true }),
      400,
      'badRequest',
      /unknown property "remember"/,
    );
    assertGraphError(
      await suite.admin.request('POST', '/v1.0/users', {
        displayName: 'A',
        userPrincipalName: 'a@contoso.test',
        city: 'X',
      }),
      400,
      'badRequest',
      /city/,
    );
  });

  test('a body over 64 KiB answers 413', async () => {
    const big = { displayName: 'x'.repeat(70 * 1024), userPrincipalName: 'big@contoso.test' };
    assertGraphError(await suite.admin.request('POST', '/v1.0/users', big), 413, 'payloadTooLarge', /too large/);
    assertGraphError(
      await suite.t.client().request('POST', '/api/signin/identify', { identifier: 'y'.repeat(70 * 1024) }),
      413,
      'payloadTooLarge',
    );
    assert.equal((await suite.admin.request('GET', '/v1.0/users/big@contoso.test')).status, 404);
  });

  test('malformed ids in paths answer 400 or 404, never 5xx', async () => {
    await suite.admin.refreshCsrf();
    const me = suite.t.client({ ip: freshIp() });
    const pass = await suite.admin.request('POST', tapsOf(member.id), { isUsableOnce: false });
    assert.equal((await signInWithTap(me, member.userPrincipalName, pass.json.temporaryAccessPass)).status, 200);
    const u = `/v1.0/users/${member.id}/authentication`;
    const requests: [TestClient, string, string, unknown?][] = [
      [suite.admin, 'GET', '/v1.0/users/not-a-uuid'],
      [suite.admin, 'GET', '/v1.0/users/00000000-0000-0000-0000-00000000000g'],
      [suite.admin, 'GET', `/v1.0/users/${'a'.repeat(500)}`],
      [suite.admin, 'GET', '/v1.0/users/%E0%A4%A'],
      [suite.admin, 'GET', '/v1.0/users/a%00b'],
      [suite.admin, 'PATCH', '/v1.0/users/not-a-uuid', { displayName: 'X' }],
      [suite.admin, 'DELETE', '/v1.0/users/not-a-uuid'],
      [suite.admin, 'GET', '/v1.0/users/not-a-uuid/memberOf'],
      [suite.admin, 'GET', '/v1.0/users/not-a-uuid/authentication/methods'],
      [suite.admin, 'POST', '/v1.0/users/not-a-uuid/authentication/temporaryAccessPassMethods', {}],
      [suite.admin, 'GET', `${u}/temporaryAccessPassMethods/not-a-uuid`],
      [suite.admin, 'DELETE', `${u}/temporaryAccessPassMethods/not-a-uuid`],
      [suite.admin, 'DELETE', `${u}/temporaryAccessPassMethods/00000000-0000-4000-8000-000000000000`],
      [suite.admin, 'GET', `${u}/fido2Methods/not-a-uuid`],
      [suite.admin, 'DELETE', `${u}/fido2Methods/not-a-uuid`],
      [suite.admin, 'DELETE', `${u}/fido2Methods/00000000-0000-4000-8000-000000000000`],
      [me, 'GET', '/v1.0/me/authentication/fido2Methods/not-a-uuid'],
      [me, 'PATCH', '/v1.0/me/authentication/fido2Methods/not-a-uuid', { displayName: 'X' }],
      [me, 'DELETE', '/v1.0/me/authentication/temporaryAccessPassMethods/not-a-uuid'],
      [me, 'GET', '/v1.0/me/authentication/temporaryAccessPassMethods/not-a-uuid'],
      [suite.admin, 'GET', '/v1.0/groups/not-a-uuid'],
      [suite.admin, 'GET', '/v1.0/directoryRoles/not-a-uuid/members'],
      [suite.admin, 'DELETE', `/v1.0/directoryRoles/${ROLES.globalReader.id}/members/not-a-uuid/$ref`],
      [
        suite.admin,
        'POST',
        `/v1.0/directoryRoles/${ROLES.globalReader.id}/members/$ref`,
        { '@odata.id': 'https://graph.microsoft.com/v1.0/directoryObjects/%E0%A4%A' },
      ],
      [suite.admin, 'GET', '/v1.0/auditLogs/directoryAudits?$skiptoken=not-a-token'],
      [suite.admin, 'GET', '/v1.0/users?$filter=a&$filter=b'],
    ];
    for (const [client, method, url, body] of requests) {
      const res = await client.request(method, url, body);
      assert.ok(
        res.status === 400 || res.status === 404,
        `${method} ${url.slice(0, 80)}: ${res.status} ${JSON.stringify(res.json)}`,
      );
      assertGraphError(res, res.status, res.status === 400 ? 'badRequest' : 'itemNotFound');
    }
  });

  test('a NUL character anywhere in the input is refused with 400, not stored', async () => {
    const cases: [TestClient, string, string, unknown][] = [
      [suite.admin, 'POST', '/v1.0/users', { displayName: 'a\u0000b', userPrincipalName: 'nul@contoso.test' }],
      [suite.admin, 'POST', '/v1.0/groups', { displayName: 'a\u0000b' }],
      [suite.admin, 'GET', `/v1.0/users?$filter=${encodeURIComponent("startswith(displayName,'a\u0000')")}`, undefined],
      [suite.t.client(), 'POST', '/api/signin/identify', { identifier: 'a\u0000b@contoso.test' }],
    ];
    for (const [client, method, url, body] of cases) {
      assertGraphError(await client.request(method, url, body), 400, 'badRequest', /NUL/);
    }
  });

  test('garbled WebAuthn responses are refused with 400, never 5xx', async () => {
    const { user, pass } = await newUserWithTap(suite.admin, 'garbled@contoso.test', { isUsableOnce: false });
    const client = suite.t.client({ ip: freshIp() });
    assert.equal((await signInWithTap(client, user.userPrincipalName, pass.temporaryAccessPass)).status, 200);
    const mangles: ((c: Json) => void)[] = [
      (c) => {
        c.response.attestationObject = 12;
      },
      (c) => {
        c.response.clientDataJSON = { challenge: 'x' };
      },
      (c) => {
        c.response.attestationObject = 'AAAA';
      },
      (c) => {
        c.response = {};
      },
    ];
    for (const mangle of mangles) {
      const options = await client.request('POST', '/api/security-info/passkeys/options', { displayName: 'Key' });
      const credential = createRegistrationResponse(createSoftwareAuthenticator(), {
        optionsJSON: options.json.options,
        origin: ORIGIN,
      });
      mangle(credential);
      const res = await client.request('POST', '/api/security-info/passkeys/verify', {
        flowId: options.json.flowId,
        credential,
      });
      assert.ok(res.status >= 400 && res.status < 500, JSON.stringify(res.json));
      assert.equal(res.json.error.code, 'passkeyRegistrationFailed');
    }
    // transports is not covered by the attestation: a wrong shape is ignored, not a crash.
    const options = await client.request('POST', '/api/security-info/passkeys/options', { displayName: 'Key' });
    const credential: Json = createRegistrationResponse(createSoftwareAuthenticator(), {
      optionsJSON: options.json.options,
      origin: ORIGIN,
    });
    credential.response.transports = 'internal';
    const ok = await client.request('POST', '/api/security-info/passkeys/verify', {
      flowId: options.json.flowId,
      credential,
    });
    assert.equal(ok.status, 201, JSON.stringify(ok.json));

    const signIn = suite.t.client({ ip: freshIp() });
    const started = await signIn.request('POST', '/api/signin/passkey/options', {});
    const garbage = await signIn.request('POST', '/api/signin/passkey/verify', {
      flowId: started.json.flowId,
      credential: {
        id: 'abc',
        rawId: 'abc',
        type: 'public-key',
        response: { clientDataJSON: 'not-base64-json', authenticatorData: 5, signature: null },
      },
    });
    assertGraphError(garbage, 400, 'passkeyVerificationFailed');
    assertGraphError(
      await signIn.request('POST', '/api/signin/passkey/verify', {
        flowId: '00000000-0000-4000-8000-000000000000',
        credential: { id: 'abc', rawId: 'abc', type: 'public-key', response: {} },
      }),
      400,
      'passkeyVerificationFailed',
    );
    assertGraphError(
      await signIn.request('POST', '/api/signin/tap', { flowId: 'not-a-uuid', temporaryAccessPass: 'x' }),
      400,
      'badRequest',
      /flowId must match format "uuid"/,
    );
    assertGraphError(
      await signIn.request('POST', '/api/signin/tap', {
        flowId: '00000000-0000-4000-8000-000000000000',
        temporaryAccessPass: 'x',
      }),
      410,
      'flowExpired',
    );
  });

  test('unknown routes answer 404 in the Graph error shape', async () => {
    for (const [method, url] of [
      ['GET', '/v1.0/nothing'],
      ['GET', '/v1.0/users/x/nothing'],
      ['POST', '/api/nothing'],
      ['PUT', '/v1.0/users'],
      ['GET', '/beta/users'],
    ] as const) {
      const res = await suite.admin.request(method, url, method === 'GET' ? undefined : {});
      assertGraphError(res, 404, 'itemNotFound', /not found/);
    }
  });

  test('a state-changing request without the CSRF token, or with a wrong one, answers 403 csrfTokenInvalid and changes nothing', async () => {
    const token = suite.admin.csrf;
    try {
      suite.admin.csrf = null;
      const res = await suite.admin.request('PATCH', `/v1.0/users/${member.id}`, { displayName: 'Forged' });
      assertGraphError(res, 403, 'csrfTokenInvalid', /Reload the page/);
      suite.admin.csrf = 'x'.repeat(token!.length);
      assertGraphError(
        await suite.admin.request('POST', '/v1.0/users', {
          displayName: 'F',
          userPrincipalName: 'forged@contoso.test',
        }),
        403,
        'csrfTokenInvalid',
      );
    } finally {
      suite.admin.csrf = token;
    }
    assert.equal((await suite.admin.request('GET', `/v1.0/users/${member.id}`)).json.displayName, 'member');
    assert.equal((await suite.admin.request('GET', '/v1.0/users/forged@contoso.test')).status, 404);
  });

  test('a request from another origin answers 403, even with a valid token and before sign-in', async () => {
    const evil = { origin: 'https://evil.example' };
    assertGraphError(
      await suite.admin.request('PATCH', `/v1.0/users/${member.id}`, { displayName: 'Cross' }, evil),
      403,
      'csrfTokenInvalid',
    );
    assertGraphError(
      await suite.admin.request('DELETE', `/v1.0/users/${member.id}`, undefined, { 'sec-fetch-site': 'cross-site' }),
      403,
      'csrfTokenInvalid',
    );
    assertGraphError(
      await suite.t.client().request('POST', '/api/signin/identify', { identifier: 'a@contoso.test' }, evil),
      403,
      'csrfTokenInvalid',
    );
    assert.equal((await suite.admin.request('GET', `/v1.0/users/${member.id}`)).json.displayName, 'member');
  });

  test('a page opened under another host name than the public URL is sent to the public URL (passkeys are bound to it)', async () => {
    const res = await suite.t
      .client()
      .request('GET', '/signin?returnTo=%2Fadmin', undefined, { host: '127.0.0.1:8080' });
    assert.equal(res.status, 308);
    assert.equal(res.headers.location, 'http://localhost:8080/signin?returnTo=%2Fadmin');
    assert.equal((await suite.t.client().request('GET', '/signin')).status, 200);
  });

  test('a malformed URL answers 400 in the Graph shape, with the security headers', async () => {
    const res = await suite.admin.request('GET', '/v1.0/users/%E0%A4%A');
    assert.ok(res.status === 400 || res.status === 404, `status ${res.status}`);
    assert.equal(typeof res.json.error.code, 'string');
    assert.match(String(res.headers['content-security-policy']), /default-src 'self'/);
    assert.equal(res.headers['x-content-type-options'], 'nosniff');
  });

  test('every error carries a code, a message and the request id, and echoes the client-request-id', async () => {
    const { id, headers } = correlated();
    const responses: Response[] = [
      await suite.t.client().request('GET', '/v1.0/users', undefined, headers),
      await suite.admin.request('GET', '/v1.0/users/nobody@contoso.test', undefined, headers),
      await suite.admin.request('POST', '/v1.0/users', '{', headers),
    ];
    for (const res of responses) {
      assert.ok(res.status >= 400 && res.status < 500);
      assert.equal(typeof res.json.error.code, 'string');
      assert.equal(typeof res.json.error.message, 'string');
      assert.match(res.json.error.innerError['request-id'], /^[0-9a-f-]{36}$/);
      assert.equal(res.json.error.innerError['client-request-id'], id);
      assert.match(res.json.error.innerError.date, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/);
      assert.match(String(res.headers['content-type']), /application\/json/);
    }
  });

  test('a failed change leaves nothing half-written: no user and no audit row', async () => {
    const before = await auditCount();
    const refused = [
      { displayName: 'P', userPrincipalName: 'half@contoso.test', passwordProfile: { password: 'x' } },
      { displayName: 'P', userPrincipalName: 'half@@contoso.test' },
      { displayName: 'P', userPrincipalName: 'MEMBER@contoso.test' },
    ];
    for (const body of refused) {
      const res = await suite.admin.request('POST', '/v1.0/users', body);
      assert.ok(res.status === 400 || res.status === 409, JSON.stringify(res.json));
    }
    assert.equal((await suite.admin.request('GET', '/v1.0/users/half@contoso.test')).status, 404);
    const users = await suite.admin.request(
      'GET',
      `/v1.0/users?$filter=${encodeURIComponent("startswith(userPrincipalName,'member')")}`,
    );
    assert.equal(users.json.value.length, 1);
    // Refused pass, policy and role changes write nothing either.
    assert.equal((await suite.admin.request('POST', tapsOf(member.id), { lifetimeInMinutes: 5 })).status, 400);
    assert.equal((await suite.admin.request('PATCH', TAP_POLICY, { defaultLength: 12, state: 'paused' })).status, 400);
    const me = (await suite.admin.request('GET', '/v1.0/me')).json.id;
    assert.equal(
      (await suite.admin.request('DELETE', `/v1.0/directoryRoles/${ROLES.globalAdministrator.id}/members/${me}/$ref`))
        .status,
      400,
    );
    assert.equal(await auditCount(), before, 'no audit row for any refused change');
    assert.equal((await suite.admin.request('GET', TAP_POLICY)).json.defaultLength, 8);
  });
});
