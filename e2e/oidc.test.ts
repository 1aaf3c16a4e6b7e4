// Applications sign people in through Passless in a real browser: openid-client as the relying party, the
// passkey in Chromium's virtual authenticator, consent, a server restart in the middle, and logout.
import assert from 'node:assert/strict';
import { api, browserSuite, expectPath, expectText, onboardEmployee, sessionOf } from './kit.ts';
import { type RelyingParty, startRelyingParty } from './relying-party.ts';

interface Registered {
  id: string;
  appId: string;
  secret: string;
}

async function register(
  admin: Parameters<typeof api>[0],
  rp: RelyingParty,
  body: Record<string, unknown>,
): Promise<Registered> {
  const created = await api<{ id: string; appId: string }>(admin, 'POST', '/v1.0/applications', {
    web: { redirectUris: [rp.redirectUri] },
    ...body,
  });
  assert.equal(created.status, 201, JSON.stringify(created.json));
  const secret = await api<{ secretText: string }>(admin, 'POST', `/v1.0/applications/${created.json.id}/addPassword`, {
    passwordCredential: { displayName: 'e2e' },
  });
  assert.equal(secret.status, 200, JSON.stringify(secret.json));
  await rp.configure(created.json.appId, secret.json.secretText);
  return { ...created.json, secret: secret.json.secretText };
}

browserSuite('applications sign people in with OpenID Connect', {}, (journey) => {
  journey(
    'code + PKCE: passkey sign-in, a restart in the middle, ID token checked, logout ends the session',
    async (stage) => {
      const rp = await startRelyingParty(stage.server.url);
      try {
        await register(stage.admin.page, rp, { displayName: 'Contoso Intranet', isFirstParty: true });
        const kim = await stage.person('kim', { autofill: false });
        await onboardEmployee(stage.admin.page, kim, 'Kim Lee', 'kim@contoso.test');
        const page = kim.page;

        await page.goto(`${rp.url}/login`);
        await expectPath(page, '/signin');
        // Everything the sign-in needs is in the database: a restart between steps loses nothing. (Between
        // steps: the sign-in page has finished loading first.)
        await page.waitForLoadState('networkidle');
        await stage.server.restart();
        await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
        await expectText(page.getByRole('heading', { level: 1 }), /Signed in as kim@contoso\.test/);
        const signIn = rp.signIns.at(-1)!;
        assert.deepEqual(signIn.claims.amr, ['hwk', 'user']);
        assert.equal(signIn.claims.acr, 'urn:passless:acr:phishing-resistant-device-bound');
        assert.equal(signIn.claims.name, 'Kim Lee');
        assert.ok(signIn.tokens.refresh_token);

        // Signed in to Passless too, so a second application sign-in needs no passkey prompt.
        await page.goto(`${rp.url}/login`);
        await expectText(page.getByRole('heading', { level: 1 }), /Signed in as kim@contoso\.test/);
        assert.equal(rp.signIns.length, 2);

        await page.goto(`${rp.url}/logout`);
        await page
          .getByRole('button', { name: /sign (me )?out/i })
          .first()
          .click();
        await expectText(page.getByRole('heading', { level: 1 }), /Signed out of Contoso/);
        await page.goto(stage.server.url);
        assert.equal(await sessionOf(page), null, 'the Passless session ended with the application logout');
      } finally {
        await rp.close();
      }
    },
    120_000,
  );

  journey(
    'a third-party application asks for consent once; the person revokes it in security info',
    async (stage) => {
      const rp = await startRelyingParty(stage.server.url);
      try {
        await register(stage.admin.page, rp, { displayName: 'Fabrikam Notes' });
        const ana = await stage.person('ana', { autofill: false });
        await onboardEmployee(stage.admin.page, ana, 'Ana Diaz', 'ana@contoso.test');
        const page = ana.page;
        await page.goto(`${rp.url}/login`);
        await expectPath(page, '/signin');
        await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
        await expectText(page.getByRole('heading', { level: 1 }), /Allow Fabrikam Notes to access your account\?/);
        await expectText(page.getByRole('list'), /See your email address/);
        await page.getByRole('button', { name: 'Allow', exact: true }).click();
        await expectText(page.getByRole('heading', { level: 1 }), /Signed in as ana@contoso\.test/);

        await page.goto(`${rp.url}/login`);
        await expectText(page.getByRole('heading', { level: 1 }), /Signed in as ana@contoso\.test/);

        // Security info lists the app; revoking it there means the next sign-in asks again.
        await page.goto(`${stage.server.url}/security-info`);
        const apps = page.getByRole('region', { name: "Apps you've allowed" });
        await expectText(apps, /Fabrikam Notes/);
        page.once('dialog', (dialog) => dialog.accept());
        await page.getByRole('button', { name: 'Revoke Fabrikam Notes' }).click();
        await expectText(apps, /No apps/);
        await page.goto(`${rp.url}/login`);
        await expectText(page.getByRole('heading', { level: 1 }), /Allow Fabrikam Notes/);
        await page.getByRole('button', { name: "Don't allow" }).click();
        await expectText(page.getByRole('heading', { level: 1 }), /Sign-in failed: access_denied/);
      } finally {
        await rp.close();
      }
    },
    120_000,
  );
});
