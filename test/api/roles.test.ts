// Directory roles and who may do what to whom (graph-entra.md §3), role assignment with Graph's $ref,
// the last Global Administrator, and groups as targets of the TAP policy.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { newUserWithTap, signInWithTap } from '../kit/app.ts';
import {
  adminSuite,
  assertGraphError,
  freshIp,
  issueTap,
  onboardPerson,
  type Person,
  ROLES,
  TAP_POLICY,
  tapsOf,
} from '../kit/directory.ts';

const GA = ROLES.globalAdministrator.id;
const ref = (id: string) => ({ '@odata.id': `https://graph.microsoft.com/v1.0/directoryObjects/${id}` });

describe('directory roles and groups', () => {
  const suite = adminSuite();
  const { upn } = suite;
  let adminId: string;
  const newMember = async (name: string) =>
    (await suite.admin.request('POST', '/v1.0/users', { displayName: name, userPrincipalName: upn(name) })).json;

  before(async () => {
    adminId = (await suite.admin.request('GET', '/v1.0/me')).json.id;
  });

  test('the last Global Administrator cannot be removed from the role, and nothing changes', async () => {
    const res = await suite.admin.request('DELETE', `/v1.0/directoryRoles/${GA}/members/${adminId}/$ref`);
    assertGraphError(res, 400, 'badRequest', /last Global Administrator/);
    const members = await suite.admin.request('GET', `/v1.0/directoryRoles/${GA}/members`);
    assert.deepEqual(
      members.json.value.map((u: { id: string }) => u.id),
      [adminId],
    );
    assert.equal((await suite.admin.request('GET', '/v1.0/users')).status, 200, 'still an administrator');
    const audit = await suite.admin.request('GET', '/v1.0/auditLogs/directoryAudits?$top=5');
    assert.ok(
      !audit.json.value.some(
        (e: { activityDisplayName: string }) => e.activityDisplayName === 'Remove member from role',
      ),
    );
  });

  test("directoryRoles lists Entra's roles by name and template id", async () => {
    const res = await suite.admin.request('GET', '/v1.0/directoryRoles');
    assert.equal(res.status, 200);
    const byName = Object.fromEntries(
      res.json.value.map((r: { displayName: string; roleTemplateId: string }) => [r.displayName, r.roleTemplateId]),
    );
    assert.equal(byName['Global Administrator'], '62e90394-69f5-4237-9190-012177145e10');
    assert.equal(byName['Privileged Authentication Administrator'], '7be44c8a-adaf-4e2a-84d6-ab2649e08a13');
    assert.equal(byName['Authentication Administrator'], 'c4e39bd9-1100-46d3-8c65-fb160da0071f');
    assert.equal(byName['Authentication Policy Administrator'], '0526716b-113d-4c15-b2c8-68e3c22b9f80');
    assert.equal(byName['User Administrator'], 'fe930be7-5e62-47db-91af-98c3a49a38b1');
    assert.equal(byName['Global Reader'], 'f2ef992c-3afb-46b9-b7cf-a126ee74c451');
    for (const role of res.json.value) assert.equal(role['@odata.type'], '#microsoft.graph.directoryRole');
  });

  test('a role is assigned with POST members/$ref and a directoryObjects URL; it shows in memberOf and the role members', async () => {
    const user = await newMember('assignee');
    const url = `/v1.0/directoryRoles/${ROLES.globalReader.id}/members/$ref`;
    assert.equal((await suite.admin.request('POST', url, ref(user.id))).status, 204);
    const memberOf = await suite.admin.request('GET', `/v1.0/users/${user.id}/memberOf`);
    assert.deepEqual(
      memberOf.json.value.map((r: { displayName: string; '@odata.type': string }) => [r['@odata.type'], r.displayName]),
      [['#microsoft.graph.directoryRole', 'Global Reader']],
    );
    const members = await suite.admin.request('GET', `/v1.0/directoryRoles/${ROLES.globalReader.id}/members`);
    assert.ok(members.json.value.some((u: { id: string }) => u.id === user.id));

    assertGraphError(await suite.admin.request('POST', url, ref(user.id)), 400, 'badRequest', /already exist/);
    // The users/{id} form of the reference works too.
    const other = await newMember('assignee');
    const usersForm = { '@odata.id': `https://graph.microsoft.com/v1.0/users/${other.id}` };
    assert.equal((await suite.admin.request('POST', url, usersForm)).status, 204);

    assertGraphError(
      await suite.admin.request('POST', url, ref('00000000-0000-4000-8000-000000000000')),
      404,
      'itemNotFound',
    );
    assertGraphError(
      await suite.admin.request(
        'POST',
        '/v1.0/directoryRoles/00000000-0000-4000-8000-000000000000/members/$ref',
        ref(user.id),
      ),
      404,
      'itemNotFound',
    );
    assertGraphError(
      await suite.admin.request('POST', url, { '@odata.id': 'not a reference' }),
      400,
      'badRequest',
      /@odata.id must be a URL/,
    );
  });

  test('once there is a second Global Administrator one can be removed, and loses admin access at once', async () => {
    const second = await onboardPerson(suite.t, suite.admin, upn('ga'), { roles: ['globalAdministrator'] });
    assert.equal((await second.client.request('GET', '/v1.0/users')).status, 200);
    const removed = await suite.admin.request('DELETE', `/v1.0/directoryRoles/${GA}/members/${second.user.id}/$ref`);
    assert.equal(removed.status, 204);
    assertGraphError(await second.client.request('GET', '/v1.0/users'), 403, 'accessDenied');
    assertGraphError(
      await suite.admin.request('DELETE', `/v1.0/directoryRoles/${GA}/members/${second.user.id}/$ref`),
      404,
      'itemNotFound',
    );
  });

  test('a User Administrator manages members but cannot change or delete a Global Administrator', async () => {
    const userAdmin = await onboardPerson(suite.t, suite.admin, upn('useradmin'), { roles: ['userAdministrator'] });
    const created = await userAdmin.client.request('POST', '/v1.0/users', {
      displayName: 'Hired',
      userPrincipalName: upn('hired'),
    });
    assert.equal(created.status, 201);
    assert.equal(
      (await userAdmin.client.request('PATCH', `/v1.0/users/${created.json.id}`, { displayName: 'Renamed' })).status,
      204,
    );
    assert.equal((await userAdmin.client.request('DELETE', `/v1.0/users/${created.json.id}`)).status, 204);

    const del = await userAdmin.client.request('DELETE', `/v1.0/users/${adminId}`);
    assertGraphError(del, 403, 'accessDenied', /admin role/);
    const patch = await userAdmin.client.request('PATCH', `/v1.0/users/${adminId}`, { accountEnabled: false });
    assertGraphError(patch, 403, 'accessDenied');
    assert.equal(
      (await suite.admin.request('GET', '/api/session')).status,
      200,
      'the Global Administrator is untouched',
    );
    // Nor can a User Administrator hand out roles.
    const member = await newMember('promoted');
    assertGraphError(
      await userAdmin.client.request('POST', `/v1.0/directoryRoles/${GA}/members/$ref`, ref(member.id)),
      403,
      'accessDenied',
    );
    assertGraphError(
      await userAdmin.client.request('POST', `/v1.0/directoryRoles/${GA}/members/$ref`, ref(userAdmin.user.id)),
      403,
      'accessDenied',
    );
  });

  describe('who may issue, view and delete passes', () => {
    let authAdmin: Person;
    let privAuthAdmin: Person;
    let otherAdmin: Person;

    before(async () => {
      authAdmin = await onboardPerson(suite.t, suite.admin, upn('authadmin'), {
        roles: ['authenticationAdministrator'],
      });
      privAuthAdmin = await onboardPerson(suite.t, suite.admin, upn('pauthadmin'), {
        roles: ['privilegedAuthenticationAdministrator'],
      });
      otherAdmin = await onboardPerson(suite.t, suite.admin, upn('helpdesk'), { roles: ['userAdministrator'] });
    });

    test('an Authentication Administrator issues and deletes a pass for a member', async () => {
      const member = await newMember('member');
      const pass = await issueTap(authAdmin.client, member.id, { isUsableOnce: true });
      assert.equal(pass.status, 201, JSON.stringify(pass.json));
      assert.equal((await authAdmin.client.request('GET', tapsOf(member.id))).json.value.length, 1);
      assert.equal((await authAdmin.client.request('DELETE', `${tapsOf(member.id)}/${pass.json.id}`)).status, 204);
    });

    test('an Authentication Administrator cannot issue, view or delete a pass for anyone holding an admin role (403)', async () => {
      const refused = await issueTap(authAdmin.client, otherAdmin.user.id, {});
      assertGraphError(
        refused,
        403,
        'accessDenied',
        /Privileged Authentication Administrator or a Global Administrator/,
      );
      const existing = await issueTap(suite.admin, otherAdmin.user.id, { isUsableOnce: false });
      assert.equal(existing.status, 201);
      assertGraphError(
        await authAdmin.client.request('DELETE', `${tapsOf(otherAdmin.user.id)}/${existing.json.id}`),
        403,
        'accessDenied',
      );
      assertGraphError(await authAdmin.client.request('GET', tapsOf(otherAdmin.user.id)), 403, 'accessDenied');
      // The admin's pass is untouched and still works.
      const signIn = await signInWithTap(
        suite.t.client({ ip: freshIp() }),
        otherAdmin.user.userPrincipalName,
        existing.json.temporaryAccessPass,
      );
      assert.equal(signIn.status, 200);
    });

    test('a Privileged Authentication Administrator issues a pass for an admin too', async () => {
      const res = await issueTap(privAuthAdmin.client, otherAdmin.user.id, {});
      assert.equal(res.status, 201, JSON.stringify(res.json));
      const forGa = await issueTap(privAuthAdmin.client, adminId, {});
      assert.equal(forGa.status, 201, JSON.stringify(forGa.json));
      assert.equal((await privAuthAdmin.client.request('DELETE', `${tapsOf(adminId)}/${forGa.json.id}`)).status, 204);
    });

    test('nobody issues a pass for themselves, whatever their role', async () => {
      for (const [client, id] of [
        [suite.admin, adminId],
        [authAdmin.client, authAdmin.user.id],
        [privAuthAdmin.client, privAuthAdmin.user.id],
      ] as const) {
        const res = await issueTap(client, id, {});
        assertGraphError(res, 403, 'accessDenied', /your own/);
        assert.deepEqual((await suite.admin.request('GET', tapsOf(id))).json.value, []);
      }
    });
  });

  test('a Global Reader reads everything an admin can but changes nothing', async () => {
    const reader = await onboardPerson(suite.t, suite.admin, upn('reader'), { roles: ['globalReader'] });
    const member = await newMember('readable');
    const pass = await issueTap(suite.admin, member.id, {});
    for (const url of [
      '/v1.0/users',
      `/v1.0/users/${member.id}`,
      `/v1.0/users/${member.id}/authentication/methods`,
      tapsOf(member.id),
      `/v1.0/users/${adminId}/authentication/fido2Methods`,
      TAP_POLICY,
      '/v1.0/auditLogs/directoryAudits',
      '/v1.0/auditLogs/signIns',
      '/v1.0/directoryRoles',
      '/v1.0/groups',
    ]) {
      const res = await reader.client.request('GET', url);
      assert.equal(res.status, 200, `${url}: ${JSON.stringify(res.json)}`);
    }
    const listed = await reader.client.request('GET', tapsOf(member.id));
    assert.equal(listed.json.value[0].temporaryAccessPass, null, 'never the code');

    const writes: [string, string, unknown][] = [
      ['POST', '/v1.0/users', { displayName: 'R', userPrincipalName: upn('r') }],
      ['PATCH', `/v1.0/users/${member.id}`, { displayName: 'Changed' }],
      ['DELETE', `/v1.0/users/${member.id}`, undefined],
      ['POST', tapsOf(member.id), {}],
      ['DELETE', `${tapsOf(member.id)}/${pass.json.id}`, undefined],
      ['PATCH', TAP_POLICY, { defaultLength: 9 }],
      ['POST', `/v1.0/directoryRoles/${GA}/members/$ref`, ref(reader.user.id)],
      ['POST', '/v1.0/groups', { displayName: 'Readers' }],
    ];
    for (const [method, url, body] of writes) {
      assertGraphError(await reader.client.request(method, url, body), 403, 'accessDenied', /roles do not allow/);
    }
    const still = await suite.admin.request('GET', `/v1.0/users/${member.id}`);
    assert.equal(still.json.displayName, 'readable');
    assert.equal((await suite.admin.request('GET', tapsOf(member.id))).json.value[0].id, pass.json.id);
  });

  test('a person without any role cannot use the admin API but can read their own account', async () => {
    const person = await onboardPerson(suite.t, suite.admin, upn('plain'));
    for (const url of ['/v1.0/users', '/v1.0/directoryRoles', '/v1.0/auditLogs/signIns', TAP_POLICY]) {
      assertGraphError(await person.client.request('GET', url), 403, 'accessDenied');
    }
    assert.equal((await person.client.request('GET', '/v1.0/me')).status, 200);
    assert.equal((await person.client.request('GET', '/v1.0/me/authentication/methods')).status, 200);
  });

  test('a policy targeting a group lets only its members use their passes; exclusion wins over inclusion', async () => {
    const group = await suite.admin.request('POST', '/v1.0/groups', { displayName: 'New starters' });
    assert.equal(group.status, 201, JSON.stringify(group.json));
    const inside = await newUserWithTap(suite.admin, upn('starter'), { isUsableOnce: false });
    const outside = await newUserWithTap(suite.admin, upn('outsider'), { isUsableOnce: false });
    const add = await suite.admin.request('POST', `/v1.0/groups/${group.json.id}/members/$ref`, ref(inside.user.id));
    assert.equal(add.status, 204);

    const reason = async (userId: string) =>
      (await suite.admin.request('GET', tapsOf(userId))).json.value[0].methodUsabilityReason;
    const patch = (body: Record<string, unknown>) => suite.admin.request('PATCH', TAP_POLICY, body);
    assert.equal(
      (await patch({ includeTargets: [{ id: group.json.id, targetType: 'group', isRegistrationRequired: false }] }))
        .status,
      204,
    );
    try {
      assert.equal(await reason(inside.user.id), 'EnabledByPolicy');
      assert.equal(await reason(outside.user.id), 'DisabledByPolicy');
      const refused = await signInWithTap(
        suite.t.client({ ip: freshIp() }),
        outside.user.userPrincipalName,
        outside.pass.temporaryAccessPass,
      );
      assertGraphError(refused, 400, 'tapNotAllowed');
      const allowed = await signInWithTap(
        suite.t.client({ ip: freshIp() }),
        inside.user.userPrincipalName,
        inside.pass.temporaryAccessPass,
      );
      assert.equal(allowed.status, 200);

      // Excluding the group overrides including it.
      assert.equal((await patch({ excludeTargets: [{ id: group.json.id, targetType: 'group' }] })).status, 204);
      assert.equal(await reason(inside.user.id), 'DisabledByPolicy');
      assert.equal((await patch({ excludeTargets: [] })).status, 204);

      // Leaving the group takes the pass out of the policy at once.
      const leave = await suite.admin.request('DELETE', `/v1.0/groups/${group.json.id}/members/${inside.user.id}/$ref`);
      assert.equal(leave.status, 204);
      assert.equal(await reason(inside.user.id), 'DisabledByPolicy');
    } finally {
      assert.equal(
        (await patch({ includeTargets: [{ id: 'all_users', targetType: 'group' }], excludeTargets: [] })).status,
        204,
      );
    }
    assert.equal(await reason(outside.user.id), 'EnabledByPolicy');
  });
});
