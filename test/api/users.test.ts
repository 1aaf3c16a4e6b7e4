// /v1.0/users with Graph's shapes: create (no passwords), validation, uniqueness, get by id or UPN, update,
// delete, and listing with paging, $filter and $search.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { adminSuite, allPages, assertGraphError, onboardPerson } from '../kit/directory.ts';

const USER_FIELDS = [
  '@odata.context',
  'accountEnabled',
  'createdDateTime',
  'displayName',
  'employeeHireDate',
  'id',
  'mail',
  'mailNickname',
  'userPrincipalName',
];

describe('users', () => {
  const suite = adminSuite();

  const create = (body: Record<string, unknown>) => suite.admin.request('POST', '/v1.0/users', body);
  const count = async (prefix: string) =>
    (
      await allPages(
        suite.admin,
        `/v1.0/users?$filter=${encodeURIComponent(`startswith(userPrincipalName,'${prefix}')`)}`,
      )
    ).items.length;

  test('creating a user answers 201 with the Graph user and no password anywhere', async () => {
    const res = await create({
      accountEnabled: true,
      displayName: 'Jane Smith',
      mailNickname: 'jane.smith',
      userPrincipalName: 'jane.smith@contoso.test',
      mail: 'jane.smith@contoso.test',
      employeeHireDate: '2026-09-01T00:00:00Z',
    });
    assert.equal(res.status, 201, JSON.stringify(res.json));
    assert.deepEqual(Object.keys(res.json).sort(), USER_FIELDS);
    assert.match(res.json['@odata.context'], /\$metadata#users\/\$entity$/);
    assert.match(res.json.id, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    assert.equal(res.json.userPrincipalName, 'jane.smith@contoso.test');
    assert.equal(res.json.displayName, 'Jane Smith');
    assert.equal(res.json.accountEnabled, true);
    assert.equal(res.json.employeeHireDate, '2026-09-01T00:00:00.000Z');
    assert.doesNotMatch(JSON.stringify(res.json), /password/i);
  });

  test('mailNickname is derived from the UPN and accountEnabled defaults to true when left out', async () => {
    const res = await create({ displayName: 'Min Imal', userPrincipalName: 'min.imal@contoso.test' });
    assert.equal(res.status, 201, JSON.stringify(res.json));
    assert.equal(res.json.mailNickname, 'min.imal');
    assert.equal(res.json.accountEnabled, true);
    assert.equal(res.json.mail, null);
  });

  test('a passwordProfile is refused with 400 saying Passless has no passwords, and no user is created', async () => {
    for (const field of ['passwordProfile', 'password', 'passwordPolicies']) {
      const res = await create({
        accountEnabled: true,
        displayName: 'Pat Word',
        mailNickname: 'pat',
        userPrincipalName: `pat.${field}@contoso.test`,
        [field]: field === 'passwordProfile' ? { forceChangePasswordNextSignIn: false } : 'x',
      });
      assertGraphError(res, 400, 'badRequest', /never have a password/);
      assert.match(res.json.error.message, /Temporary Access Pass/, 'says what to do instead');
    }
    assert.equal(await count('pat.'), 0);
    // Nor can an update set one.
    const user = await create({ displayName: 'Pat', userPrincipalName: 'pat@contoso.test' });
    const patch = await suite.admin.request('PATCH', `/v1.0/users/${user.json.id}`, {
      passwordProfile: { password: 'Secret123!' },
    });
    assertGraphError(patch, 400, 'badRequest', /never have a password/);
  });

  test('an invalid userPrincipalName is refused with a message describing a valid one', async () => {
    for (const userPrincipalName of [
      'jane',
      'jane@',
      '@contoso.test',
      'ja ne@contoso.test',
      'jane@@contoso.test',
      'jane@contoso..test',
      'jane@-contoso.test',
      `${'a'.repeat(65)}@contoso.test`,
      42,
      null,
    ]) {
      const res = await create({ displayName: 'Bad', userPrincipalName });
      assertGraphError(res, 400, 'badRequest', /userPrincipalName must look like name@domain/);
    }
    assertGraphError(await create({ displayName: 'No UPN' }), 400, 'badRequest', /userPrincipalName/);
    assertGraphError(
      await create({ displayName: '  ', userPrincipalName: 'blank@contoso.test' }),
      400,
      'badRequest',
      /displayName must be a non-empty string/,
    );
    assertGraphError(
      await create({ displayName: 'X', userPrincipalName: 'x@contoso.test', accountEnabled: 'yes' }),
      400,
      'badRequest',
      /accountEnabled must be true or false/,
    );
    assertGraphError(
      await create({ displayName: 'X', userPrincipalName: 'x@contoso.test', jobTitle: 'CEO' }),
      400,
      'badRequest',
      /jobTitle is not a supported property/,
    );
    assert.equal(await count('x@'), 0);
  });

  test('userPrincipalName is unique regardless of case: a second one answers 409', async () => {
    assert.equal((await create({ displayName: 'Case', userPrincipalName: 'Case.Sensitive@Contoso.test' })).status, 201);
    const dup = await create({ displayName: 'Case 2', userPrincipalName: 'case.sensitive@contoso.TEST' });
    assertGraphError(dup, 409, 'conflict', /already exists/);
    // Renaming someone else onto it is refused the same way.
    const other = await create({ displayName: 'Other', userPrincipalName: 'other.case@contoso.test' });
    const rename = await suite.admin.request('PATCH', `/v1.0/users/${other.json.id}`, {
      userPrincipalName: 'CASE.SENSITIVE@contoso.test',
    });
    assertGraphError(rename, 409, 'conflict');
    assert.equal(
      (await suite.admin.request('GET', `/v1.0/users/${other.json.id}`)).json.userPrincipalName,
      'other.case@contoso.test',
    );
  });

  test('a user is found by id and by userPrincipalName in any case; an unknown one is 404', async () => {
    const created = await create({ displayName: 'Find Me', userPrincipalName: 'find.me@contoso.test' });
    const byId = await suite.admin.request('GET', `/v1.0/users/${created.json.id}`);
    const byUpn = await suite.admin.request('GET', '/v1.0/users/FIND.ME@contoso.test');
    const byUpperId = await suite.admin.request('GET', `/v1.0/users/${created.json.id.toUpperCase()}`);
    for (const res of [byId, byUpn, byUpperId]) {
      assert.equal(res.status, 200, JSON.stringify(res.json));
      assert.equal(res.json.id, created.json.id);
      assert.equal(res.json.displayName, 'Find Me');
    }
    assertGraphError(
      await suite.admin.request('GET', '/v1.0/users/nobody@contoso.test'),
      404,
      'itemNotFound',
      /nobody@contoso.test/,
    );
    assertGraphError(
      await suite.admin.request('GET', '/v1.0/users/00000000-0000-4000-8000-000000000000'),
      404,
      'itemNotFound',
    );
  });

  test('PATCH answers 204 and the change is visible; bad or empty changes are refused', async () => {
    const created = await create({ displayName: 'Old Name', userPrincipalName: 'old.name@contoso.test' });
    const url = `/v1.0/users/${created.json.id}`;
    const res = await suite.admin.request('PATCH', url, {
      displayName: 'New Name',
      userPrincipalName: 'new.name@contoso.test',
      mail: 'new.name@contoso.test',
      employeeHireDate: '2027-01-04T00:00:00Z',
    });
    assert.equal(res.status, 204, JSON.stringify(res.json));
    const after = await suite.admin.request('GET', url);
    assert.equal(after.json.displayName, 'New Name');
    assert.equal(after.json.userPrincipalName, 'new.name@contoso.test');
    assert.equal(after.json.mail, 'new.name@contoso.test');
    assert.equal(after.json.employeeHireDate, '2027-01-04T00:00:00.000Z');
    assert.equal((await suite.admin.request('GET', '/v1.0/users/new.name@contoso.test')).json.id, created.json.id);
    assertGraphError(await suite.admin.request('GET', '/v1.0/users/old.name@contoso.test'), 404, 'itemNotFound');

    assertGraphError(await suite.admin.request('PATCH', url, {}), 400, 'badRequest', /names no property/);
    assertGraphError(await suite.admin.request('PATCH', url, { id: 'x' }), 400, 'badRequest', /id is not a property/);
    assertGraphError(await suite.admin.request('PATCH', url, { mail: 'not mail' }), 400, 'badRequest', /mail must be/);
    assertGraphError(
      await suite.admin.request('PATCH', url, { employeeHireDate: 'soon' }),
      400,
      'badRequest',
      /employeeHireDate/,
    );
    assert.equal((await suite.admin.request('GET', url)).json.displayName, 'New Name');
  });

  test('DELETE answers 204, then the user is gone (404) and their sessions end', async () => {
    const person = await onboardPerson(suite.t, suite.admin, 'leaver@contoso.test');
    const url = `/v1.0/users/${person.user.id}`;
    assert.equal((await suite.admin.request('DELETE', url)).status, 204);
    assertGraphError(await suite.admin.request('GET', url), 404, 'itemNotFound');
    assertGraphError(await suite.admin.request('DELETE', url), 404, 'itemNotFound');
    assertGraphError(await person.client.request('GET', '/api/session'), 401, 'unauthenticated');
    // The same UPN can be used again for a new account.
    assert.equal((await create({ displayName: 'Again', userPrincipalName: 'leaver@contoso.test' })).status, 201);
  });

  test('an admin cannot delete or disable their own account', async () => {
    const me = (await suite.admin.request('GET', '/v1.0/me')).json;
    assertGraphError(
      await suite.admin.request('DELETE', `/v1.0/users/${me.id}`),
      400,
      'badRequest',
      /your own account/,
    );
    assertGraphError(
      await suite.admin.request('PATCH', `/v1.0/users/${me.id}`, { accountEnabled: false }),
      400,
      'badRequest',
      /your own account/,
    );
    assert.equal((await suite.admin.request('GET', '/api/session')).status, 200);
  });

  test('listing pages with $top and @odata.nextLink until it is absent, sorted by displayName, without repeats', async () => {
    const names = [
      'Pager Gamma',
      'pager alpha',
      'Pager Epsilon',
      'Pager Beta',
      'Pager Delta',
      'Pager Zeta',
      'Pager Eta',
    ];
    for (const [i, displayName] of names.entries()) {
      assert.equal((await create({ displayName, userPrincipalName: `pager${i}@contoso.test` })).status, 201);
    }
    const filter = encodeURIComponent("startswith(displayName,'pager')");
    const { pages, items } = await allPages(suite.admin, `/v1.0/users?$top=3&$filter=${filter}`);
    assert.deepEqual(
      pages.map((p) => p.length),
      [3, 3, 1],
    );
    assert.deepEqual(
      items.map((u) => u.displayName),
      [...names].sort((a, b) => a.toLowerCase().localeCompare(b.toLowerCase())),
    );

    // Unfiltered, paging two at a time visits every user exactly once.
    const everyone = await suite.admin.request('GET', '/v1.0/users?$top=999');
    const paged = await allPages(suite.admin, '/v1.0/users?$top=2');
    assert.equal(everyone.json['@odata.nextLink'], undefined);
    assert.deepEqual(
      paged.items.map((u) => u.id),
      everyone.json.value.map((u: { id: string }) => u.id),
    );
  });

  test('$filter supports startswith on displayName and userPrincipalName and eq on userPrincipalName; others answer 400', async () => {
    await create({ displayName: 'Filter Target', userPrincipalName: 'filter.target@contoso.test' });
    const byUpn = await allPages(
      suite.admin,
      `/v1.0/users?$filter=${encodeURIComponent("startswith(userPrincipalName,'FILTER.')")}`,
    );
    assert.deepEqual(
      byUpn.items.map((u) => u.userPrincipalName),
      ['filter.target@contoso.test'],
    );
    const eq = await suite.admin.request(
      'GET',
      `/v1.0/users?$filter=${encodeURIComponent("userPrincipalName eq 'Filter.Target@contoso.test'")}`,
    );
    assert.equal(eq.json.value.length, 1);
    const none = await suite.admin.request(
      'GET',
      `/v1.0/users?$filter=${encodeURIComponent("startswith(displayName,'zzz')")}`,
    );
    assert.deepEqual(none.json.value, []);
    // A LIKE wildcard in the value is matched literally.
    const wildcard = await suite.admin.request(
      'GET',
      `/v1.0/users?$filter=${encodeURIComponent("startswith(displayName,'%')")}`,
    );
    assert.deepEqual(wildcard.json.value, []);
    const unsupported = await suite.admin.request(
      'GET',
      `/v1.0/users?$filter=${encodeURIComponent("jobTitle eq 'x'")}`,
    );
    assertGraphError(unsupported, 400, 'badRequest', /Unsupported \$filter.*startswith/);
  });

  test('$search needs the ConsistencyLevel: eventual header (400 without it) and matches names anywhere', async () => {
    await create({ displayName: 'Searchable Person', userPrincipalName: 'sp@contoso.test' });
    const search = `/v1.0/users?$search=${encodeURIComponent('"displayName:able pers"')}`;
    assertGraphError(await suite.admin.request('GET', search), 400, 'badRequest', /ConsistencyLevel: eventual/);
    const found = await suite.admin.request('GET', search, undefined, { ConsistencyLevel: 'eventual' });
    assert.equal(found.status, 200, JSON.stringify(found.json));
    assert.deepEqual(
      found.json.value.map((u: { userPrincipalName: string }) => u.userPrincipalName),
      ['sp@contoso.test'],
    );
    const malformed = await suite.admin.request('GET', '/v1.0/users?$search=able', undefined, {
      ConsistencyLevel: 'eventual',
    });
    assertGraphError(malformed, 400, 'badRequest', /\$search must look like/);
  });

  test('$top outside 1-999 and a forged $skiptoken answer 400 saying what is allowed', async () => {
    for (const top of ['0', '1000', 'ten', '2.5']) {
      assertGraphError(
        await suite.admin.request('GET', `/v1.0/users?$top=${top}`),
        400,
        'badRequest',
        /\$top.*1 to 999/,
      );
    }
    assertGraphError(
      await suite.admin.request('GET', '/v1.0/users?$skiptoken=bm90LWEtdG9rZW4'),
      400,
      'badRequest',
      /follow @odata.nextLink/,
    );
  });

  test('GET /v1.0/me returns the signed-in person', async () => {
    const me = await suite.admin.request('GET', '/v1.0/me');
    assert.equal(me.status, 200);
    assert.equal(me.json.userPrincipalName, 'admin@contoso.test');
  });
});
