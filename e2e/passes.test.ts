// Temporary Access Pass sign-in messages in the page's alert region: wrong, reused, not yet valid, unknown account,
// expired.
//
// A pass cannot expire during a test by waiting: it lasts at least the policy's minimum lifetime (60 minutes by
// default) and a start in the past counts from now. So the expired pass is made by stopping the server, moving the
// pass's start three hours into the past in its embedded database (with the project's own storage code, which
// takes the data directory's lock as the server does), and starting the server again on the same data directory
// and port. That journey runs last, so the restart cannot disturb the others.
//
// Wrong passes are throttled per source address and every browser here comes from the same one: this suite
// makes three wrong attempts in all, within the throttle's free failures (src/core/policy/throttle.ts).
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { openEmbedded } from '../src/storage/connection.ts';
import { lockFilePath } from '../src/storage/data-dir-lock.ts';
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

  // Last: it restarts the server (the admin's session lives in the database and survives it, checked below).
  journey('an expired pass says it has expired', async (stage) => {
    const sam = await stage.person('sam', { autofill: false });
    const user = await createUser(stage.admin.page, 'Sam Lee', 'sam@contoso.test');
    const { temporaryAccessPass } = await issuePass(stage.admin.page, user.id, {
      lifetimeInMinutes: 60,
      isUsableOnce: true,
    });

    // Stop the server, move the pass's start into the past in its own database, start it again.
    const lock = lockFilePath(stage.server.dataDir);
    assert.ok(existsSync(lock), 'the running server holds the data directory lock');
    await stage.server.restart(async (dataDir) => {
      assert.ok(!existsSync(lock), 'the stopped server released the data directory lock');
      const handle = await openEmbedded(dataDir);
      try {
        assert.ok(existsSync(lock), 'this process holds the lock while it edits the database');
        const threeHoursAgo = new Date(Date.now() - 3 * 60 * 60_000);
        const result = await handle.db
          .updateTable('temporary_access_passes')
          .set({ start_at: threeHoursAgo })
          .where('user_id', '=', user.id)
          .executeTakeFirst();
        assert.equal(Number(result.numUpdatedRows), 1, "the user's one pass moved into the past");
      } finally {
        await handle.close();
      }
      assert.ok(!existsSync(lock), 'closing the database released the lock');
    });
    assert.ok(existsSync(lock), 'the restarted server holds the lock again');
    assert.equal(
      (await sessionOf(stage.admin.page))?.userPrincipalName,
      'admin@contoso.test',
      "the admin's session survived the restart",
    );

    // As the person: the right pass, now expired.
    const page = sam.page;
    await identify(page, 'sam@contoso.test');
    await page.getByRole('textbox', { name: 'Temporary Access Pass' }).fill(temporaryAccessPass);
    const answered = page.waitForResponse((r) => new URL(r.url()).pathname === '/api/signin/tap');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    const response = await answered;
    const message = await expectText(page.getByRole('alert'), /expired/i);
    await shot(page, '33-signin-expired-pass');
    assert.match(message, /Temporary Access Pass has expired/i);
    assert.equal(response.status(), 400);
    assert.equal(((await response.json()) as { error?: { code?: string } }).error?.code, 'tapExpired');
    assert.equal(new URL(page.url()).pathname, '/signin');
    assert.equal(await sessionOf(page), null);
  });
});
