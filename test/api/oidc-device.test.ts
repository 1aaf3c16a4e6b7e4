// The device authorization grant (RFC 8628) at the protocol level; approving in a real browser is covered by
// e2e/device.test.ts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as oidc from 'openid-client';
import { signedInAdmin, startTestApp } from '../kit/app.ts';
import { latestSignIns } from '../kit/directory.ts';
import { clientConfiguration, registerApplication } from '../kit/oidc.ts';

test('a device code nobody approves expires: the device is told expired_token, and the sign-in log says so', async () => {
  const t = await startTestApp({ PASSLESS_DEVICE_CODE_SECONDS: '2' });
  try {
    const { client: admin } = await signedInAdmin(t);
    const registered = await registerApplication(admin, {
      displayName: 'Lobby TV',
      confidential: false,
      isFallbackPublicClient: true,
      web: { redirectUris: [] },
    });
    const config = await clientConfiguration(t, registered);
    const started = await oidc.initiateDeviceAuthorization(config, { scope: 'openid profile' });
    assert.match(started.user_code, /^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/);
    assert.equal(started.verification_uri, 'http://localhost:8080/device');
    assert.ok(started.expires_in <= 2);
    await new Promise((resolve) => setTimeout(resolve, 2500));
    let error = '';
    try {
      await oidc.pollDeviceAuthorizationGrant(config, { ...started, interval: 0 });
    } catch (e) {
      error = (e as { error?: string }).error ?? String(e);
    }
    assert.equal(error, 'expired_token');
    const rows = await latestSignIns(admin, 5);
    const row = rows.find((r) => r.appId === registered.appId);
    assert.equal(row?.status.errorCode, 70020);
    assert.equal(row?.appDisplayName, 'Lobby TV');
  } finally {
    await t.close();
  }
});

test('a confidential web application cannot start a device sign-in', async () => {
  const t = await startTestApp();
  try {
    const { client: admin } = await signedInAdmin(t);
    const registered = await registerApplication(admin, { displayName: 'Web only' });
    const config = await clientConfiguration(t, registered);
    let error = '';
    try {
      await oidc.initiateDeviceAuthorization(config, { scope: 'openid' });
    } catch (e) {
      error = `${(e as { error?: string }).error} ${(e as { error_description?: string }).error_description}`;
    }
    assert.match(error, /device_code is not allowed for this client/);
  } finally {
    await t.close();
  }
});

test('a user-code form posted without the page it came from gets a fresh form, not a server error', async () => {
  const t = await startTestApp();
  try {
    const posted = await t.app.inject({
      method: 'POST',
      url: '/device',
      payload: 'user_code=BCDF-GHJK&xsrf=forged',
      headers: { host: 'localhost:8080', 'content-type': 'application/x-www-form-urlencoded' },
    });
    assert.equal(posted.statusCode, 303);
    assert.equal(posted.headers.location, '/device');
    const form = await t.app.inject({ method: 'GET', url: '/device', headers: { host: 'localhost:8080' } });
    assert.equal(form.statusCode, 200);
    assert.match(form.body, /Sign in on another device/);
  } finally {
    await t.close();
  }
});
