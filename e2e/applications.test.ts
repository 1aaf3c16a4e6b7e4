// Application registrations in the admin console, in a real browser: register an app with a web redirect URI,
// add a client secret (shown once, only its hint after a reload), make it first-party, read what a developer needs
// (client id, tenant id, discovery URL, authority); find it in the list and through GET /v1.0/applications; delete.
// And "Apps you've allowed" on My Security Info, after a real relying party signed in with an app registered here.
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { api, browserSuite, expectPath, expectText, shot } from './kit.ts';
import { startRelyingParty } from './relying-party.ts';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

interface GraphApplication {
  id: string;
  appId: string;
  displayName: string;
  isFirstParty: boolean;
  isFallbackPublicClient: boolean;
  web: { redirectUris: string[] };
  passwordCredentials: { hint: string; displayName: string | null; secretText: string | null; endDateTime: string }[];
}

async function tenantIdOf(page: Page): Promise<string> {
  const answer = await api<{ value: { id: string }[] }>(page, 'GET', '/v1.0/organization');
  assert.equal(answer.status, 200, JSON.stringify(answer.json));
  return answer.json.value[0]!.id;
}

/** The rows of the applications table that mention `text`. */
const rowsWith = (page: Page, text: string) => page.getByRole('row').filter({ hasText: text });

browserSuite('application registrations in the admin console', {}, (journey) => {
  journey(
    'an admin registers an app, adds a secret seen once, makes it first-party and finds it',
    async ({ server, admin }) => {
      const a = admin.page;
      const tenantId = await tenantIdOf(a);
      assert.match(tenantId, GUID);

      // Applications → New application: a name and a web redirect URI → Register → the application's page.
      await a.goto('/admin');
      await a.getByRole('link', { name: 'Applications', exact: true }).click();
      await expectPath(a, '/admin/applications');
      await a.getByRole('heading', { name: 'Applications', level: 1 }).waitFor();
      await a.getByRole('button', { name: 'New application' }).click();
      await a.getByRole('textbox', { name: 'Display name' }).fill('Contoso Payroll');
      await a
        .getByRole('textbox', { name: 'Web redirect URIs' })
        .fill('https://payroll.contoso.test/signin-oidc\nhttp://localhost:5000/callback');
      assert.equal(await a.getByRole('checkbox', { name: 'First-party application' }).isChecked(), false);
      await shot(a, 'apps-01-new');
      await a.getByRole('button', { name: 'Register' }).click();
      await expectPath(a, /^\/admin\/applications\/[0-9a-f-]{36}$/);
      const objectId = new URL(a.url()).pathname.split('/').pop()!;
      await a.getByRole('heading', { name: 'Contoso Payroll', level: 1 }).waitFor();
      await expectText(a.getByRole('status').filter({ hasText: 'registered' }), /Contoso Payroll.*registered/);

      // What the developer needs.
      const clientIdBox = a.getByRole('textbox', { name: 'Application (client) ID' });
      const appId = await clientIdBox.inputValue();
      assert.match(appId, GUID);
      assert.notEqual(appId, objectId);
      assert.equal(await clientIdBox.isEditable(), false);
      assert.equal(await a.getByRole('textbox', { name: 'Directory (tenant) ID' }).inputValue(), tenantId);
      assert.equal(
        await a.getByRole('textbox', { name: 'OpenID Connect metadata document' }).inputValue(),
        `${server.url}/.well-known/openid-configuration`,
      );
      assert.equal(await a.getByRole('textbox', { name: 'Authority' }).inputValue(), `${server.url}/${tenantId}/v2.0`);
      const discovery = await api<{ issuer: string }>(a, 'GET', '/.well-known/openid-configuration');
      assert.equal(discovery.status, 200, 'the discovery URL shown answers');
      await a.getByRole('button', { name: 'Copy Application (client) ID' }).click();
      await expectText(
        a.getByRole('status').filter({ hasText: /Application \(client\) ID (copied|automatically)/ }),
        /copied|selected/i,
      );
      await shot(a, 'apps-02-page');

      // New client secret: description, 24 months by default → Add → the value, once, with a copy button.
      await a.getByRole('button', { name: 'New client secret' }).click();
      await a.getByRole('textbox', { name: 'Description' }).fill('Production web server');
      const expires = a.getByRole('combobox', { name: 'Expires' });
      assert.equal(await expires.inputValue(), '24');
      assert.deepEqual(
        (await expires.locator('option').allTextContents()).map((t) => t.trim()),
        ['6 months', '12 months', '24 months (recommended)'],
      );
      await a.getByRole('button', { name: 'Add', exact: true }).click();
      const valueBox = a.getByRole('textbox', { name: 'Client secret value' });
      await valueBox.waitFor();
      const secret = await valueBox.inputValue();
      assert.match(secret, /^[A-Za-z0-9_-]{43}$/);
      assert.equal(await valueBox.isEditable(), false);
      await expectText(a.getByText('Copy the secret value now'), /won’t be shown again/);
      await a.getByRole('button', { name: 'Copy client secret value' }).click();
      await expectText(a.getByRole('status').filter({ hasText: /secret (copied|is selected)/i }), /copied|selected/i);
      await shot(a, 'apps-03-secret');
      await a.getByRole('button', { name: 'Done' }).click();
      assert.equal(await valueBox.count(), 0, 'Done removes the value from the page');
      const secretsTable = a.getByRole('table', { name: 'Client secrets' });
      await expectText(
        secretsTable,
        new RegExp(`Production web server.*${secret.slice(0, 3).replace(/[-]/g, '\\-')}…`),
      );

      // Reload: only the hint, nowhere the value.
      await a.reload();
      await a.getByRole('heading', { name: 'Contoso Payroll', level: 1 }).waitFor();
      await expectText(a.getByRole('table', { name: 'Client secrets' }), /Production web server/);
      assert.equal(await a.getByRole('textbox', { name: 'Client secret value' }).count(), 0);
      assert.ok(!(await a.content()).includes(secret), 'the secret is not on the page after a reload');
      const expiry = await a
        .getByRole('table', { name: 'Client secrets' })
        .locator('time')
        .first()
        .getAttribute('datetime');
      const months = (Date.parse(expiry!) - Date.now()) / (30.4 * 24 * 3600 * 1000);
      assert.ok(months > 23.5 && months < 24.5, `the secret expires in about 24 months (${months})`);
      await expectText(a.getByText(/^Confidential|^Public/), /Confidential/);

      // Settings: first-party → Save.
      await a.getByRole('checkbox', { name: 'First-party application' }).check();
      await expectText(a.getByText('Skips the consent page: people are not asked'), /consent page/);
      await a.getByRole('button', { name: 'Save' }).click();
      await expectText(a.getByRole('status').filter({ hasText: 'Changes saved' }), /Changes saved/);
      await expectText(a.locator('.page-header'), /First-party/);
      await a.reload();
      await a.getByRole('heading', { name: 'Contoso Payroll', level: 1 }).waitFor();
      assert.equal(await a.getByRole('checkbox', { name: 'First-party application' }).isChecked(), true);
      assert.equal(
        await a.getByRole('textbox', { name: 'Web redirect URIs' }).inputValue(),
        'https://payroll.contoso.test/signin-oidc\nhttp://localhost:5000/callback',
      );
      await shot(a, 'apps-04-first-party');

      // Save sent only what changed: the audit record names isFirstParty alone.
      const audits = await api<{
        value: {
          activityDisplayName: string;
          targetResources: { id: string; modifiedProperties: { displayName: string }[] }[];
        }[];
      }>(a, 'GET', '/v1.0/auditLogs/directoryAudits?$top=50');
      const update = audits.json.value.find(
        (e) => e.activityDisplayName === 'Update application' && e.targetResources[0]?.id === objectId,
      );
      assert.deepEqual(
        update?.targetResources[0]?.modifiedProperties.map((p) => p.displayName),
        ['isFirstParty'],
        JSON.stringify(update),
      );

      // The same through the API.
      const list = await api<{ value: GraphApplication[] }>(a, 'GET', '/v1.0/applications');
      assert.equal(list.status, 200, JSON.stringify(list.json));
      const listed = list.json.value.find((x) => x.appId === appId);
      assert.ok(listed, 'GET /v1.0/applications lists it');
      assert.equal(listed.id, objectId);
      assert.equal(listed.displayName, 'Contoso Payroll');
      assert.equal(listed.isFirstParty, true);
      assert.equal(listed.isFallbackPublicClient, false);
      assert.deepEqual(listed.web.redirectUris, [
        'https://payroll.contoso.test/signin-oidc',
        'http://localhost:5000/callback',
      ]);
      assert.equal(listed.passwordCredentials.length, 1);
      assert.equal(listed.passwordCredentials[0]!.hint, secret.slice(0, 3));
      assert.equal(listed.passwordCredentials[0]!.displayName, 'Production web server');
      assert.ok(!JSON.stringify(list.json).includes(secret));

      // The list: the row, its client id and the first-party flag; search by name.
      await a.getByRole('link', { name: 'Back to applications' }).click();
      await expectPath(a, '/admin/applications');
      const row = rowsWith(a, 'Contoso Payroll');
      await row.first().waitFor();
      const cells = (await row.first().getByRole('cell').allTextContents()).map((c) => c.trim());
      assert.deepEqual(cells.slice(0, 3), ['Contoso Payroll', appId, 'Yes']);
      assert.match(cells[3]!, /\d{4}/, 'the created date');
      const search = a.getByRole('textbox', { name: 'Search applications' });
      await search.fill('PAYROLL');
      await expectText(a.getByRole('table', { name: 'Applications' }).locator('tbody'), /Contoso Payroll/);
      await search.fill('no such application');
      await expectText(a.getByRole('table', { name: 'Applications' }).locator('tbody'), /No applications found/);
      await search.fill('');
      await expectText(a.getByRole('table', { name: 'Applications' }).locator('tbody'), /Contoso Payroll/);
      await shot(a, 'apps-05-list');

      // The tenant id in the console's Overview.
      await a.getByRole('link', { name: 'Overview' }).click();
      await expectPath(a, '/admin/overview');
      assert.equal(await a.getByRole('textbox', { name: 'Directory (tenant) ID' }).inputValue(), tenantId);
      await expectText(a.getByRole('definition').first(), /Passless/);
    },
    120_000,
  );

  journey(
    'a bad redirect URI is explained on the field; secrets are removed and apps deleted after a confirmation',
    async ({ admin }) => {
      const a = admin.page;
      await a.goto('/admin/applications');
      await a.getByRole('button', { name: 'New application' }).click();
      await a.getByRole('textbox', { name: 'Display name' }).fill('Throwaway');
      const spa = a.getByRole('textbox', { name: 'Single-page application redirect URIs' });
      await spa.fill('http://spa.contoso.test/');
      await a.getByRole('button', { name: 'Register' }).click();
      await expectText(a.getByRole('alert'), /spa\.redirectUris.*https/);
      assert.equal(await spa.getAttribute('aria-invalid'), 'true');
      await spa.fill('https://spa.contoso.test/');
      await a.getByRole('checkbox', { name: 'Allow public client flows' }).check();
      await a.getByRole('button', { name: 'Register' }).click();
      await a.getByRole('heading', { name: 'Throwaway', level: 1 }).waitFor();
      await expectText(a.locator('.page-header'), /Third-party/);

      // A secret with a 6-month lifetime, then removed after "Remove permanently".
      await a.getByRole('button', { name: 'New client secret' }).click();
      await a.getByRole('combobox', { name: 'Expires' }).selectOption({ label: '6 months' });
      await a.getByRole('button', { name: 'Add', exact: true }).click();
      const secret = await a.getByRole('textbox', { name: 'Client secret value' }).inputValue();
      await a.getByRole('button', { name: 'Done' }).click();
      const hint = `${secret.slice(0, 3)}…`;
      const remove = a.getByRole('button', { name: `Remove secret ${hint}` });
      const expiry = await a
        .getByRole('table', { name: 'Client secrets' })
        .locator('time')
        .first()
        .getAttribute('datetime');
      const months = (Date.parse(expiry!) - Date.now()) / (30.4 * 24 * 3600 * 1000);
      assert.ok(months > 5.5 && months < 6.5, `about 6 months (${months})`);
      await remove.click();
      await a.getByRole('button', { name: 'Keep it' }).click();
      assert.equal(await remove.count(), 1, 'kept');
      await remove.click();
      await a.getByRole('button', { name: 'Remove permanently' }).click();
      await expectText(a.getByRole('status').filter({ hasText: 'removed' }), /removed/);
      await expectText(a.getByRole('table', { name: 'Client secrets' }), /No client secrets/);
      const id = new URL(a.url()).pathname.split('/').pop()!;
      const got = await api<GraphApplication>(a, 'GET', `/v1.0/applications/${id}`);
      assert.deepEqual(got.json.passwordCredentials, []);
      assert.equal(got.json.isFallbackPublicClient, true);

      // API permissions: grant User.Read.All (admin consent), see it granted through the API, then revoke it.
      const permissions = a.getByRole('region', { name: 'API permissions' });
      await permissions
        .getByRole('combobox', { name: 'Permission' })
        .selectOption({ value: 'df021288-bdef-4463-88db-98f22de89214' });
      await permissions.getByRole('button', { name: 'Grant' }).click();
      await expectText(a.getByRole('status').filter({ hasText: 'granted' }), /User\.Read\.All granted/);
      await expectText(permissions.getByRole('table', { name: 'Granted permissions' }), /User\.Read\.All/);
      const principal = await api<{ value: { id: string }[] }>(
        a,
        'GET',
        `/v1.0/servicePrincipals?$filter=${encodeURIComponent(`appId eq '${got.json.appId}'`)}`,
      );
      const granted = await api<{ value: { appRoleId: string }[] }>(
        a,
        'GET',
        `/v1.0/servicePrincipals/${principal.json.value[0]!.id}/appRoleAssignments`,
      );
      assert.deepEqual(
        granted.json.value.map((g) => g.appRoleId),
        ['df021288-bdef-4463-88db-98f22de89214'],
      );
      await permissions.getByRole('button', { name: 'Revoke User.Read.All' }).click();
      await expectText(a.getByRole('status').filter({ hasText: 'revoked' }), /User\.Read\.All revoked/);
      await expectText(permissions.getByRole('table', { name: 'Granted permissions' }), /No permissions granted/);

      // Delete the application: Cancel keeps it, "Delete permanently" removes it.
      await a.getByRole('button', { name: 'Delete application' }).click();
      await a.getByRole('button', { name: 'Cancel' }).click();
      await a.getByRole('button', { name: 'Delete application' }).click();
      await a.getByRole('button', { name: 'Delete permanently' }).click();
      await expectPath(a, '/admin/applications');
      await expectText(a.getByRole('status').filter({ hasText: 'deleted' }), /Throwaway.*deleted/);
      assert.equal((await api(a, 'GET', `/v1.0/applications/${id}`)).status, 404);
      assert.equal(await rowsWith(a, 'Throwaway').count(), 0);
    },
    120_000,
  );

  journey(
    'an app registered in the console signs the admin in; My Security Info lists the consent and Revoke removes it',
    async ({ server, admin }) => {
      const a = admin.page;
      await a.goto('/security-info');
      await a.getByRole('heading', { name: "Apps you've allowed" }).waitFor();
      const section = a.locator('#consents');
      await expectText(section.getByRole('listitem').first(), /No apps yet/);

      // A third-party web app registered and given a secret through the console, used by a real relying party.
      const rp = await startRelyingParty(server.url);
      try {
        await a.goto('/admin/applications');
        await a.getByRole('button', { name: 'New application' }).click();
        await a.getByRole('textbox', { name: 'Display name' }).fill('Fabrikam Wiki');
        await a.getByRole('textbox', { name: 'Web redirect URIs' }).fill(rp.redirectUri);
        await a.getByRole('button', { name: 'Register' }).click();
        await a.getByRole('heading', { name: 'Fabrikam Wiki', level: 1 }).waitFor();
        const appId = await a.getByRole('textbox', { name: 'Application (client) ID' }).inputValue();
        await a.getByRole('button', { name: 'New client secret' }).click();
        await a.getByRole('button', { name: 'Add', exact: true }).click();
        const secret = await a.getByRole('textbox', { name: 'Client secret value' }).inputValue();
        await a.getByRole('button', { name: 'Done' }).click();
        await rp.configure(appId, secret);

        // Signed in to Passless already: the app's sign-in goes straight to the consent page.
        await a.goto(`${rp.url}/login`);
        await expectText(a.getByRole('heading', { level: 1 }), /Allow Fabrikam Wiki/);
        await a.getByRole('button', { name: 'Allow', exact: true }).click();
        await expectText(a.getByRole('heading', { level: 1 }), /Signed in as admin@contoso\.test/);
        assert.equal(rp.signIns.at(-1)!.claims.aud, appId, 'the client id shown in the console is the audience');

        await a.goto('/security-info');
        const revoke = a.getByRole('button', { name: 'Revoke Fabrikam Wiki' });
        await revoke.waitFor();
        await expectText(section, /Fabrikam Wiki.*Allowed.*Sign you in.*See your email address/);
        await expectText(a.getByRole('list', { name: 'Permissions of Fabrikam Wiki' }), /offline_access/);
        await shot(a, 'apps-06-security-info-consents');
        await revoke.click();
        await expectText(a.locator('#consents-status'), /Access for Fabrikam Wiki revoked/);
        await expectText(section.getByRole('listitem').first(), /No apps yet/);
        assert.equal(await revoke.count(), 0);
        const listed = await api<{ value: unknown[] }>(a, 'GET', '/api/security-info/consents');
        assert.deepEqual(listed.json.value, []);
        await a.reload();
        await expectText(section.getByRole('listitem').first(), /No apps yet/);

        // Revoked: the app asks again.
        await a.goto(`${rp.url}/login`);
        await expectText(a.getByRole('heading', { level: 1 }), /Allow Fabrikam Wiki/);
      } finally {
        await rp.close();
      }

      // A failing endpoint is a message inside the section; the sign-in methods above keep working. (The browser
      // answers for the server here: a real server error cannot be caused on demand.)
      await a.goto('/security-info');
      await a.route('**/api/security-info/consents', (route) =>
        route.fulfill({
          status: 500,
          contentType: 'application/json',
          body: JSON.stringify({ error: { code: 'generalException', message: 'Boom.' } }),
        }),
      );
      try {
        await a.reload();
        await expectText(a.locator('#consents-alert'), /couldn't load the apps you've allowed/);
        await a.getByRole('button', { name: 'Rename Admin laptop' }).waitFor();
        await a.getByRole('button', { name: 'Add passkey' }).waitFor();
      } finally {
        await a.unrouteAll();
      }
    },
    120_000,
  );
});
