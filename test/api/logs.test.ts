// The audit log (directoryAudits) and the sign-in log (signIns): one row per change with Entra's names,
// newest first, paged; sign-in rows with method, error code, reason and address.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  bootstrap,
  createSoftwareAuthenticator,
  newUserWithTap,
  ORIGIN,
  registerPasskey,
  signInWithPasskey,
  signInWithTap,
  type TestClient,
} from '../kit/app.ts';
import {
  adminSuite,
  allPages,
  auditRowsFor,
  correlated,
  freshIp,
  type Json,
  latestSignIns,
  onboardPerson,
  ROLES,
  TAP_POLICY,
  tapsOf,
} from '../kit/directory.ts';
import { createRegistrationResponse, type SoftwareAuthenticator } from '../kit/software-authenticator.ts';

interface Expected {
  activityDisplayName: string;
  resultReason?: string;
  category?: string;
  loggedByService?: string;
  operationType?: string;
}

describe('audit and sign-in logs', () => {
  const ADMIN = 'admin@contoso.test';
  const suite = adminSuite({ adminUpn: ADMIN });

  /** Runs one request with its own client-request-id and returns the audit rows it wrote. */
  async function audited(
    client: TestClient,
    method: string,
    url: string,
    body?: unknown,
  ): Promise<{ status: number; json: Json; rows: Json[] }> {
    const { id, headers } = correlated();
    const res = await client.request(method, url, body, headers);
    assert.ok(res.status < 300, `${method} ${url}: ${res.status} ${JSON.stringify(res.json)}`);
    return { ...res, rows: await auditRowsFor(suite.admin, id) };
  }

  function assertOne(rows: Json[], expected: Expected) {
    assert.equal(rows.length, 1, JSON.stringify(rows.map((r) => r.activityDisplayName)));
    const [row] = rows;
    for (const [key, value] of Object.entries(expected)) assert.equal(row[key], value, key);
    assert.equal(row.result, 'success');
    return row;
  }

  async function registerAudited(client: TestClient, key: SoftwareAuthenticator, name: string) {
    if (!client.csrf) await client.refreshCsrf();
    const options = await client.request('POST', '/api/security-info/passkeys/options', { displayName: name });
    const credential = createRegistrationResponse(key, { optionsJSON: options.json.options, origin: ORIGIN });
    return audited(client, 'POST', '/api/security-info/passkeys/verify', { flowId: options.json.flowId, credential });
  }

  test('the bootstrap is audited as done by the system, not by a person', async () => {
    const audit = await suite.admin.request('GET', '/v1.0/auditLogs/directoryAudits?$top=1000');
    const boot = audit.json.value.filter((e: Json) => e.activityDisplayName === 'Bootstrap Global Administrator');
    assert.equal(boot.length, 1);
    assert.equal(boot[0].initiatedBy.user, null);
    assert.equal(boot[0].initiatedBy.app.displayName, 'Passless');
    assert.equal(boot[0].targetResources[0].userPrincipalName, ADMIN);
  });

  test('users: "Add user", "Update user" with old and new values, "Delete user" — one row each, by the admin', async () => {
    const added = await audited(suite.admin, 'POST', '/v1.0/users', {
      displayName: 'Logged',
      userPrincipalName: 'logged@contoso.test',
    });
    const row = assertOne(added.rows, {
      activityDisplayName: 'Add user',
      category: 'UserManagement',
      loggedByService: 'Core Directory',
      operationType: 'Add',
    });
    assert.equal(row.initiatedBy.user.userPrincipalName, ADMIN);
    assert.equal(row.initiatedBy.user.ipAddress, '127.0.0.1');
    assert.equal(row.targetResources[0].id, added.json.id);
    assert.equal(row.targetResources[0].type, 'User');
    assert.equal(row.targetResources[0].userPrincipalName, 'logged@contoso.test');
    assert.ok(!Number.isNaN(Date.parse(row.activityDateTime)));

    const updated = await audited(suite.admin, 'PATCH', `/v1.0/users/${added.json.id}`, {
      displayName: 'Logged Again',
    });
    const update = assertOne(updated.rows, { activityDisplayName: 'Update user', operationType: 'Update' });
    assert.deepEqual(update.targetResources[0].modifiedProperties, [
      { displayName: 'displayName', oldValue: '"Logged"', newValue: '"Logged Again"' },
    ]);

    const deleted = await audited(suite.admin, 'DELETE', `/v1.0/users/${added.json.id}`);
    assertOne(deleted.rows, { activityDisplayName: 'Delete user', operationType: 'Delete' });
  });

  test('disabling an account writes "Update user" and "Disable account"', async () => {
    const { user } = await newUserWithTap(suite.admin, 'disable.me@contoso.test', {});
    const res = await audited(suite.admin, 'PATCH', `/v1.0/users/${user.id}`, { accountEnabled: false });
    assert.deepEqual(res.rows.map((r) => r.activityDisplayName).sort(), ['Disable account', 'Update user']);
  });

  test('passes: "Admin registered security info" / "Admin registered temporary access pass method for user", and the delete counterpart', async () => {
    const created = await suite.admin.request('POST', '/v1.0/users', {
      displayName: 'Tap',
      userPrincipalName: 'tap@contoso.test',
    });
    const issued = await audited(suite.admin, 'POST', tapsOf(created.json.id), { isUsableOnce: true });
    const row = assertOne(issued.rows, {
      activityDisplayName: 'Admin registered security info',
      resultReason: 'Admin registered temporary access pass method for user',
      category: 'UserManagement',
      loggedByService: 'Authentication Methods',
      operationType: 'Add',
    });
    assert.equal(row.targetResources[0].userPrincipalName, 'tap@contoso.test');
    assert.doesNotMatch(JSON.stringify(row), new RegExp(issued.json.temporaryAccessPass), 'the code is never logged');

    const removed = await audited(suite.admin, 'DELETE', `${tapsOf(created.json.id)}/${issued.json.id}`);
    assertOne(removed.rows, {
      activityDisplayName: 'Admin deleted security info',
      resultReason: 'Admin deleted temporary access pass method for user',
      operationType: 'Delete',
    });
  });

  test('a person deleting their own pass writes "User deleted security info"', async () => {
    const { user, pass } = await newUserWithTap(suite.admin, 'self.delete@contoso.test', { isUsableOnce: false });
    const person = suite.t.client({ ip: freshIp() });
    assert.equal((await signInWithTap(person, user.userPrincipalName, pass.temporaryAccessPass)).status, 200);
    const res = await audited(person, 'DELETE', `/v1.0/me/authentication/temporaryAccessPassMethods/${pass.id}`);
    const row = assertOne(res.rows, {
      activityDisplayName: 'User deleted security info',
      resultReason: 'User deleted temporary access pass method',
    });
    assert.equal(row.initiatedBy.user.userPrincipalName, user.userPrincipalName);
  });

  test('passkeys: "User registered security info" / "User registered Passkey", renamed and deleted by the person or an admin', async () => {
    const { user, pass } = await newUserWithTap(suite.admin, 'keys@contoso.test', { isUsableOnce: true });
    const person = suite.t.client({ ip: freshIp() });
    assert.equal((await signInWithTap(person, user.userPrincipalName, pass.temporaryAccessPass)).status, 200);

    // The first passkey also retires the pass: two changes, one row each.
    const first = await registerAudited(person, createSoftwareAuthenticator(), 'First');
    assert.deepEqual(first.rows.map((r) => r.activityDisplayName).sort(), [
      'Delete temporary access pass',
      'User registered security info',
    ]);
    const second = await registerAudited(person, createSoftwareAuthenticator(), 'Second');
    const row = assertOne(second.rows, {
      activityDisplayName: 'User registered security info',
      resultReason: 'User registered Passkey',
      loggedByService: 'Authentication Methods',
      operationType: 'Add',
    });
    assert.equal(row.initiatedBy.user.userPrincipalName, user.userPrincipalName);

    const renamed = await audited(person, 'PATCH', `/v1.0/me/authentication/fido2Methods/${second.json.id}`, {
      displayName: 'Renamed',
    });
    const rename = assertOne(renamed.rows, {
      activityDisplayName: 'User updated security info',
      resultReason: 'User updated Passkey',
    });
    assert.deepEqual(rename.targetResources[0].modifiedProperties, [
      { displayName: 'displayName', oldValue: 'Second', newValue: 'Renamed' },
    ]);

    const ownDelete = await audited(person, 'DELETE', `/v1.0/me/authentication/fido2Methods/${second.json.id}`);
    assertOne(ownDelete.rows, {
      activityDisplayName: 'User deleted security info',
      resultReason: 'User deleted Passkey',
    });
    const adminDelete = await audited(
      suite.admin,
      'DELETE',
      `/v1.0/users/${user.id}/authentication/fido2Methods/${first.json.id}`,
    );
    assertOne(adminDelete.rows, {
      activityDisplayName: 'Admin deleted security info',
      resultReason: 'Admin deleted Passkey for user',
    });
  });

  test('policy, roles and groups changes write one row each', async () => {
    const policy = await audited(suite.admin, 'PATCH', TAP_POLICY, { defaultLength: 10 });
    const change = assertOne(policy.rows, {
      activityDisplayName: 'Update authentication methods policy',
      category: 'Policy',
    });
    assert.deepEqual(change.targetResources[0].modifiedProperties, [
      { displayName: 'defaultLength', oldValue: '8', newValue: '10' },
    ]);
    await suite.admin.request('PATCH', TAP_POLICY, { defaultLength: 8 });

    const user = (
      await suite.admin.request('POST', '/v1.0/users', { displayName: 'R', userPrincipalName: 'role@contoso.test' })
    ).json;
    const ref = { '@odata.id': `https://graph.microsoft.com/v1.0/directoryObjects/${user.id}` };
    const role = `/v1.0/directoryRoles/${ROLES.globalReader.id}/members`;
    assertOne((await audited(suite.admin, 'POST', `${role}/$ref`, ref)).rows, {
      activityDisplayName: 'Add member to role',
      category: 'RoleManagement',
    });
    assertOne((await audited(suite.admin, 'DELETE', `${role}/${user.id}/$ref`)).rows, {
      activityDisplayName: 'Remove member from role',
    });
    const group = await audited(suite.admin, 'POST', '/v1.0/groups', { displayName: 'Logged group' });
    assertOne(group.rows, { activityDisplayName: 'Add group', category: 'GroupManagement' });
    assertOne((await audited(suite.admin, 'POST', `/v1.0/groups/${group.json.id}/members/$ref`, ref)).rows, {
      activityDisplayName: 'Add member to group',
    });
  });

  test('reads write no audit rows', async () => {
    const { id, headers } = correlated();
    for (const url of ['/v1.0/users', TAP_POLICY, '/v1.0/auditLogs/signIns', '/v1.0/me/authentication/methods']) {
      assert.equal((await suite.admin.request('GET', url, undefined, headers)).status, 200);
    }
    assert.deepEqual(await auditRowsFor(suite.admin, id), []);
  });

  test('directoryAudits lists newest first and pages with $top and @odata.nextLink until it is absent', async () => {
    const all = await suite.admin.request('GET', '/v1.0/auditLogs/directoryAudits?$top=1000');
    assert.match(all.json['@odata.context'], /auditLogs\/directoryAudits$/);
    assert.ok(all.json.value.length >= 10);
    const times = all.json.value.map((e: Json) => Date.parse(e.activityDateTime));
    assert.deepEqual(
      times,
      [...times].sort((a, b) => b - a),
      'newest first',
    );
    // The newest row is the last change made.
    const marker = await audited(suite.admin, 'POST', '/v1.0/users', {
      displayName: 'Newest',
      userPrincipalName: 'newest@contoso.test',
    });
    const top = await suite.admin.request('GET', '/v1.0/auditLogs/directoryAudits?$top=1');
    assert.equal(top.json.value[0].id, marker.rows[0].id);

    const paged = await allPages(suite.admin, '/v1.0/auditLogs/directoryAudits?$top=4');
    assert.ok(paged.pages.length > 2);
    assert.ok(paged.pages.slice(0, -1).every((p) => p.length === 4));
    const everything = await suite.admin.request('GET', '/v1.0/auditLogs/directoryAudits?$top=1000');
    assert.deepEqual(
      paged.items.map((e) => e.id),
      everything.json.value.map((e: Json) => e.id),
    );
  });

  test('sign-in rows carry the method, the error code and reason, the address and the user agent', async () => {
    const person = await onboardPerson(suite.t, suite.admin, 'signer@contoso.test');
    const ip = freshIp();
    const passkey = await signInWithPasskey(suite.t.client({ ip }), person.authenticator);
    assert.equal(passkey.status, 200);
    let [row] = await latestSignIns(suite.admin, 1);
    assert.equal(row.userPrincipalName, 'signer@contoso.test');
    assert.equal(row.userId, person.user.id);
    assert.equal(row.ipAddress, ip);
    assert.equal(row.status.errorCode, 0);
    assert.equal(row.status.failureReason, null);
    assert.deepEqual(row.authenticationMethodsUsed, ['Passkey (device-bound)']);
    assert.equal(row.deviceDetail.browser, 'passless-tests');
    assert.equal(row.authenticationDetails[0].succeeded, true);

    const wrongIp = freshIp();
    await signInWithTap(suite.t.client({ ip: wrongIp }), 'signer@contoso.test', 'ACDEFGHJ');
    [row] = await latestSignIns(suite.admin, 1);
    assert.equal(row.ipAddress, wrongIp);
    assert.equal(row.status.errorCode, 900101);
    assert.match(row.status.failureReason, /incorrect/);
    assert.deepEqual(row.authenticationMethodsUsed, ['Temporary Access Pass']);
    assert.equal(row.authenticationDetails[0].succeeded, false);

    // An unknown account is logged under the name that was typed.
    await signInWithTap(suite.t.client({ ip: freshIp() }), 'ghost@contoso.test', 'ACDEFGHJ');
    [row] = await latestSignIns(suite.admin, 1);
    assert.equal(row.userPrincipalName, 'ghost@contoso.test');
    assert.equal(row.userId, null);
    assert.equal(row.status.errorCode, 900101);
  });

  test('signIns lists newest first and pages with $top and @odata.nextLink', async () => {
    const key = createSoftwareAuthenticator();
    const { user, pass } = await newUserWithTap(suite.admin, 'pager@contoso.test', { isUsableOnce: false });
    const person = suite.t.client({ ip: freshIp() });
    await signInWithTap(person, user.userPrincipalName, pass.temporaryAccessPass);
    await registerPasskey(person, key);
    for (let i = 0; i < 3; i++)
      assert.equal((await signInWithPasskey(suite.t.client({ ip: freshIp() }), key)).status, 200);

    const all = await suite.admin.request('GET', '/v1.0/auditLogs/signIns?$top=1000');
    assert.match(all.json['@odata.context'], /auditLogs\/signIns$/);
    const times = all.json.value.map((e: Json) => Date.parse(e.createdDateTime));
    assert.deepEqual(
      times,
      [...times].sort((a, b) => b - a),
      'newest first',
    );
    assert.equal(all.json.value[0].userPrincipalName, 'pager@contoso.test');

    const paged = await allPages(suite.admin, '/v1.0/auditLogs/signIns?$top=3');
    assert.ok(paged.pages.length >= 3);
    assert.deepEqual(
      paged.items.map((e) => e.id),
      all.json.value.map((e: Json) => e.id),
    );
  });

  test('a later bootstrap from the server host is audited again', async () => {
    const result = await bootstrap(suite.t, 'breakglass@contoso.test');
    assert.equal(result.userPrincipalName, 'breakglass@contoso.test');
    const [row] = (await suite.admin.request('GET', '/v1.0/auditLogs/directoryAudits?$top=1')).json.value;
    assert.equal(row.activityDisplayName, 'Bootstrap Global Administrator');
    assert.equal(row.targetResources[0].userPrincipalName, 'breakglass@contoso.test');
  });
});
