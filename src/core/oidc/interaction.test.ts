import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ACR, evaluateStrength, requestedAcrValues, strengthOf } from './authentication-strength.ts';
import { consentCovers, splitScopes } from './consent.ts';
import { decideInteraction, type InteractionSession } from './interaction.ts';

const now = new Date('2026-11-26T12:00:00Z');
const passkey: InteractionSession = {
  kind: 'full',
  amr: ['hwk', 'user'],
  authenticatedAt: new Date(now.getTime() - 60_000),
};
const synced: InteractionSession = { ...passkey, amr: ['swk', 'user'] };
const pass: InteractionSession = { kind: 'bootstrap', amr: ['otp'], authenticatedAt: passkey.authenticatedAt };
const request = (params: Record<string, unknown> = {}) => ({
  prompt: 'login',
  params: { scope: 'openid profile', ...params },
  startedAt: new Date(now.getTime() - 1000),
});
const decide = (session: InteractionSession | null, params: Record<string, unknown> = {}, extra = {}) =>
  decideInteraction({
    session,
    request: request(params),
    firstParty: true,
    rememberedScopes: null,
    passSessionsMayUseApplications: false,
    now,
    ...extra,
  });

test('strength ladder: pass < synced passkey < device-bound passkey; unknown methods meet nothing', () => {
  assert.equal(strengthOf(['otp']), 0);
  assert.equal(strengthOf(['swk', 'user']), 1);
  assert.equal(strengthOf(['hwk', 'user']), 2);
  assert.equal(strengthOf(['hwk']), -1, 'a passkey without user verification is not phishing-resistant MFA');
  assert.deepEqual(evaluateStrength([], []), { met: false, needed: ACR.mfa });
  assert.deepEqual(evaluateStrength(['hwk', 'user'], []), { met: true, acr: ACR.deviceBound });
  assert.deepEqual(evaluateStrength(['swk', 'user'], [ACR.deviceBound]), { met: false, needed: ACR.deviceBound });
  assert.deepEqual(evaluateStrength(['hwk', 'user'], [ACR.phishingResistant]), {
    met: true,
    acr: ACR.phishingResistant,
  });
});

test('acr_values and the claims parameter both demand strengths; unknown values are ignored', () => {
  assert.deepEqual(requestedAcrValues({ acr_values: `foo ${ACR.deviceBound}` }), [ACR.deviceBound]);
  assert.deepEqual(
    requestedAcrValues({ claims: JSON.stringify({ id_token: { acr: { essential: true, values: [ACR.mfa, 'x'] } } }) }),
    [ACR.mfa],
  );
  assert.deepEqual(requestedAcrValues({ claims: '{not json' }), []);
});

test('the interaction: sign in, blocked pass, prompt=login, max_age, step-up, consent, complete', () => {
  assert.equal(decide(null).action, 'signIn');
  assert.equal(decide(pass).action, 'blocked');
  assert.deepEqual(decide(pass, {}, { passSessionsMayUseApplications: true }), {
    action: 'complete',
    acr: ACR.mfa,
    rememberConsent: false,
  });
  assert.equal(decide(passkey, { prompt: 'login' }).action, 'signIn', 'signed in before the request');
  assert.equal(decide(passkey, { max_age: '30' }).action, 'signIn', 'signed in 60 s ago, 30 allowed');
  assert.equal(decide(passkey, { max_age: '300' }).action, 'complete');
  const stepUp = decide(synced, { acr_values: ACR.deviceBound });
  assert.equal(stepUp.action, 'signIn');
  assert.equal(stepUp.action === 'signIn' && stepUp.reason, 'stepUp');
  assert.deepEqual(decide(passkey, {}, { firstParty: false }), {
    action: 'consent',
    scopes: ['openid', 'profile'],
    acr: ACR.deviceBound,
  });
  assert.equal(
    decide(passkey, {}, { firstParty: false, rememberedScopes: ['openid', 'profile', 'email'] }).action,
    'complete',
  );
  assert.equal(
    decide(passkey, { scope: 'openid offline_access' }, { firstParty: false, rememberedScopes: ['openid'] }).action,
    'consent',
  );
});

test('scopes: split without duplicates; a remembered consent covers a subset only', () => {
  assert.deepEqual(splitScopes('openid  profile openid'), ['openid', 'profile']);
  assert.deepEqual(splitScopes(undefined), []);
  assert.equal(consentCovers(null, ['openid']), false);
  assert.equal(consentCovers(['openid', 'email'], ['email']), true);
  assert.equal(consentCovers(['openid'], ['openid', 'email']), false);
});
