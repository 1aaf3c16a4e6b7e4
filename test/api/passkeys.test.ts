// Passkeys: registration (tampering, replay, recent sign-in, duplicates), sign-in (replay, tampering, clones,
// the wrong person's key, deleted keys), several keys per person, renaming, and the sign-in log of failures.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  createSoftwareAuthenticator,
  newUserWithTap,
  ORIGIN,
  type Response,
  registerPasskey,
  signInWithPasskey,
  signInWithTap,
  type TestClient,
} from '../kit/app.ts';
import {
  adminSuite,
  assertGraphError,
  freshIp,
  type Json,
  latestSignIns,
  onboardPerson,
  type Person,
} from '../kit/directory.ts';
import {
  type AuthenticationTamper,
  createAuthenticationResponse,
  createRegistrationResponse,
  type RegistrationTamper,
  type SoftwareAuthenticator,
} from '../kit/software-authenticator.ts';

describe('passkeys', () => {
  const suite = adminSuite();
  const { upn, freshAdmin } = suite;

  /** A new account signed in with a multi-use pass (a bootstrap session that outlives the tests' time travel). */
  async function bootstrapped() {
    const { user, pass } = await newUserWithTap(suite.admin, upn('person'), {
      isUsableOnce: false,
      lifetimeInMinutes: 480,
    });
    const client = suite.t.client({ ip: freshIp() });
    assert.equal((await signInWithTap(client, user.userPrincipalName, pass.temporaryAccessPass)).status, 200);
    return { user, client };
  }

  async function registrationOptions(client: TestClient, displayName = 'Key'): Promise<Response> {
    if (!client.csrf) await client.refreshCsrf();
    return client.request('POST', '/api/security-info/passkeys/options', { displayName });
  }

  async function tamperedRegistration(client: TestClient, tamper: RegistrationTamper): Promise<Response> {
    const options = await registrationOptions(client);
    assert.equal(options.status, 200, JSON.stringify(options.json));
    const credential = createRegistrationResponse(createSoftwareAuthenticator(), {
      optionsJSON: options.json.options,
      origin: ORIGIN,
      tamper,
    });
    return client.request('POST', '/api/security-info/passkeys/verify', { flowId: options.json.flowId, credential });
  }

  /** One passkey sign-in attempt with an optional tamper; returns the verify response. */
  async function passkeyAttempt(
    key: SoftwareAuthenticator,
    options: { identifier?: string; tamper?: AuthenticationTamper; credentialId?: string } = {},
  ): Promise<Response> {
    const client = suite.t.client({ ip: freshIp() });
    let flowId: string | undefined;
    if (options.identifier) {
      flowId = (await client.request('POST', '/api/signin/identify', { identifier: options.identifier })).json.flowId;
    }
    const started = await client.request('POST', '/api/signin/passkey/options', flowId ? { flowId } : {});
    assert.equal(started.status, 200, JSON.stringify(started.json));
    const credential = createAuthenticationResponse(key, {
      optionsJSON: started.json.options,
      origin: ORIGIN,
      tamper: options.tamper,
      credentialId: options.credentialId,
    });
    return client.request('POST', '/api/signin/passkey/verify', { flowId: started.json.flowId, credential });
  }

  async function fido2Methods(userId: string): Promise<Json[]> {
    const res = await suite.admin.request('GET', `/v1.0/users/${userId}/authentication/fido2Methods`);
    assert.equal(res.status, 200, JSON.stringify(res.json));
    return res.json.value;
  }

  /** Rewrites the challenge in a 'none'-attestation registration (whose clientDataJSON nothing signs). */
  function withChallenge<T extends { response: { clientDataJSON: string } }>(credential: T, challenge: string): T {
    const clientData = JSON.parse(Buffer.from(credential.response.clientDataJSON, 'base64url').toString('utf8'));
    const clientDataJSON = Buffer.from(JSON.stringify({ ...clientData, challenge })).toString('base64url');
    return { ...credential, response: { ...credential.response, clientDataJSON } };
  }

  test('registration refuses tampered responses with 400 passkeyRegistrationFailed and stores nothing', async () => {
    const { user, client } = await bootstrapped();
    for (const tamper of ['challenge', 'origin', 'rpId', 'userVerification', 'signature'] as const) {
      const res = await tamperedRegistration(client, tamper);
      assertGraphError(res, 400, 'passkeyRegistrationFailed', /could not be verified/);
    }
    assert.deepEqual(await fido2Methods(user.id), []);
    // The session is still good for a real registration.
    assert.equal((await registerPasskey(client, createSoftwareAuthenticator())).status, 201);
  });

  test('a registration response sent twice is refused the second time with flowExpired', async () => {
    const { user, client } = await bootstrapped();
    const options = await registrationOptions(client, 'Once');
    const credential = createRegistrationResponse(createSoftwareAuthenticator(), {
      optionsJSON: options.json.options,
      origin: ORIGIN,
    });
    const body = { flowId: options.json.flowId, credential };
    assert.equal((await client.request('POST', '/api/security-info/passkeys/verify', body)).status, 201);
    const replay = await client.request('POST', '/api/security-info/passkeys/verify', body);
    assertGraphError(replay, 410, 'flowExpired', /Add passkey/);
    assert.equal((await fido2Methods(user.id)).length, 1);
  });

  test('a registration ceremony belongs to the session that started it', async () => {
    const a = await bootstrapped();
    const b = await bootstrapped();
    const options = await registrationOptions(a.client);
    const credential = createRegistrationResponse(createSoftwareAuthenticator(), {
      optionsJSON: options.json.options,
      origin: ORIGIN,
    });
    await b.client.refreshCsrf();
    const res = await b.client.request('POST', '/api/security-info/passkeys/verify', {
      flowId: options.json.flowId,
      credential,
    });
    assertGraphError(res, 410, 'flowExpired');
    assert.deepEqual(await fido2Methods(b.user.id), []);
    assert.deepEqual(await fido2Methods(a.user.id), []);
  });

  test('adding a passkey needs a sign-in within 5 minutes: an older full session gets 401 reauthenticationRequired, a passkey sign-in fixes it', async () => {
    const person = await onboardPerson(suite.t, suite.admin, upn('reauth'));
    suite.t.advance(6);
    const session = await person.client.request('GET', '/api/session');
    assert.equal(session.json.session.reauthenticationRequired, true);
    const refused = await registerPasskey(person.client, createSoftwareAuthenticator());
    assertGraphError(refused, 401, 'reauthenticationRequired', /Sign in again with your passkey/);
    const mine = (await person.client.request('GET', '/v1.0/me/authentication/fido2Methods')).json.value;
    const deleteRefused = await person.client.request('DELETE', `/v1.0/me/authentication/fido2Methods/${mine[0].id}`);
    assertGraphError(deleteRefused, 401, 'reauthenticationRequired');

    assert.equal((await signInWithPasskey(person.client, person.authenticator)).status, 200);
    assert.equal((await person.client.request('GET', '/api/session')).json.session.reauthenticationRequired, false);
    assert.equal((await registerPasskey(person.client, createSoftwareAuthenticator(), 'Second')).status, 201);
    assert.equal((await fido2Methods(person.user.id)).length, 2);
  });

  test('a pass (bootstrap) session may add a passkey for its whole life, even after 5 minutes', async () => {
    const { user, client } = await bootstrapped();
    suite.t.advance(6);
    assert.equal((await registerPasskey(client, createSoftwareAuthenticator())).status, 201);
    assert.equal((await fido2Methods(user.id)).length, 1);
  });

  test('the same authenticator cannot be registered twice: the options exclude it and the server refuses its credential id', async () => {
    await freshAdmin();
    const person = await onboardPerson(suite.t, suite.admin, upn('dup'));
    const [existing] = await fido2Methods(person.user.id);
    const options = await registrationOptions(person.client);
    const excluded = options.json.options.excludeCredentials.map((c: { id: string }) => c.id);
    const held = Buffer.from(person.authenticator.credentials[0]!.credentialId).toString('base64url');
    assert.deepEqual(excluded, [held]);
    assert.throws(
      () => createRegistrationResponse(person.authenticator, { optionsJSON: options.json.options, origin: ORIGIN }),
      /InvalidStateError/,
    );

    // A client that ignores excludeCredentials and resends a registered credential id (to this account or to
    // another one) is refused.
    const first = await bootstrapped();
    const original = await registrationOptions(first.client);
    const key = createSoftwareAuthenticator();
    const credential = createRegistrationResponse(key, { optionsJSON: original.json.options, origin: ORIGIN });
    assert.equal(
      (
        await first.client.request('POST', '/api/security-info/passkeys/verify', {
          flowId: original.json.flowId,
          credential,
        })
      ).status,
      201,
    );
    for (const who of [first, await bootstrapped()]) {
      const again = await registrationOptions(who.client);
      const res = await who.client.request('POST', '/api/security-info/passkeys/verify', {
        flowId: again.json.flowId,
        credential: withChallenge(credential, again.json.options.challenge),
      });
      assertGraphError(res, 400, 'passkeyRegistrationFailed', /already registered/);
    }
    assert.equal((await fido2Methods(first.user.id)).length, 1);
    assert.equal(existing.displayName, `${person.user.userPrincipalName} key`);
  });

  test('a person can have several passkeys, each signs in and shows when it was last used', async () => {
    const person = await onboardPerson(suite.t, suite.admin, upn('several'));
    await person.client.refreshCsrf();
    const phone = createSoftwareAuthenticator({ backupEligible: true, backedUp: true });
    assert.equal((await registerPasskey(person.client, phone, 'Phone')).status, 201);
    const list = await fido2Methods(person.user.id);
    assert.deepEqual(
      list.map((m) => m.displayName),
      [`${person.user.userPrincipalName} key`, 'Phone'],
    );
    assert.equal(list[1].lastUsedDateTime, null);
    assert.equal(list[1].isBackedUp, true);
    assert.equal((await passkeyAttempt(phone)).status, 200);
    assert.equal((await passkeyAttempt(person.authenticator)).status, 200);
    const after = await fido2Methods(person.user.id);
    assert.ok(after.every((m) => typeof m.lastUsedDateTime === 'string'));
  });

  test('a passkey can be renamed through PATCH /v1.0/me/authentication/fido2Methods/{id}', async () => {
    const person = await onboardPerson(suite.t, suite.admin, upn('rename'));
    const [key] = await fido2Methods(person.user.id);
    const url = `/v1.0/me/authentication/fido2Methods/${key.id}`;
    const renamed = await person.client.request('PATCH', url, { displayName: '  Work laptop ' });
    assert.equal(renamed.status, 200, JSON.stringify(renamed.json));
    assert.equal(renamed.json.displayName, 'Work laptop');
    assert.equal((await person.client.request('GET', url)).json.displayName, 'Work laptop');
    assertGraphError(await person.client.request('PATCH', url, { displayName: ' ' }), 400, 'badRequest', /1-64/);
    assertGraphError(
      await person.client.request('PATCH', url, { displayName: 'x'.repeat(65) }),
      400,
      'badRequest',
      /1-64/,
    );
    // Someone else's passkey id is not found from this account.
    const [adminsKey] = (await suite.admin.request('GET', '/v1.0/me/authentication/fido2Methods')).json.value;
    assertGraphError(
      await person.client.request('PATCH', `/v1.0/me/authentication/fido2Methods/${adminsKey.id}`, {
        displayName: 'Mine now',
      }),
      404,
      'itemNotFound',
    );
    assert.equal((await fido2Methods(person.user.id))[0].displayName, 'Work laptop');
  });

  test('an assertion sent twice signs in once; the replay answers 410 flowExpired, creates no session and is logged', async () => {
    const person = await onboardPerson(suite.t, suite.admin, upn('replay'));
    const client = suite.t.client({ ip: freshIp() });
    const started = await client.request('POST', '/api/signin/passkey/options', {});
    const credential = createAuthenticationResponse(person.authenticator, {
      optionsJSON: started.json.options,
      origin: ORIGIN,
    });
    const body = { flowId: started.json.flowId, credential };
    assert.equal((await client.request('POST', '/api/signin/passkey/verify', body)).status, 200);
    const other = suite.t.client({ ip: freshIp() });
    const replay = await other.request('POST', '/api/signin/passkey/verify', body);
    assertGraphError(replay, 410, 'flowExpired');
    assert.equal(other.cookie, null);
    assertGraphError(await other.request('GET', '/api/session'), 401, 'unauthenticated');
    // The replay is in the sign-in log, against the passkey's owner.
    const [row] = await latestSignIns(suite.admin, 1);
    assert.equal(row.status.errorCode, 900301);
    assert.equal(row.userPrincipalName, person.user.userPrincipalName);
  });

  test('sign-in refuses foreign origin, foreign RP ID, a bad signature and missing user verification (400 passkeyVerificationFailed), and logs each', async () => {
    const person = await onboardPerson(suite.t, suite.admin, upn('tamper'));
    for (const tamper of ['origin', 'rpId', 'signature', 'userVerification'] as const) {
      const res = await passkeyAttempt(person.authenticator, { tamper });
      assertGraphError(res, 400, 'passkeyVerificationFailed');
      const [row] = await latestSignIns(suite.admin, 1);
      assert.equal(row.userPrincipalName, person.user.userPrincipalName, tamper);
      assert.equal(row.status.errorCode, 900202, tamper);
      assert.match(row.status.failureReason, /verification/, tamper);
      assert.match(row.authenticationMethodsUsed[0], /^Passkey/, tamper);
    }
    assert.equal((await passkeyAttempt(person.authenticator)).status, 200, 'the real key still works');
  });

  test('a sign counter that goes backwards (a cloned authenticator) is refused', async () => {
    const person = await onboardPerson(suite.t, suite.admin, upn('clone'), { authenticator: { signCountStart: 1 } });
    assert.equal((await passkeyAttempt(person.authenticator)).status, 200);
    const cloned = await passkeyAttempt(person.authenticator, { tamper: 'counterRollback' });
    assertGraphError(cloned, 400, 'passkeyVerificationFailed');
    assert.equal((await latestSignIns(suite.admin, 1))[0].status.errorCode, 900202);
  });

  test('a user handle that does not name the key owner is refused with passkeyNotRecognized', async () => {
    const person = await onboardPerson(suite.t, suite.admin, upn('handle'));
    const res = await passkeyAttempt(person.authenticator, { tamper: 'userHandle' });
    assertGraphError(res, 400, 'passkeyNotRecognized');
    assert.equal((await latestSignIns(suite.admin, 1))[0].status.errorCode, 900201);
  });

  test("identifier-first with another person's passkey answers passkeyNotRecognized, logged, and signs nobody in", async () => {
    const alice: Person = await onboardPerson(suite.t, suite.admin, upn('alice'));
    const bob: Person = await onboardPerson(suite.t, suite.admin, upn('bob'));
    const client = suite.t.client({ ip: freshIp() });
    const flow = await client.request('POST', '/api/signin/identify', { identifier: alice.user.userPrincipalName });
    const started = await client.request('POST', '/api/signin/passkey/options', { flowId: flow.json.flowId });
    const credential = createAuthenticationResponse(bob.authenticator, {
      optionsJSON: started.json.options,
      origin: ORIGIN,
    });
    const res = await client.request('POST', '/api/signin/passkey/verify', { flowId: flow.json.flowId, credential });
    assertGraphError(res, 400, 'passkeyNotRecognized', /not registered/);
    assertGraphError(await client.request('GET', '/api/session'), 401, 'unauthenticated');
    const [row] = await latestSignIns(suite.admin, 1);
    assert.equal(row.status.errorCode, 900201);
    assert.equal(row.userPrincipalName, alice.user.userPrincipalName);

    // The same flow can still finish with Alice's own passkey.
    const retry = await client.request('POST', '/api/signin/passkey/options', { flowId: flow.json.flowId });
    const own = createAuthenticationResponse(alice.authenticator, { optionsJSON: retry.json.options, origin: ORIGIN });
    const ok = await client.request('POST', '/api/signin/passkey/verify', {
      flowId: flow.json.flowId,
      credential: own,
    });
    assert.equal(ok.status, 200, JSON.stringify(ok.json));
  });

  test('a deleted passkey can no longer sign in, whether the admin or the person deleted it', async () => {
    const person = await onboardPerson(suite.t, suite.admin, upn('deleted'));
    const spare = createSoftwareAuthenticator();
    assert.equal((await registerPasskey(person.client, spare, 'Spare')).status, 201);
    const [first, second] = await fido2Methods(person.user.id);

    const byAdmin = await suite.admin.request(
      'DELETE',
      `/v1.0/users/${person.user.id}/authentication/fido2Methods/${first.id}`,
    );
    assert.equal(byAdmin.status, 204);
    assertGraphError(await passkeyAttempt(person.authenticator), 400, 'passkeyNotRecognized');
    assert.equal((await latestSignIns(suite.admin, 1))[0].status.errorCode, 900201);

    const byPerson = await person.client.request('DELETE', `/v1.0/me/authentication/fido2Methods/${second.id}`);
    assert.equal(byPerson.status, 204);
    assertGraphError(await passkeyAttempt(spare), 400, 'passkeyNotRecognized');
    assertGraphError(
      await person.client.request('DELETE', `/v1.0/me/authentication/fido2Methods/${second.id}`),
      404,
      'itemNotFound',
    );
    assert.deepEqual(await fido2Methods(person.user.id), []);
  });

  test('an unknown passkey on a username-less sign-in answers passkeyNotRecognized', async () => {
    const stranger = createSoftwareAuthenticator();
    // A key registered for another site's account: the server has never seen it.
    createRegistrationResponse(stranger, {
      optionsJSON: {
        challenge: 'AAAA',
        rp: { id: 'localhost', name: 'x' },
        user: { id: 'AAAA', name: 'x', displayName: 'x' },
        pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
      },
      origin: ORIGIN,
    });
    assertGraphError(await passkeyAttempt(stranger), 400, 'passkeyNotRecognized');
  });
});
