import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  type AuthenticationResponseJSON,
  generateAuthenticationOptions,
  generateRegistrationOptions,
  type RegistrationResponseJSON,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type WebAuthnCredential,
} from '@simplewebauthn/server';
import {
  type AuthenticationTamper,
  createAuthenticationResponse,
  createRegistrationResponse,
  createSoftwareAuthenticator,
  type RegistrationTamper,
  type SoftwareAuthenticator,
  type SoftwareAuthenticatorOptions,
} from './software-authenticator.ts';

const rpID = 'localhost';
const origin = 'http://localhost:8080';

async function registrationOptions(userName = 'alice', excludeCredentials: { id: string }[] = []) {
  return generateRegistrationOptions({
    rpName: 'Passless test',
    rpID,
    userName,
    attestationType: 'none',
    excludeCredentials,
    authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
  });
}

async function verifyRegistration(response: RegistrationResponseJSON, expectedChallenge: string) {
  return verifyRegistrationResponse({
    response,
    expectedChallenge,
    expectedOrigin: origin,
    expectedRPID: rpID,
    requireUserVerification: true,
  });
}

/** Registers a fresh credential and returns what a server would have stored for it. */
async function register(options: SoftwareAuthenticatorOptions = {}) {
  const authenticator = createSoftwareAuthenticator(options);
  const optionsJSON = await registrationOptions();
  const result = await verifyRegistration(
    createRegistrationResponse(authenticator, { optionsJSON, origin }),
    optionsJSON.challenge,
  );
  assert.ok(result.verified && result.registrationInfo);
  const credential: WebAuthnCredential = { ...result.registrationInfo.credential };
  return { authenticator, credential, userId: optionsJSON.user.id, info: result.registrationInfo };
}

/**
 * What a correct server does with an assertion: look up the credential, check the user handle
 * belongs to its owner (simplewebauthn leaves that to the caller), verify, then persist the counter.
 */
async function serverVerifyAssertion(
  response: AuthenticationResponseJSON,
  expectedChallenge: string,
  stored: { credential: WebAuthnCredential; userId: string },
) {
  assert.equal(response.id, stored.credential.id, 'unknown credential');
  if (response.response.userHandle !== stored.userId) throw new Error('userHandle does not match credential owner');
  const result = await verifyAuthenticationResponse({
    response,
    expectedChallenge,
    expectedOrigin: origin,
    expectedRPID: rpID,
    credential: stored.credential,
    requireUserVerification: true,
  });
  if (!result.verified) throw new Error('signature did not verify');
  stored.credential.counter = result.authenticationInfo.newCounter;
  return result.authenticationInfo;
}

async function login(authenticator: SoftwareAuthenticator, tamper?: AuthenticationTamper) {
  const optionsJSON = await generateAuthenticationOptions({ rpID, userVerification: 'required' });
  return { optionsJSON, response: createAuthenticationResponse(authenticator, { optionsJSON, origin, tamper }) };
}

test('registration verifies and yields the credential', async () => {
  const authenticator = createSoftwareAuthenticator({ aaguid: '11111111-2222-3333-4444-555555555555' });
  const optionsJSON = await registrationOptions();
  const response = createRegistrationResponse(authenticator, { optionsJSON, origin });
  const result = await verifyRegistration(response, optionsJSON.challenge);

  assert.equal(result.verified, true);
  const info = result.registrationInfo;
  assert.ok(info);
  assert.equal(info.fmt, 'none');
  assert.equal(info.aaguid, '11111111-2222-3333-4444-555555555555');
  assert.equal(info.credential.id, response.id);
  assert.equal(info.credential.counter, 0);
  assert.deepEqual(info.credential.transports, ['internal']);
  assert.equal(info.userVerified, true);
  assert.equal(info.credentialDeviceType, 'singleDevice');
  assert.equal(info.credentialBackedUp, false);
  assert.equal(info.origin, origin);
  assert.equal(info.rpID, rpID);

  assert.equal(authenticator.credentials.length, 1);
  const [stored] = authenticator.credentials;
  assert.equal(stored?.userHandle, optionsJSON.user.id);
  assert.equal(stored?.userName, 'alice');
  assert.equal(stored?.rpId, rpID);
  assert.ok(stored && stored.credentialId.length >= 16 && stored.credentialId.length <= 32);
});

test('assertion verifies with the stored public key; synced-style counter stays 0', async () => {
  const stored = await register();
  for (let i = 0; i < 2; i++) {
    const { optionsJSON, response } = await login(stored.authenticator);
    assert.equal(response.response.userHandle, stored.userId);
    const info = await serverVerifyAssertion(response, optionsJSON.challenge, stored);
    assert.equal(info.newCounter, 0);
    assert.equal(info.userVerified, true);
  }
});

test('counter increments from signCountStart and with incrementCounter', async () => {
  const fromFive = await register({ signCountStart: 5 });
  assert.equal(fromFive.credential.counter, 5);
  for (const expected of [6, 7]) {
    const { optionsJSON, response } = await login(fromFive.authenticator);
    assert.equal((await serverVerifyAssertion(response, optionsJSON.challenge, fromFive)).newCounter, expected);
  }
  const fromZero = await register({ incrementCounter: true });
  const { optionsJSON, response } = await login(fromZero.authenticator);
  assert.equal((await serverVerifyAssertion(response, optionsJSON.challenge, fromZero)).newCounter, 1);
});

const registrationRejections: Record<RegistrationTamper, RegExp> = {
  challenge: /challenge/,
  origin: /origin/,
  rpId: /RP ID/,
  userVerification: /User verification/,
  signature: /not verified/,
};

for (const [tamper, reason] of Object.entries(registrationRejections) as [RegistrationTamper, RegExp][]) {
  test(`registration tamper '${tamper}' is rejected`, async () => {
    const authenticator = createSoftwareAuthenticator();
    const optionsJSON = await registrationOptions();
    const response = createRegistrationResponse(authenticator, { optionsJSON, origin, tamper });
    await assert.rejects(async () => {
      const result = await verifyRegistration(response, optionsJSON.challenge);
      if (!result.verified) throw new Error('attestation not verified');
    }, reason);
  });
}

const assertionRejections: Record<AuthenticationTamper, RegExp> = {
  challenge: /challenge/,
  origin: /origin/,
  rpId: /RP ID/,
  userVerification: /User verification/,
  signature: /signature did not verify/,
  userHandle: /userHandle/,
  counterRollback: /counter value \d+ was lower than expected/,
};

for (const [tamper, reason] of Object.entries(assertionRejections) as [AuthenticationTamper, RegExp][]) {
  test(`assertion tamper '${tamper}' is rejected, and a clean assertion still passes`, async () => {
    // A non-zero, incrementing counter so a rollback is observable.
    const stored = await register({ signCountStart: 1 });
    const first = await login(stored.authenticator);
    await serverVerifyAssertion(first.response, first.optionsJSON.challenge, stored);

    const bad = await login(stored.authenticator, tamper);
    if (tamper === 'counterRollback') {
      assert.ok(authDataCounter(bad.response) > 0, 'rolled-back counter must be non-zero');
    }
    await assert.rejects(serverVerifyAssertion(bad.response, bad.optionsJSON.challenge, stored), reason);

    const good = await login(stored.authenticator);
    await serverVerifyAssertion(good.response, good.optionsJSON.challenge, stored);
  });
}

test('counterRollback refuses to run without a counter to roll back', async () => {
  const { authenticator } = await register();
  await assert.rejects(login(authenticator, 'counterRollback'), /non-zero counter/);
});

test('backup flags come through as multiDevice / credentialBackedUp', async () => {
  const synced = await register({ backupEligible: true, backedUp: true });
  assert.equal(synced.info.credentialDeviceType, 'multiDevice');
  assert.equal(synced.info.credentialBackedUp, true);
  const { optionsJSON, response } = await login(synced.authenticator);
  const info = await serverVerifyAssertion(response, optionsJSON.challenge, synced);
  assert.equal(info.credentialDeviceType, 'multiDevice');
  assert.equal(info.credentialBackedUp, true);

  const eligibleOnly = await register({ backupEligible: true });
  assert.equal(eligibleOnly.info.credentialDeviceType, 'multiDevice');
  assert.equal(eligibleOnly.info.credentialBackedUp, false);
});

test('userVerification: false sends UP without UV', async () => {
  const authenticator = createSoftwareAuthenticator({ userVerification: false });
  const optionsJSON = await registrationOptions();
  const result = await verifyRegistrationResponse({
    response: createRegistrationResponse(authenticator, { optionsJSON, origin }),
    expectedChallenge: optionsJSON.challenge,
    expectedOrigin: origin,
    expectedRPID: rpID,
    requireUserVerification: false,
  });
  assert.equal(result.verified, true);
  assert.equal(result.registrationInfo?.userVerified, false);
});

test('excludeCredentials and allowCredentials are honoured', async () => {
  const authenticator = createSoftwareAuthenticator();
  const aliceOptions = await registrationOptions('alice');
  const alice = createRegistrationResponse(authenticator, { optionsJSON: aliceOptions, origin });
  const bobOptions = await registrationOptions('bob', [{ id: alice.id }]);
  assert.throws(
    () => createRegistrationResponse(authenticator, { optionsJSON: bobOptions, origin }),
    /InvalidStateError/,
  );

  const bob = createRegistrationResponse(authenticator, { optionsJSON: await registrationOptions('bob'), origin });
  const optionsJSON = await generateAuthenticationOptions({ rpID, allowCredentials: [{ id: bob.id }] });
  assert.equal(createAuthenticationResponse(authenticator, { optionsJSON, origin }).id, bob.id);
  const discoverable = await generateAuthenticationOptions({ rpID });
  assert.equal(createAuthenticationResponse(authenticator, { optionsJSON: discoverable, origin }).id, alice.id);
  assert.equal(
    createAuthenticationResponse(authenticator, { optionsJSON: discoverable, origin, credentialId: bob.id }).id,
    bob.id,
  );
});

function authDataCounter(response: AuthenticationResponseJSON): number {
  return Buffer.from(response.response.authenticatorData, 'base64url').readUInt32BE(33);
}
