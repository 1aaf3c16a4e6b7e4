// Passkey sign-in without typing a name (button and autofill), and the gate that keeps a pass (bootstrap)
// session out of the admin console.
import assert from 'node:assert/strict';
import {
  addPasskey,
  assignRole,
  browserSuite,
  createUser,
  expectPath,
  expectSignedInAs,
  expectText,
  issuePass,
  onboardEmployee,
  sessionOf,
  shot,
  signInWithPass,
} from './kit.ts';

browserSuite('passkey sign-in in a real browser', {}, (journey) => {
  journey('a person with a passkey signs in with "Sign in with a passkey" without typing a name', async (stage) => {
    const kim = await stage.person('kim', { autofill: false });
    await onboardEmployee(stage.admin.page, kim, 'Kim Lee', 'kim@contoso.test');
    assert.equal(await sessionOf(kim.page), null, 'signed out');

    const page = kim.page;
    await page.goto('/signin');
    assert.equal(await page.getByRole('textbox', { name: 'Email or username' }).inputValue(), '');
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    await expectPath(page, '/security-info');
    await expectSignedInAs(page, 'kim@contoso.test');
    assert.deepEqual(await sessionOf(page), { kind: 'full', userPrincipalName: 'kim@contoso.test' });
  });

  journey('passkey autofill signs a person with a passkey in as soon as /signin opens', async (stage) => {
    const lee = await stage.person('lee', { autofill: false });
    await onboardEmployee(stage.admin.page, lee, 'Lee Park', 'lee@contoso.test');
    assert.equal(await sessionOf(lee.page), null, 'signed out');

    // With autofill the page offers the passkey on the username field; Chromium's virtual authenticator picks it.
    await lee.setAutofill(true);
    await lee.page.goto('/signin');
    await expectPath(lee.page, '/security-info');
    await expectSignedInAs(lee.page, 'lee@contoso.test');
    assert.deepEqual(await sessionOf(lee.page), { kind: 'full', userPrincipalName: 'lee@contoso.test' });
  });

  journey(
    'a person who opens /security-info signed out is sent to sign in, and the pass brings them back',
    async (stage) => {
      const sam = await stage.person('sam', { autofill: false });
      const user = await createUser(stage.admin.page, 'Sam Berg', 'sam@contoso.test');
      const { temporaryAccessPass } = await issuePass(stage.admin.page, user.id);

      const page = sam.page;
      await page.goto('/security-info');
      await expectPath(page, /^\/signin\?returnTo=/);
      await page.getByRole('textbox', { name: 'Email or username' }).fill('sam@contoso.test');
      await page.getByRole('button', { name: 'Next' }).click();
      await page.getByRole('textbox', { name: 'Temporary Access Pass' }).fill(temporaryAccessPass);
      await page.getByRole('button', { name: 'Sign in', exact: true }).click();
      await expectPath(page, '/security-info');
      await expectSignedInAs(page, 'sam@contoso.test');
      assert.equal((await sessionOf(page))?.kind, 'bootstrap');
    },
  );

  journey('a pass (bootstrap) session is sent to sign in with a passkey instead of reaching /admin', async (stage) => {
    const olga = await stage.person('olga', { autofill: false });
    const user = await createUser(stage.admin.page, 'Olga Ops', 'olga@contoso.test');
    await assignRole(stage.admin.page, user.id, 'User Administrator');
    const { temporaryAccessPass } = await issuePass(stage.admin.page, user.id);

    const page = olga.page;
    await signInWithPass(page, 'olga@contoso.test', temporaryAccessPass);
    assert.equal((await sessionOf(page))?.kind, 'bootstrap');

    await page.goto('/admin');
    await expectPath(page, /^\/signin\?(?=.*reason=reauthenticate)(?=.*returnTo=%2Fadmin)/);
    await expectText(page.getByText('Sign in with your passkey to continue'), /Sign in with your passkey to continue/);
    await shot(page, '20-signin-reauthenticate');
    await page.goto('/admin/users');
    await expectPath(page, /^\/signin\?(?=.*reason=reauthenticate)/);
    assert.equal((await sessionOf(page))?.kind, 'bootstrap', 'still the pass session, nothing more');

    // Once she has a passkey and signs in with it, the same person gets in.
    await page.goto('/security-info');
    await addPasskey(page, 'Ops laptop');
    await page.getByRole('link', { name: 'Continue with your passkey' }).click();
    await expectPath(page, '/signin');
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    await expectPath(page, '/admin');
    await page.getByRole('button', { name: 'New user' }).waitFor();
    assert.equal((await sessionOf(page))?.kind, 'full');
  });
});
