// The whole story in a real browser: the bootstrap admin signs in with the printed pass, adds a passkey,
// creates an employee and a pass; the employee uses it to add a passkey and then signs in with the passkey alone.
import assert from 'node:assert/strict';
import { ADMIN_UPN, browserSuite, expectPath, expectSignedInAs, expectText, sessionOf, shot } from './kit.ts';

browserSuite('onboarding in a real browser', { onboardAdmin: false }, (journey) => {
  journey(
    'from the bootstrap admin to the employee signing in with a passkey alone',
    async ({ server, admin, person }) => {
      const a = admin.page;

      // The bootstrap admin: account, Next, the printed pass, Enter.
      await a.goto('/signin');
      await shot(a, '01-signin');
      await a.getByRole('textbox', { name: 'Email or username' }).fill(ADMIN_UPN);
      await a.getByRole('button', { name: 'Next' }).click();
      const passBox = a.getByRole('textbox', { name: 'Temporary Access Pass' });
      await passBox.waitFor();
      await shot(a, '02-signin-step2');
      await passBox.fill(server.bootstrapPass);
      await passBox.press('Enter');
      await expectPath(a, '/security-info');
      await expectSignedInAs(a, ADMIN_UPN);
      await expectText(a.getByText('Your Temporary Access Pass is your only sign-in method'), /only sign-in method/);
      await shot(a, '03-security-info-bootstrap');

      // Add a passkey: name it, Continue, the browser ceremony, and the list shows it.
      await a.getByRole('button', { name: 'Add passkey' }).click();
      await a.getByRole('textbox', { name: 'Passkey name' }).fill('Admin laptop');
      await shot(a, '04-security-info-add-passkey');
      await a.getByRole('button', { name: 'Continue', exact: true }).click();
      await a.getByRole('button', { name: 'Rename Admin laptop' }).waitFor();
      await expectText(a.locator('#method-list'), /Admin laptop/);
      assert.equal((await admin.getCredentials()).length, 1, 'the virtual authenticator holds the new passkey');
      assert.equal(await a.getByText('Your Temporary Access Pass is your only sign-in method').isVisible(), false);
      await shot(a, '05-security-info-passkey-added');

      // Next: sign in with the passkey (autofill offers it on /signin and the virtual authenticator picks it),
      // which leads to the admin console.
      await a.getByRole('link', { name: 'Continue with your passkey' }).click();
      await expectPath(a, '/admin');
      await a.getByRole('button', { name: 'New user' }).waitFor();
      assert.equal((await sessionOf(a))?.kind, 'full');
      await shot(a, '06-admin-users');

      // New user → Create → the user's page.
      await a.getByRole('button', { name: 'New user' }).click();
      await a.getByRole('textbox', { name: 'Display name' }).fill('Jane Doe');
      await a.getByRole('textbox', { name: 'User principal name' }).fill('jane@contoso.test');
      await shot(a, '07-admin-new-user');
      await a.getByRole('button', { name: 'Create', exact: true }).click();
      await expectPath(a, /^\/admin\/users\/[^/?]+$/);

      // Create Temporary Access Pass: 60 minutes, one-time use.
      await a.getByRole('button', { name: 'Create Temporary Access Pass' }).click();
      await a.getByRole('spinbutton', { name: 'Lifetime (minutes)' }).fill('60');
      await a.getByRole('checkbox', { name: 'One-time use' }).check();
      await shot(a, '08-admin-create-tap');
      await a.getByRole('button', { name: 'Create', exact: true }).click();

      // The pass, shown once in a read-only field, and an onboarding message that contains it.
      const codeBox = a.getByRole('textbox', { name: 'Temporary Access Pass' });
      await codeBox.waitFor();
      const code = await codeBox.inputValue();
      assert.match(code, /^\S{8,48}$/);
      assert.equal(await codeBox.isEditable(), false, 'the pass is shown in a read-only field');
      const message = await a.getByRole('textbox', { name: 'Onboarding message' }).inputValue();
      assert.ok(message.includes(code), `the onboarding message contains the pass:\n${message}`);
      assert.ok(message.includes('jane@contoso.test'), 'the onboarding message names the account');
      assert.ok(message.includes(`${server.url}/signin`), 'the onboarding message has the sign-in URL');
      await shot(a, '09-admin-tap-created');

      // The employee, in their own browser (no autofill there, so the explicit button is what signs in later):
      // the pass, a passkey, sign out.
      const employee = await person('employee', { autofill: false });
      const e = employee.page;
      await e.goto('/signin');
      await e.getByRole('textbox', { name: 'Email or username' }).fill('jane@contoso.test');
      await e.getByRole('textbox', { name: 'Email or username' }).press('Enter');
      await e.getByRole('textbox', { name: 'Temporary Access Pass' }).fill(code);
      await e.getByRole('button', { name: 'Sign in', exact: true }).click();
      await expectPath(e, '/security-info');
      await expectSignedInAs(e, 'jane@contoso.test');
      await expectText(e.getByText('Your Temporary Access Pass is your only sign-in method'), /only sign-in method/);
      await e.getByRole('button', { name: 'Add passkey' }).click();
      await e.getByRole('textbox', { name: 'Passkey name' }).fill('Work laptop');
      await e.getByRole('textbox', { name: 'Passkey name' }).press('Enter');
      await e.getByRole('button', { name: 'Rename Work laptop' }).waitFor();
      assert.equal((await employee.getCredentials()).length, 1);
      await e.getByRole('button', { name: 'Sign out' }).click();
      await expectPath(e, '/signin');
      assert.equal(await sessionOf(e), null, 'signed out');

      // From now on the passkey alone: account, Next, "Sign in with a passkey" (no pass).
      await e.getByRole('textbox', { name: 'Email or username' }).fill('jane@contoso.test');
      await e.getByRole('button', { name: 'Next' }).click();
      await e.getByRole('button', { name: 'Use another account' }).waitFor(); // the second step is showing
      await e.getByRole('button', { name: 'Sign in with a passkey' }).click();
      await expectPath(e, '/security-info');
      await expectSignedInAs(e, 'jane@contoso.test');
      await e.getByRole('button', { name: 'Rename Work laptop' }).waitFor();
      assert.deepEqual(await sessionOf(e), { kind: 'full', userPrincipalName: 'jane@contoso.test' });
      assert.equal(await e.getByRole('link', { name: 'Continue with your passkey' }).isVisible(), false);
      await shot(e, '10-security-info-employee');

      // The audit log, in the admin's browser.
      await a.goto('/admin/audit');
      await expectText(a.getByRole('table'), /Admin registered security info/);
      await shot(a, '11-admin-audit');
    },
    90_000,
  );
});
