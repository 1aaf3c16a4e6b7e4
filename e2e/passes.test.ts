// Temporary Access Pass sign-in messages in the page's alert region: wrong, reused, not yet valid, unknown account.
//
// An expired pass is not tested here: a pass lasts at least the policy's minimum lifetime (60 minutes by
// default) and a start in the past counts from now, so expiry needs the server's clock to move, which the API
// tests do with their controllable clock; this real server runs on real time.
//
// Wrong passes are throttled per source address and every browser here comes from the same one: this suite
// makes three wrong attempts in all, within the throttle's free failures (src/core/policy/throttle.ts).
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import {
  browserSuite,
  createUser,
  expectPath,
  expectText,
  identify,
  issuePass,
  sessionOf,
  shot,
  signOut,
  submitPass,
} from './kit.ts';

/** The second step's controls and texts, with the typed account replaced by a placeholder. */
async function secondStep(page: Page, identifier: string): Promise<string> {
  const snapshot = await page.getByRole('main').ariaSnapshot();
  return snapshot.split(identifier).join('<account>');
}

/** Types a pass, presses Enter, and returns what the page shows and what the server answered. */
async function tryPass(page: Page, pass: string) {
  const answered = page.waitForResponse((r) => new URL(r.url()).pathname === '/api/signin/tap');
  await submitPass(page, pass);
  const response = await answered;
  const alert = await expectText(page.getByRole('alert'), /\S/);
  const code = ((await response.json()) as { error?: { code?: string } })?.error?.code;
  return { alert, status: response.status(), code };
}

/** A pass that is not the right one: the right one with its first character dropped and one added. */
const wrong = (pass: string) => `${pass.slice(1)}x`;

browserSuite('Temporary Access Pass messages in a real browser', {}, (journey) => {
  journey('a wrong pass is "not right", and a one-time pass used once is "already used"', async (stage) => {
    const pat = await stage.person('pat', { autofill: false });
    const user = await createUser(stage.admin.page, 'Pat Kim', 'pat@contoso.test');
    const { temporaryAccessPass } = await issuePass(stage.admin.page, user.id, { isUsableOnce: true });
    const page = pat.page;
    const alert = page.getByRole('alert');

    await identify(page, 'pat@contoso.test');
    await submitPass(page, wrong(temporaryAccessPass));
    await expectText(alert, /isn't right/i);
    await shot(page, '30-signin-wrong-pass');
    assert.equal(new URL(page.url()).pathname, '/signin');
    assert.equal(await sessionOf(page), null);

    // The right pass, on the same screen: in.
    await submitPass(page, temporaryAccessPass);
    await expectPath(page, '/security-info');
    await page.getByRole('button', { name: 'Add passkey' }).waitFor();
    await signOut(page);

    // The same one-time pass again.
    await identify(page, 'pat@contoso.test');
    await submitPass(page, temporaryAccessPass);
    await expectText(alert, /already been used/i);
    await shot(page, '31-signin-used-pass');
    assert.equal(await sessionOf(page), null);
  });

  journey('a pass that starts later says it is not valid yet, and when it will be', async (stage) => {
    const quinn = await stage.person('quinn', { autofill: false });
    const user = await createUser(stage.admin.page, 'Quinn Roe', 'quinn@contoso.test');
    const start = new Date(Date.now() + 26 * 60 * 60_000);
    start.setUTCSeconds(0, 0);
    const { temporaryAccessPass } = await issuePass(stage.admin.page, user.id, { startDateTime: start.toISOString() });
    const page = quinn.page;

    await identify(page, 'quinn@contoso.test');
    await submitPass(page, temporaryAccessPass);
    const message = await expectText(page.getByRole('alert'), /(isn't|not) valid yet|becomes valid/i);
    await shot(page, '32-signin-not-yet-valid');
    // It names when. The browser runs in UTC with en-US: "Nov 27, 2026"-style, or at least the ISO date.
    const localDate = start.toLocaleDateString('en-US', {
      month: 'short',
      day: 'numeric',
      year: 'numeric',
      timeZone: 'UTC',
    });
    const isoDate = start.toISOString().slice(0, 10);
    assert.ok(
      message.includes(localDate) || message.includes(isoDate),
      `the message names the start (${localDate}): ${message}`,
    );
    assert.equal(await sessionOf(page), null);
  });

  journey(
    'an unknown account sees the same second step, and the same "not right" message, as a known one',
    async (stage) => {
      const riley = await createUser(stage.admin.page, 'Riley Fox', 'riley@contoso.test');
      const { temporaryAccessPass } = await issuePass(stage.admin.page, riley.id);
      const visitor = await stage.person('visitor', { autofill: false });
      const page = visitor.page;

      await identify(page, 'riley@contoso.test');
      const known = await secondStep(page, 'riley@contoso.test');
      const wrongForKnown = await tryPass(page, wrong(temporaryAccessPass));

      await identify(page, 'nobody@contoso.test');
      const unknown = await secondStep(page, 'nobody@contoso.test');
      await shot(page, '40-signin-unknown-account');
      const forUnknown = await tryPass(page, temporaryAccessPass);

      assert.equal(unknown, known, 'the same controls and texts on the second step');
      for (const name of ['Temporary Access Pass', 'Sign in with a passkey', 'Use another account']) {
        assert.ok(unknown.includes(name), `the second step has "${name}":\n${unknown}`);
      }
      assert.match(wrongForKnown.alert, /isn't right/i);
      assert.equal(forUnknown.alert, wrongForKnown.alert, 'the same message');
      assert.deepEqual(
        { status: forUnknown.status, code: forUnknown.code },
        { status: wrongForKnown.status, code: wrongForKnown.code },
        'the same answer from the server',
      );
      assert.equal(await sessionOf(page), null);
    },
  );
});
