// The whole story over HTTP: bootstrap admin → new user → pass → passkey → passkey sign-in.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  bootstrap,
  createSoftwareAuthenticator,
  newUserWithTap,
  registerPasskey,
  signedInAdmin,
  signInWithPasskey,
  signInWithTap,
  startTestApp,
  type TestApp,
} from '../kit/app.ts';

describe('passwordless onboarding end to end', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp();
  });
  after(async () => {
    await t.close();
  });

  test('the bootstrap admin signs in with the pass, adds a passkey, and then reaches the admin API only with it', async () => {
    const boot = await bootstrap(t, 'root@contoso.test');
    assert.match(boot.temporaryAccessPass, /^[A-Za-z0-9]{12,}$/);
    assert.equal(boot.lifetimeInMinutes, 60);
    const browser = t.client();
    const tapSignIn = await signInWithTap(browser, 'root@contoso.test', boot.temporaryAccessPass);
    assert.equal(tapSignIn.status, 200, JSON.stringify(tapSignIn.json));
    assert.equal(tapSignIn.json.redirectTo, '/security-info');

    const session = await browser.request('GET', '/api/session');
    assert.equal(session.json.session.kind, 'bootstrap');
    assert.deepEqual(session.json.roles, ['Global Administrator']);

    // The pass bootstraps credentials; it is not a way into administration.
    const users = await browser.request('GET', '/v1.0/users');
    assert.equal(users.status, 403);
    assert.equal(users.json.error.code, 'bootstrapSessionOnly');

    const key = createSoftwareAuthenticator();
    const registered = await registerPasskey(browser, key, 'YubiKey 5');
    assert.equal(registered.status, 201, JSON.stringify(registered.json));
    assert.equal(registered.json.displayName, 'YubiKey 5');
    assert.equal(registered.json['@odata.type'], '#microsoft.graph.fido2AuthenticationMethod');

    const admin = t.client();
    const passkeySignIn = await signInWithPasskey(admin, key);
    assert.equal(passkeySignIn.status, 200, JSON.stringify(passkeySignIn.json));
    const fullSession = await admin.request('GET', '/api/session');
    assert.equal(fullSession.json.session.kind, 'full');
    assert.deepEqual(fullSession.json.session.authenticationMethods, ['hwk', 'user']);
    const list = await admin.request('GET', '/v1.0/users');
    assert.equal(list.status, 200);
    assert.ok(list.json.value.some((u: { userPrincipalName: string }) => u.userPrincipalName === 'root@contoso.test'));
  });

  test('an employee gets an account and a one-time pass, registers a passkey, and signs in with it alone', async () => {
    const { client: admin } = await signedInAdmin(t, 'it@contoso.test');
    const { user, pass, passStatus } = await newUserWithTap(admin, 'jane@contoso.test', {
      lifetimeInMinutes: 60,
      isUsableOnce: true,
    });
    assert.equal(passStatus, 201, JSON.stringify(pass));
    assert.equal(typeof pass.temporaryAccessPass, 'string');
    assert.equal(pass.isUsable, true);
    assert.equal(pass.methodUsabilityReason, 'EnabledByPolicy');

    // Shown once: every later read carries null.
    const listed = await admin.request('GET', `/v1.0/users/${user.id}/authentication/temporaryAccessPassMethods`);
    assert.equal(listed.json.value.length, 1);
    assert.equal(listed.json.value[0].temporaryAccessPass, null);

    const jane = t.client({ ip: '10.0.0.5' });
    assert.equal((await signInWithTap(jane, 'jane@contoso.test', pass.temporaryAccessPass)).status, 200);
    const key = createSoftwareAuthenticator({ backupEligible: true, backedUp: true });
    assert.equal((await registerPasskey(jane, key, 'Phone')).status, 201);

    // Retired after the first passkey (retireOnPasskeyRegistration, default true).
    const methods = await admin.request('GET', `/v1.0/users/${user.id}/authentication/methods`);
    assert.deepEqual(
      methods.json.value.map((m: { '@odata.type': string }) => m['@odata.type']),
      ['#microsoft.graph.fido2AuthenticationMethod'],
    );

    const later = t.client({ ip: '10.0.0.5' });
    const signIn = await signInWithPasskey(later, key, { identifier: 'JANE@contoso.test' });
    assert.equal(signIn.status, 200, JSON.stringify(signIn.json));
    const session = await later.request('GET', '/api/session');
    assert.equal(session.json.user.userPrincipalName, 'jane@contoso.test');
    assert.deepEqual(session.json.session.authenticationMethods, ['swk', 'user']);

    const audit = await admin.request('GET', '/v1.0/auditLogs/directoryAudits');
    const reasons = audit.json.value.map((e: { resultReason: string }) => e.resultReason);
    assert.ok(reasons.includes('Admin registered temporary access pass method for user'));
    assert.ok(reasons.includes('User registered Passkey'));
    const signIns = await admin.request('GET', '/v1.0/auditLogs/signIns?$top=5');
    assert.equal(signIns.json.value[0].userPrincipalName, 'jane@contoso.test');
    assert.equal(signIns.json.value[0].status.errorCode, 0);
    assert.equal(signIns.json.value[0].ipAddress, '10.0.0.5');
  });
});
