// Temporary Access Pass administration: issuing within the policy, replacing, reading, deleting, usability,
// and the TAP method configuration (graph-entra.md §1-3).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { newUserWithTap, type Response, signInWithTap } from '../kit/app.ts';
import {
  adminSuite,
  assertGraphError,
  freshIp,
  inMinutes,
  issueTap,
  onboardPerson,
  TAP_POLICY,
  tapsOf,
} from '../kit/directory.ts';
import { SEED_000_TAP_CONFIG } from '../kit/fixtures.ts';

const TAP_ALPHABET = /^[ACDEFGHJKLMNPQRTUWXYabcdefghijkmnpqrstwxyz34679]+$/;

describe('Temporary Access Pass administration', () => {
  const suite = adminSuite();
  const { upn, freshAdmin } = suite;

  async function patchPolicy(body: Record<string, unknown>): Promise<Response> {
    return suite.admin.request('PATCH', TAP_POLICY, body);
  }

  async function getPass(userId: string, tapId: string) {
    const res = await suite.admin.request('GET', `${tapsOf(userId)}/${tapId}`);
    assert.equal(res.status, 200, JSON.stringify(res.json));
    return res.json;
  }

  test('creating a pass answers 201 with the code once and the terms taken from the policy defaults', async () => {
    const before = suite.t.deps.clock().getTime();
    const { pass, passStatus } = await newUserWithTap(suite.admin, upn('ann'), {});
    assert.equal(passStatus, 201, JSON.stringify(pass));
    assert.equal(pass['@odata.type'], '#microsoft.graph.temporaryAccessPassAuthenticationMethod');
    assert.match(pass.id, /^[0-9a-f-]{36}$/);
    assert.equal(pass.temporaryAccessPass.length, 8, 'defaultLength is 8');
    assert.match(pass.temporaryAccessPass, TAP_ALPHABET);
    assert.equal(pass.lifetimeInMinutes, 60, 'defaultLifetimeInMinutes is 60');
    assert.equal(pass.isUsableOnce, false, "the shipped policy's isUsableOnce is false");
    assert.equal(pass.isUsable, true);
    assert.equal(pass.methodUsabilityReason, 'EnabledByPolicy');
    const start = new Date(pass.startDateTime).getTime();
    assert.ok(
      start >= before - 1000 && start <= suite.t.deps.clock().getTime() + 1000,
      'startDateTime defaults to now',
    );
  });

  test('two passes never share a code', async () => {
    const a = await newUserWithTap(suite.admin, upn('code'), {});
    const b = await newUserWithTap(suite.admin, upn('code'), {});
    assert.notEqual(a.pass.temporaryAccessPass, b.pass.temporaryAccessPass);
  });

  test('a lifetime outside the policy bounds is refused with 400 naming the allowed range, and nothing changes', async () => {
    const { user, pass } = await newUserWithTap(suite.admin, upn('bounds'), { lifetimeInMinutes: 120 });
    for (const lifetimeInMinutes of [59, 481, 10, 43_200]) {
      const res = await issueTap(suite.admin, user.id, { lifetimeInMinutes });
      assertGraphError(res, 400, 'badRequest', /between 60 and 480/);
    }
    // The existing pass was not replaced by the refused request.
    const list = await suite.admin.request('GET', tapsOf(user.id));
    assert.deepEqual(
      list.json.value.map((p: { id: string; lifetimeInMinutes: number }) => [p.id, p.lifetimeInMinutes]),
      [[pass.id, 120]],
    );
    assert.equal(
      (await signInWithTap(suite.t.client({ ip: freshIp() }), user.userPrincipalName, pass.temporaryAccessPass)).status,
      200,
    );
    // The bounds are the edges of the range, inclusive.
    assert.equal((await issueTap(suite.admin, user.id, { lifetimeInMinutes: 60 })).status, 201);
    assert.equal((await issueTap(suite.admin, user.id, { lifetimeInMinutes: 480 })).status, 201);
  });

  test('a multi-use pass is refused while the policy allows only one-time passes, and passes default to one-time', async () => {
    assert.equal((await patchPolicy({ isUsableOnce: true })).status, 204);
    try {
      const { user } = await newUserWithTap(suite.admin, upn('once'), { isUsableOnce: true });
      const refused = await issueTap(suite.admin, user.id, { isUsableOnce: false });
      assertGraphError(refused, 400, 'badRequest', /only one-time passes/);
      const defaulted = await issueTap(suite.admin, user.id, {});
      assert.equal(defaulted.status, 201, JSON.stringify(defaulted.json));
      assert.equal(defaulted.json.isUsableOnce, true);
    } finally {
      assert.equal((await patchPolicy({ isUsableOnce: false })).status, 204);
    }
  });

  test('a new pass replaces the old one: the old code stops working and its bootstrap session ends', async () => {
    const { user, pass: first } = await newUserWithTap(suite.admin, upn('replace'), { isUsableOnce: false });
    const person = suite.t.client({ ip: freshIp() });
    assert.equal((await signInWithTap(person, user.userPrincipalName, first.temporaryAccessPass)).status, 200);
    assert.equal((await person.request('GET', '/api/session')).status, 200);

    const second = await issueTap(suite.admin, user.id, { isUsableOnce: false });
    assert.equal(second.status, 201);
    assert.notEqual(second.json.id, first.id);

    const list = await suite.admin.request('GET', tapsOf(user.id));
    assert.deepEqual(
      list.json.value.map((p: { id: string }) => p.id),
      [second.json.id],
      'one pass per user',
    );
    assertGraphError(await person.request('GET', '/api/session'), 401, 'unauthenticated');
    const old = await signInWithTap(
      suite.t.client({ ip: freshIp() }),
      user.userPrincipalName,
      first.temporaryAccessPass,
    );
    assertGraphError(old, 400, 'tapIncorrect');
    const fresh = await signInWithTap(
      suite.t.client({ ip: freshIp() }),
      user.userPrincipalName,
      second.json.temporaryAccessPass,
    );
    assert.equal(fresh.status, 200, JSON.stringify(fresh.json));
  });

  test('every read after creation returns temporaryAccessPass as null, with the usability computed', async () => {
    const { user, pass } = await newUserWithTap(suite.admin, upn('read'), { lifetimeInMinutes: 90 });
    const list = await suite.admin.request('GET', tapsOf(user.id));
    assert.equal(list.status, 200);
    assert.match(list.json['@odata.context'], /temporaryAccessPassMethods$/);
    assert.equal(list.json.value.length, 1);
    const one = await getPass(user.id, pass.id);
    const methods = await suite.admin.request('GET', `/v1.0/users/${user.id}/authentication/methods`);
    for (const item of [list.json.value[0], one, methods.json.value[0]]) {
      assert.equal(item.temporaryAccessPass, null);
      assert.equal(item.id, pass.id);
      assert.equal(item.lifetimeInMinutes, 90);
      assert.equal(item.isUsable, true);
      assert.equal(item.methodUsabilityReason, 'EnabledByPolicy');
      assert.equal(item.startDateTime, pass.startDateTime);
    }
    // The pass is also reachable by userPrincipalName, as Graph allows.
    const byUpn = await suite.admin.request('GET', tapsOf(encodeURIComponent(user.userPrincipalName)));
    assert.equal(byUpn.json.value[0].temporaryAccessPass, null);
  });

  test('deleting a pass answers 204, then 404, and ends the bootstrap sessions it created', async () => {
    const { user, pass } = await newUserWithTap(suite.admin, upn('delete'), { isUsableOnce: false });
    const person = suite.t.client({ ip: freshIp() });
    assert.equal((await signInWithTap(person, user.userPrincipalName, pass.temporaryAccessPass)).status, 200);
    assert.equal((await person.request('GET', '/api/session')).json.session.kind, 'bootstrap');

    assert.equal((await suite.admin.request('DELETE', `${tapsOf(user.id)}/${pass.id}`)).status, 204);
    assertGraphError(await suite.admin.request('DELETE', `${tapsOf(user.id)}/${pass.id}`), 404, 'itemNotFound');
    assertGraphError(await suite.admin.request('GET', `${tapsOf(user.id)}/${pass.id}`), 404, 'itemNotFound');
    assert.deepEqual((await suite.admin.request('GET', tapsOf(user.id))).json.value, []);

    assertGraphError(await person.request('GET', '/api/session'), 401, 'unauthenticated');
    assertGraphError(await person.request('GET', '/v1.0/me/authentication/methods'), 401, 'unauthenticated');
    const again = await signInWithTap(
      suite.t.client({ ip: freshIp() }),
      user.userPrincipalName,
      pass.temporaryAccessPass,
    );
    assertGraphError(again, 400, 'tapIncorrect');
  });

  test('a pass that starts in the future is NotYetValid until its start, then usable', async () => {
    const { user, pass, passStatus } = await newUserWithTap(suite.admin, upn('later'), {
      startDateTime: inMinutes(suite.t, 30),
      lifetimeInMinutes: 60,
    });
    assert.equal(passStatus, 201, JSON.stringify(pass));
    assert.equal(pass.isUsable, false);
    assert.equal(pass.methodUsabilityReason, 'NotYetValid');
    assert.equal(typeof pass.temporaryAccessPass, 'string', 'the code is still shown at creation');
    suite.t.advance(31);
    const now = await getPass(user.id, pass.id);
    assert.equal(now.isUsable, true);
    assert.equal(now.methodUsabilityReason, 'EnabledByPolicy');
  });

  test('a pass past its lifetime is Expired', async () => {
    const { user, pass } = await newUserWithTap(suite.admin, upn('expired'), { lifetimeInMinutes: 60 });
    suite.t.advance(59);
    assert.equal((await getPass(user.id, pass.id)).methodUsabilityReason, 'EnabledByPolicy');
    suite.t.advance(2);
    const expired = await getPass(user.id, pass.id);
    assert.equal(expired.isUsable, false);
    assert.equal(expired.methodUsabilityReason, 'Expired');
  });

  test('a one-time pass that was used is OneTimeUsed', async () => {
    await freshAdmin();
    const { user, pass } = await newUserWithTap(suite.admin, upn('used'), { isUsableOnce: true });
    assert.equal(
      (await signInWithTap(suite.t.client({ ip: freshIp() }), user.userPrincipalName, pass.temporaryAccessPass)).status,
      200,
    );
    const used = await getPass(user.id, pass.id);
    assert.equal(used.isUsable, false);
    assert.equal(used.methodUsabilityReason, 'OneTimeUsed');
  });

  test('while the policy is disabled every pass is DisabledByPolicy and cannot sign in; enabling it again restores them', async () => {
    const { user, pass } = await newUserWithTap(suite.admin, upn('policy'), { isUsableOnce: false });
    assert.equal((await patchPolicy({ state: 'disabled' })).status, 204);
    try {
      const disabled = await getPass(user.id, pass.id);
      assert.equal(disabled.isUsable, false);
      assert.equal(disabled.methodUsabilityReason, 'DisabledByPolicy');
      const refused = await signInWithTap(
        suite.t.client({ ip: freshIp() }),
        user.userPrincipalName,
        pass.temporaryAccessPass,
      );
      assertGraphError(refused, 400, 'tapNotAllowed', /not allowed/);
    } finally {
      assert.equal((await patchPolicy({ state: 'enabled' })).status, 204);
    }
    assert.equal((await getPass(user.id, pass.id)).methodUsabilityReason, 'EnabledByPolicy');
  });

  test("seed 000's $tapConfig body is accepted as it stands, and the policy then reads back with its values", async () => {
    const res = await patchPolicy(SEED_000_TAP_CONFIG);
    assert.equal(res.status, 204, JSON.stringify(res.json));
    try {
      const policy = await suite.admin.request('GET', TAP_POLICY);
      assert.equal(policy.status, 200);
      for (const [field, value] of Object.entries(SEED_000_TAP_CONFIG)) {
        assert.deepEqual(policy.json[field], value, field);
      }
      assert.deepEqual(policy.json.excludeTargets, []);
      // New passes follow the new defaults.
      const { pass } = await newUserWithTap(suite.admin, upn('seed'), {});
      assert.equal(pass.lifetimeInMinutes, 480);
      assert.equal(pass.temporaryAccessPass.length, 12);
    } finally {
      assert.equal((await patchPolicy({ defaultLifetimeInMinutes: 60, defaultLength: 8 })).status, 204);
    }
  });

  test('the policy reads with Graph type, id and the Passless extensions at their defaults', async () => {
    const policy = await suite.admin.request('GET', TAP_POLICY);
    assert.equal(policy.status, 200);
    assert.equal(policy.json['@odata.type'], '#microsoft.graph.temporaryAccessPassAuthenticationMethodConfiguration');
    assert.equal(policy.json.id, 'TemporaryAccessPass');
    assert.equal(policy.json.state, 'enabled');
    assert.equal(policy.json.minimumLifetimeInMinutes, 60);
    assert.equal(policy.json.maximumLifetimeInMinutes, 480);
    assert.equal(policy.json.retireOnPasskeyRegistration, true);
    assert.equal(policy.json.registrationWindowInMinutes, 10);
    assert.equal(policy.json.isUsableForApplications, false, 'a pass only sets up a passkey unless allowed');
  });

  test('a policy change with a bad value is refused with a message naming the field and what is allowed', async () => {
    const before = (await suite.admin.request('GET', TAP_POLICY)).json;
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ defaultLength: 7 }, /defaultLength .*between 8 and 48/],
      [{ defaultLength: 49 }, /defaultLength .*between 8 and 48/],
      [{ maximumLifetimeInMinutes: 43_201 }, /maximumLifetimeInMinutes .*between 10 and 43200/],
      [{ minimumLifetimeInMinutes: 9 }, /minimumLifetimeInMinutes .*between 10 and 43200/],
      [{ minimumLifetimeInMinutes: 500 }, /minimumLifetimeInMinutes must not be greater than maximumLifetimeInMinutes/],
      [{ defaultLifetimeInMinutes: 30 }, /defaultLifetimeInMinutes must be between .*\(60\).*\(480\)/],
      [{ defaultLifetimeInMinutes: '60' }, /defaultLifetimeInMinutes .*whole number/],
      [{ defaultLifetimeInMinutes: 60.5 }, /defaultLifetimeInMinutes .*whole number/],
      [{ state: 'on' }, /state must be "enabled" or "disabled"/],
      [{ isUsableOnce: 'yes' }, /isUsableOnce must be true or false/],
      [{ isUsableForApplications: 1 }, /isUsableForApplications must be true or false/],
      [{ includeTargets: [{ id: 'everyone', targetType: 'group' }] }, /includeTargets\[0\]\.id .*all_users/],
      [{ includeTargets: [{ id: 'all_users', targetType: 'team' }] }, /targetType must be "group" or "user"/],
      [{ excludeTargets: 'all_users' }, /excludeTargets must be an array/],
      [
        { includeTargets: [{ id: '00000000-0000-4000-8000-000000000000', targetType: 'group' }] },
        /includeTargets names group 00000000-0000-4000-8000-000000000000, which does not exist/,
      ],
      [{ registrationWindowInMinutes: 0 }, /registrationWindowInMinutes .*between 1 and 60/],
      [{ colour: 'blue' }, /colour is not a property of the Temporary Access Pass policy/],
      [{ id: 'Fido2' }, /id must be "TemporaryAccessPass"/],
      // A valid field next to an invalid one: the whole change is refused.
      [{ defaultLength: 20, state: 'on' }, /state/],
    ];
    for (const [body, message] of cases) {
      assertGraphError(await patchPolicy(body), 400, 'badRequest', message);
    }
    assert.deepEqual((await suite.admin.request('GET', TAP_POLICY)).json, before, 'nothing was applied');
  });

  test('roles without the right cannot change the policy or issue passes (403 accessDenied)', async () => {
    const reader = await onboardPerson(suite.t, suite.admin, upn('reader'), { roles: ['globalReader'] });
    const userAdmin = await onboardPerson(suite.t, suite.admin, upn('useradmin'), { roles: ['userAdministrator'] });
    const member = await onboardPerson(suite.t, suite.admin, upn('member'));
    const policyAdmin = await onboardPerson(suite.t, suite.admin, upn('policyadmin'), {
      roles: ['authenticationPolicyAdministrator'],
    });
    const { user: target } = await newUserWithTap(suite.admin, upn('target'), {});

    for (const who of [reader, userAdmin, member]) {
      assertGraphError(await who.client.request('PATCH', TAP_POLICY, { defaultLength: 10 }), 403, 'accessDenied');
      assertGraphError(await issueTap(who.client, target.id, {}), 403, 'accessDenied');
    }
    assertGraphError(await member.client.request('GET', TAP_POLICY), 403, 'accessDenied');
    assertGraphError(await policyAdmin.client.request('GET', tapsOf(target.id)), 403, 'accessDenied');
    assert.equal((await reader.client.request('GET', TAP_POLICY)).status, 200, 'Global Reader reads the policy');
    assert.equal((await suite.admin.request('GET', TAP_POLICY)).json.defaultLength, 8, 'no refused change was applied');

    // The Authentication Policy Administrator is the role that edits it.
    assert.equal((await policyAdmin.client.request('PATCH', TAP_POLICY, { defaultLength: 10 })).status, 204);
    assert.equal((await suite.admin.request('GET', TAP_POLICY)).json.defaultLength, 10);
    assert.equal((await suite.admin.request('PATCH', TAP_POLICY, { defaultLength: 8 })).status, 204);
  });
});
