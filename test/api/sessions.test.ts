// Sessions: what a bootstrap (pass) session may reach and how long it lives, retrying a failed passkey
// ceremony inside the registration window, sign-out, cookies, and the idle timeout.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  createSoftwareAuthenticator,
  newUserWithTap,
  ORIGIN,
  registerPasskey,
  signInWithPasskey,
  signInWithTap,
} from '../kit/app.ts';
import { adminSuite, assertGraphError, freshIp, TAP_POLICY } from '../kit/directory.ts';
import { createRegistrationResponse } from '../kit/software-authenticator.ts';

describe('sessions', () => {
  const suite = adminSuite();
  const { upn, freshAdmin } = suite;

  /** A new account signed in with a pass of these terms; returns the bootstrap client. */
  async function bootstrapped(tap: { isUsableOnce?: boolean; lifetimeInMinutes?: number } = { isUsableOnce: true }) {
    const { user, pass } = await newUserWithTap(suite.admin, upn('person'), tap);
    const client = suite.t.client({ ip: freshIp() });
    const res = await signInWithTap(client, user.userPrincipalName, pass.temporaryAccessPass);
    assert.equal(res.status, 200, JSON.stringify(res.json));
    return { user, pass, client };
  }

  test('a pass session reaches only security info: /v1.0/users and the logs answer 403 bootstrapSessionOnly', async () => {
    const { user, pass, client } = await bootstrapped();
    for (const url of ['/v1.0/users', '/v1.0/auditLogs/signIns', TAP_POLICY, `/v1.0/users/${user.id}`]) {
      assertGraphError(await client.request('GET', url), 403, 'bootstrapSessionOnly', /passkey/);
    }
    const methods = await client.request('GET', '/v1.0/me/authentication/methods');
    assert.equal(methods.status, 200, JSON.stringify(methods.json));
    assert.equal(methods.json.value.length, 1);
    assert.equal(methods.json.value[0].id, pass.id);
    assert.equal(methods.json.value[0].temporaryAccessPass, null);
    assert.equal((await client.request('GET', '/v1.0/me')).json.id, user.id);
  });

  test('an admin signed in with a pass is sent to a passkey sign-in before the admin console', async () => {
    const { user, pass } = await newUserWithTap(suite.admin, upn('newadmin'), { isUsableOnce: true });
    const role = await suite.admin.request(
      'POST',
      '/v1.0/directoryRoles/62e90394-69f5-4237-9190-012177145e10/members/$ref',
      {
        '@odata.id': `https://graph.microsoft.com/v1.0/directoryObjects/${user.id}`,
      },
    );
    assert.equal(role.status, 204);
    const client = suite.t.client({ ip: freshIp() });
    assert.equal((await signInWithTap(client, user.userPrincipalName, pass.temporaryAccessPass)).status, 200);
    const page = await client.request('GET', '/admin');
    assert.equal(page.status, 303);
    assert.match(String(page.headers.location), /^\/signin\?reason=reauthenticate/);
    assertGraphError(await client.request('GET', '/v1.0/users'), 403, 'bootstrapSessionOnly');
  });

  test('a one-time pass session lasts the registration window (10 minutes) and then ends', async () => {
    const { client } = await bootstrapped({ isUsableOnce: true, lifetimeInMinutes: 60 });
    const session = (await client.request('GET', '/api/session')).json.session;
    const minutes =
      (new Date(session.expiresDateTime).getTime() - new Date(session.authenticatedDateTime).getTime()) / 60_000;
    assert.equal(minutes, 10);
    suite.t.advance(9);
    assert.equal((await client.request('GET', '/api/session')).status, 200);
    suite.t.advance(2);
    assertGraphError(await client.request('GET', '/api/session'), 401, 'unauthenticated');
    const late = await registerPasskey(client, createSoftwareAuthenticator());
    assert.equal(late.status, 401);
  });

  test('the registration window follows the policy setting', async () => {
    await freshAdmin();
    assert.equal((await suite.admin.request('PATCH', TAP_POLICY, { registrationWindowInMinutes: 3 })).status, 204);
    try {
      const { client } = await bootstrapped({ isUsableOnce: true });
      suite.t.advance(4);
      assertGraphError(await client.request('GET', '/api/session'), 401, 'unauthenticated');
    } finally {
      assert.equal((await suite.admin.request('PATCH', TAP_POLICY, { registrationWindowInMinutes: 10 })).status, 204);
    }
  });

  test('a multi-use pass session lasts the registration window, never beyond the pass', async () => {
    const { pass, client } = await bootstrapped({ isUsableOnce: false, lifetimeInMinutes: 60 });
    const session = (await client.request('GET', '/api/session')).json.session;
    const signedIn = new Date(session.authenticatedDateTime).getTime();
    const passEnds = new Date(pass.startDateTime).getTime() + 60 * 60_000;
    assert.equal(new Date(session.expiresDateTime).getTime(), Math.min(passEnds, signedIn + 10 * 60_000));
  });

  test('a failed passkey ceremony inside the window can be retried with the same session, and the pass is not burned', async () => {
    const { client, user } = await bootstrapped({ isUsableOnce: true });
    const key = createSoftwareAuthenticator();
    await client.refreshCsrf();
    const options = await client.request('POST', '/api/security-info/passkeys/options', { displayName: 'Laptop' });
    assert.equal(options.status, 200);
    const tampered = createRegistrationResponse(key, {
      optionsJSON: options.json.options,
      origin: ORIGIN,
      tamper: 'origin',
    });
    const failed = await client.request('POST', '/api/security-info/passkeys/verify', {
      flowId: options.json.flowId,
      credential: tampered,
    });
    assertGraphError(failed, 400, 'passkeyRegistrationFailed', /Try again/);

    suite.t.advance(3);
    const retried = await registerPasskey(client, key, 'Laptop');
    assert.equal(retried.status, 201, JSON.stringify(retried.json));
    const signIn = await signInWithPasskey(suite.t.client({ ip: freshIp() }), key);
    assert.equal(signIn.status, 200);
    const methods = await suite.admin.request('GET', `/v1.0/users/${user.id}/authentication/fido2Methods`);
    assert.deepEqual(
      methods.json.value.map((m: { displayName: string }) => m.displayName),
      ['Laptop'],
    );
  });

  test('after the first passkey the session may still add a second one until its window ends', async () => {
    const { client, user } = await bootstrapped({ isUsableOnce: true });
    assert.equal((await registerPasskey(client, createSoftwareAuthenticator(), 'Phone')).status, 201);
    // The pass is retired (retireOnPasskeyRegistration) but this session keeps its window.
    const taps = await suite.admin.request('GET', `/v1.0/users/${user.id}/authentication/temporaryAccessPassMethods`);
    assert.deepEqual(taps.json.value, []);
    assert.equal((await registerPasskey(client, createSoftwareAuthenticator(), 'Key')).status, 201);
    const passkeys = await suite.admin.request('GET', `/v1.0/users/${user.id}/authentication/fido2Methods`);
    assert.equal(passkeys.json.value.length, 2);
  });

  test('signing out ends the session', async () => {
    const { client } = await bootstrapped({ isUsableOnce: false });
    const out = await client.request('POST', '/api/signout');
    assert.equal(out.status, 204);
    assert.equal(client.cookie, null, 'the cookie is cleared');
    assertGraphError(await client.request('GET', '/api/session'), 401, 'unauthenticated');
  });

  test('the session cookie is HttpOnly and SameSite=Strict, and a new sign-in replaces the old token', async () => {
    const { user, pass } = await newUserWithTap(suite.admin, upn('cookie'), { isUsableOnce: false });
    const client = suite.t.client({ ip: freshIp() });
    const flow = await client.request('POST', '/api/signin/identify', { identifier: user.userPrincipalName });
    const res = await client.request('POST', '/api/signin/tap', {
      flowId: flow.json.flowId,
      temporaryAccessPass: pass.temporaryAccessPass,
    });
    const cookie = String(res.headers['set-cookie']);
    assert.match(cookie, /HttpOnly/i);
    assert.match(cookie, /SameSite=Strict/i);
    const first = client.cookie;

    assert.equal((await signInWithTap(client, user.userPrincipalName, pass.temporaryAccessPass)).status, 200);
    assert.notEqual(client.cookie, first);
    const stale = suite.t.client();
    stale.cookie = first;
    assertGraphError(await stale.request('GET', '/api/session'), 401, 'unauthenticated');
  });

  test('a full session ends after an hour without use', async () => {
    const person = suite.t.client();
    assert.equal((await signInWithPasskey(person, suite.adminKey)).status, 200);
    suite.t.advance(59);
    assert.equal((await person.request('GET', '/api/session')).status, 200, 'use keeps it alive');
    suite.t.advance(59);
    assert.equal((await person.request('GET', '/api/session')).status, 200);
    suite.t.advance(61);
    assertGraphError(await person.request('GET', '/api/session'), 401, 'unauthenticated');
  });
});
