// Signing in with a Temporary Access Pass: the answers for wrong, unknown, expired, early and used passes,
// the one-time race, throttling per account and per address, and disabled accounts.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { THROTTLES } from '../../src/core/policy/throttle.ts';
import { newUserWithTap, type Response, signInWithPasskey, signInWithTap } from '../kit/app.ts';
import {
  adminSuite,
  assertGraphError,
  freshIp,
  inMinutes,
  issueTap,
  latestSignIns,
  onboardPerson,
} from '../kit/directory.ts';

describe('signing in with a Temporary Access Pass', () => {
  const suite = adminSuite();
  const { upn, freshAdmin } = suite;

  /** One attempt from its own address (so only the account throttle can apply). */
  const attempt = (identifier: string, code: string, ip = freshIp()) =>
    signInWithTap(suite.t.client({ ip }), identifier, code);

  /** A wrong pass of the right shape. */
  const WRONG = 'ACDEFGHJ';

  /**
   * Makes `count` wrong attempts, waiting out on the app clock any delay the throttle imposes on the way.
   * Six failures leave an 8-second wait: a margin that holds on a slow machine, unlike the first 2 seconds.
   */
  async function failTimes(count: number, wrongAttempt: () => Promise<Response>) {
    let failures = 0;
    while (failures < count) {
      const res = await wrongAttempt();
      if (res.status === 429) {
        suite.t.advance(Number(res.headers['retry-after']) / 60);
        continue;
      }
      assertGraphError(res, 400, 'tapIncorrect');
      failures++;
    }
  }

  test('a correct pass signs in to /security-info with a bootstrap session', async () => {
    const { user, pass } = await newUserWithTap(suite.admin, upn('ok'), { isUsableOnce: false });
    const person = suite.t.client({ ip: freshIp() });
    const res = await signInWithTap(person, user.userPrincipalName, pass.temporaryAccessPass);
    assert.equal(res.status, 200, JSON.stringify(res.json));
    assert.deepEqual(res.json, { redirectTo: '/security-info' });
    const session = await person.request('GET', '/api/session');
    assert.equal(session.json.user.userPrincipalName, user.userPrincipalName);
    assert.equal(session.json.session.kind, 'bootstrap');
  });

  test('a pass typed with spaces or dashes between groups still signs in', async () => {
    const { user, pass } = await newUserWithTap(suite.admin, upn('typed'), { isUsableOnce: false });
    const code: string = pass.temporaryAccessPass;
    const grouped = `${code.slice(0, 4)}-${code.slice(4)} `;
    assert.equal((await attempt(user.userPrincipalName, grouped)).status, 200);
  });

  test('a wrong pass answers 400 tapIncorrect with a message that says to check it', async () => {
    const { user } = await newUserWithTap(suite.admin, upn('wrong'), {});
    const res = await attempt(user.userPrincipalName, WRONG);
    assertGraphError(res, 400, 'tapIncorrect', /not right/);
    const [row] = await latestSignIns(suite.admin, 1);
    assert.equal(row.userPrincipalName, user.userPrincipalName);
    assert.equal(row.status.errorCode, 900101);
  });

  test('an unknown account gets the same identify answer and the same error as a wrong pass for a known one', async () => {
    const { user } = await newUserWithTap(suite.admin, upn('known'), {});
    const a = suite.t.client({ ip: freshIp() });
    const b = suite.t.client({ ip: freshIp() });
    const known = await a.request('POST', '/api/signin/identify', { identifier: user.userPrincipalName });
    const unknown = await b.request('POST', '/api/signin/identify', { identifier: 'nobody@contoso.test' });
    assert.equal(known.status, 200);
    assert.equal(unknown.status, 200);
    assert.deepEqual(Object.keys(unknown.json).sort(), Object.keys(known.json).sort());
    assert.deepEqual(unknown.json.methods, known.json.methods);
    assert.deepEqual(known.json.methods.sort(), ['passkey', 'temporaryAccessPass']);

    const wrong = await a.request('POST', '/api/signin/tap', { flowId: known.json.flowId, temporaryAccessPass: WRONG });
    const none = await b.request('POST', '/api/signin/tap', {
      flowId: unknown.json.flowId,
      temporaryAccessPass: WRONG,
    });
    assert.equal(none.status, wrong.status);
    assert.equal(none.json.error.code, wrong.json.error.code);
    assert.equal(none.json.error.message, wrong.json.error.message);
    assert.deepEqual(Object.keys(none.json.error).sort(), Object.keys(wrong.json.error).sort());
    assertGraphError(none, 400, 'tapIncorrect');
  });

  test('a known account without any pass gets the same tapIncorrect answer', async () => {
    const created = await suite.admin.request('POST', '/v1.0/users', {
      displayName: 'No Pass',
      userPrincipalName: upn('nopass'),
    });
    assertGraphError(await attempt(created.json.userPrincipalName, WRONG), 400, 'tapIncorrect');
  });

  test('an expired pass answers tapExpired, telling the person to ask for a new one', async () => {
    const { user, pass } = await newUserWithTap(suite.admin, upn('expired'), { lifetimeInMinutes: 60 });
    suite.t.advance(61);
    const res = await attempt(user.userPrincipalName, pass.temporaryAccessPass);
    assertGraphError(res, 400, 'tapExpired', /expired.*new one/i);
    await freshAdmin(); // the hour also ended the admin's idle session; this sign-in is the newest row
    const row = (await latestSignIns(suite.admin, 5)).find((r) => r.userPrincipalName === user.userPrincipalName);
    assert.equal(row.status.errorCode, 900102);
    assert.equal(row.authenticationMethodsUsed[0], 'Temporary Access Pass');
  });

  test('a pass before its start answers tapNotYetValid, naming when it becomes valid', async () => {
    const start = inMinutes(suite.t, 45);
    const { user, pass } = await newUserWithTap(suite.admin, upn('early'), { startDateTime: start });
    const res = await attempt(user.userPrincipalName, pass.temporaryAccessPass);
    assertGraphError(res, 400, 'tapNotYetValid', new RegExp(start.slice(0, 16)));
  });

  test('a one-time pass works once; the second use answers tapAlreadyUsed', async () => {
    const { user, pass } = await newUserWithTap(suite.admin, upn('once'), { isUsableOnce: true });
    assert.equal((await attempt(user.userPrincipalName, pass.temporaryAccessPass)).status, 200);
    const again = await attempt(user.userPrincipalName, pass.temporaryAccessPass);
    assertGraphError(again, 400, 'tapAlreadyUsed', /one use only/);
  });

  test('ten concurrent sign-ins with one one-time pass: exactly one succeeds', async () => {
    const { user, pass } = await newUserWithTap(suite.admin, upn('race'), { isUsableOnce: true });
    const clients = Array.from({ length: 10 }, () => suite.t.client({ ip: freshIp() }));
    const flows: string[] = [];
    for (const client of clients) {
      const flow = await client.request('POST', '/api/signin/identify', { identifier: user.userPrincipalName });
      assert.equal(flow.status, 200);
      flows.push(flow.json.flowId as string);
    }
    const results = await Promise.all(
      clients.map((client, i) =>
        client.request('POST', '/api/signin/tap', { flowId: flows[i], temporaryAccessPass: pass.temporaryAccessPass }),
      ),
    );
    const statuses = results.map((r) => r.status);
    assert.equal(statuses.filter((s) => s === 200).length, 1, JSON.stringify(results.map((r) => r.json)));
    for (const loser of results.filter((r) => r.status !== 200)) {
      // Losers are told the pass was used (or, if they arrived in a burst, to wait); never a 5xx.
      assert.ok(['tapAlreadyUsed', 'tooManyAttempts'].includes(loser.json.error.code), JSON.stringify(loser.json));
    }
    const sessions = await Promise.all(clients.map((c) => c.request('GET', '/api/session')));
    assert.equal(sessions.filter((s) => s.status === 200).length, 1, 'exactly one session was created');
    const used = await suite.admin.request('GET', `/v1.0/users/${user.id}/authentication/temporaryAccessPassMethods`);
    assert.equal(used.json.value[0].methodUsabilityReason, 'OneTimeUsed');
  });

  test('after repeated wrong passes the account is throttled: 429 with Retry-After, even for the right pass, while its passkey still works', async () => {
    const person = await onboardPerson(suite.t, suite.admin, upn('throttled'));
    const reissued = await issueTap(suite.admin, person.user.id, { isUsableOnce: false });
    assert.equal(reissued.status, 201);
    const id = person.user.userPrincipalName;

    // Every attempt comes from a different address: the account counter is what refuses the next one.
    await failTimes(6, () => attempt(id, WRONG));
    const res = await attempt(id, reissued.json.temporaryAccessPass);
    assertGraphError(res, 429, 'tooManyAttempts', /Wait \d+ seconds/);
    const retryAfter = Number(res.headers['retry-after']);
    assert.ok(retryAfter >= 1, `Retry-After: ${res.headers['retry-after']}`);
    assert.equal(res.json.error.retryAfterSeconds, retryAfter);
    const [row] = await latestSignIns(suite.admin, 1);
    assert.equal(row.status.errorCode, 50053);

    // The throttle never blocks passkey sign-in.
    const withPasskey = await signInWithPasskey(suite.t.client({ ip: freshIp() }), person.authenticator, {
      identifier: id,
    });
    assert.equal(withPasskey.status, 200, JSON.stringify(withPasskey.json));

    // Once the wait is over, the right pass works.
    suite.t.advance(retryAfter / 60);
    assert.equal((await attempt(id, reissued.json.temporaryAccessPass)).status, 200);
  });

  test('ten consecutive wrong passes lock TAP sign-in for the account for an hour', async () => {
    const { user, pass } = await newUserWithTap(suite.admin, upn('locked'), { isUsableOnce: false });
    await failTimes(10, () => attempt(user.userPrincipalName, WRONG));
    const locked = await attempt(user.userPrincipalName, pass.temporaryAccessPass);
    assertGraphError(locked, 429, 'tooManyAttempts', /60 minutes/);
    assert.ok(Number(locked.headers['retry-after']) > 55 * 60, `Retry-After: ${locked.headers['retry-after']}`);
    suite.t.advance(30);
    assertGraphError(await attempt(user.userPrincipalName, pass.temporaryAccessPass), 429, 'tooManyAttempts');
  });

  test('wrong passes from one address throttle that address for every account, but not other addresses', async () => {
    await freshAdmin();
    const { user, pass } = await newUserWithTap(suite.admin, upn('victim'), { isUsableOnce: false });
    const guesser = freshIp();
    let guess = 0;
    // Past the address's free budget, each guess at a different account: only the address counter can refuse.
    await failTimes(THROTTLES.address.freeFailures + 3, () =>
      attempt(`guess${suite.upnCount}-${++guess}@contoso.test`, WRONG, guesser),
    );
    // A fresh account, even with the right pass, is refused from the guessing address ...
    assertGraphError(await attempt(user.userPrincipalName, pass.temporaryAccessPass, guesser), 429, 'tooManyAttempts');
    // ... and accepted from any other address.
    assert.equal((await attempt(user.userPrincipalName, pass.temporaryAccessPass)).status, 200);
  });

  test('ten new people behind one office address sign in with their passes at the same moment', async () => {
    await freshAdmin();
    const people = [];
    for (let i = 0; i < 10; i++) people.push(await newUserWithTap(suite.admin, upn('office'), { isUsableOnce: true }));
    const office = freshIp();
    const results = await Promise.all(
      people.map(({ user, pass }) => attempt(user.userPrincipalName, pass.temporaryAccessPass, office)),
    );
    assert.deepEqual(
      results.map((r) => r.status),
      people.map(() => 200),
    );
  });

  test('a disabled account cannot sign in with its right pass nor its passkey, and disabling ends its sessions', async () => {
    const person = await onboardPerson(suite.t, suite.admin, upn('disabled'));
    const reissued = await issueTap(suite.admin, person.user.id, { isUsableOnce: false });
    const bootstrap = suite.t.client({ ip: freshIp() });
    assert.equal(
      (await signInWithTap(bootstrap, person.user.userPrincipalName, reissued.json.temporaryAccessPass)).status,
      200,
    );
    assert.equal((await person.client.request('GET', '/api/session')).status, 200);

    const disable = await suite.admin.request('PATCH', `/v1.0/users/${person.user.id}`, { accountEnabled: false });
    assert.equal(disable.status, 204, JSON.stringify(disable.json));

    assertGraphError(await person.client.request('GET', '/api/session'), 401, 'unauthenticated');
    assertGraphError(await bootstrap.request('GET', '/api/session'), 401, 'unauthenticated');
    const tap = await attempt(person.user.userPrincipalName, reissued.json.temporaryAccessPass);
    assertGraphError(tap, 400, 'tapNotAllowed', /disabled/);
    assert.equal((await latestSignIns(suite.admin, 1))[0].status.errorCode, 50057);
    const passkey = await signInWithPasskey(suite.t.client({ ip: freshIp() }), person.authenticator);
    assertGraphError(passkey, 400, 'passkeyNotRecognized');

    // Enabling the account again lets the same passkey in.
    assert.equal(
      (await suite.admin.request('PATCH', `/v1.0/users/${person.user.id}`, { accountEnabled: true })).status,
      204,
    );
    assert.equal((await signInWithPasskey(suite.t.client({ ip: freshIp() }), person.authenticator)).status, 200);
  });

  test('a username-less flow cannot take a pass, and a finished flow cannot be reused', async () => {
    const { user, pass } = await newUserWithTap(suite.admin, upn('flows'), { isUsableOnce: false });
    const client = suite.t.client({ ip: freshIp() });
    const anonymous = await client.request('POST', '/api/signin/passkey/options', {});
    const res = await client.request('POST', '/api/signin/tap', {
      flowId: anonymous.json.flowId,
      temporaryAccessPass: pass.temporaryAccessPass,
    });
    assertGraphError(res, 400, 'badRequest', /email or username/);

    const flow = await client.request('POST', '/api/signin/identify', { identifier: user.userPrincipalName });
    const body = { flowId: flow.json.flowId, temporaryAccessPass: pass.temporaryAccessPass };
    assert.equal((await client.request('POST', '/api/signin/tap', body)).status, 200);
    assertGraphError(
      await suite.t.client({ ip: freshIp() }).request('POST', '/api/signin/tap', body),
      410,
      'flowExpired',
    );
  });

  test('a sign-in flow left open too long expires', async () => {
    const { user, pass } = await newUserWithTap(suite.admin, upn('slow'), {
      isUsableOnce: false,
      lifetimeInMinutes: 120,
    });
    const client = suite.t.client({ ip: freshIp() });
    const flow = await client.request('POST', '/api/signin/identify', { identifier: user.userPrincipalName });
    suite.t.advance(11);
    const res = await client.request('POST', '/api/signin/tap', {
      flowId: flow.json.flowId,
      temporaryAccessPass: pass.temporaryAccessPass,
    });
    assertGraphError(res, 410, 'flowExpired', /Start again/);
  });
});
