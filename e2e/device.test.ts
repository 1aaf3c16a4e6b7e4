// `npx passless login` (device authorization grant, RFC 8628) end to end: the real CLI as a child process
// against the real server, the person confirming in Chromium with a passkey; then whoami, refresh, logout, and
// the provider-rendered pages (wrong code, cancel, RP-initiated logout).
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { api, assignRole, browserSuite, expectPath, expectText, onboardEmployee, sessionOf, shot } from './kit.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

// ---------------------------------------------------------------------------
// The CLI as a person runs it

interface CliRun {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Waits until stdout matches, returning the match. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  exited: Promise<{ code: number | null; stdout: string; stderr: string }>;
}

const running = new Set<ChildProcess>();
after(() => {
  for (const child of running) child.kill('SIGKILL');
});

const configHomes: string[] = [];
after(() => {
  for (const dir of configHomes) rmSync(dir, { recursive: true, force: true });
});

/** A fresh XDG_CONFIG_HOME: where this "machine" keeps its CLI credentials. */
function newConfigHome(): string {
  const dir = mkdtempSync(join(tmpdir(), 'passless-e2e-cli-'));
  configHomes.push(dir);
  return dir;
}

function passless(args: string[], configHome: string): CliRun {
  const child = spawn(process.execPath, [join(ROOT, 'bin/passless.mjs'), ...args], {
    cwd: ROOT,
    env: { ...process.env, XDG_CONFIG_HOME: configHome, PASSLESS_PUBLIC_URL: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    err += chunk;
  });
  const exited = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.once('close', (code) => {
      running.delete(child);
      resolve({ code, stdout: out, stderr: err });
    }),
  );
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    async waitFor(pattern, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const match = pattern.exec(out);
        if (match) return match;
        if (child.exitCode !== null || Date.now() > deadline) {
          throw new Error(
            `passless ${args.join(' ')}: expected output matching ${pattern}\nstdout:\n${out}\nstderr:\n${err}`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
  };
}

/** Runs a command to its end and fails unless it exits 0. */
async function passlessOk(args: string[], configHome: string): Promise<string> {
  const { code, stdout, stderr } = await passless(args, configHome).exited;
  assert.equal(code, 0, `passless ${args.join(' ')} exited ${code}\nstdout:\n${stdout}\nstderr:\n${stderr}`);
  return stdout;
}

interface Started {
  run: CliRun;
  userCode: string;
  verificationUri: string;
  verificationUriComplete: string;
}

/** `passless login --url …` up to the point where it shows the page to open and the code. */
async function startLogin(url: string, configHome: string): Promise<Started> {
  const run = passless(['login', '--url', url], configHome);
  const userCode = (await run.waitFor(/enter the code:\s+([B-DF-HJ-NP-TV-XZ]{4}-[B-DF-HJ-NP-TV-XZ]{4})/))[1]!;
  const verificationUri = (await run.waitFor(/open this page in a browser:\s+(\S+)/))[1]!;
  const verificationUriComplete = (await run.waitFor(/fills in the code for you:\s+(\S+)/))[1]!;
  return { run, userCode, verificationUri, verificationUriComplete };
}

interface CredentialsFile {
  version: number;
  deployments: Record<
    string,
    { accessToken: string; refreshToken?: string; idToken?: string; expiresAt: string; scope: string }
  >;
}

function readCredentials(configHome: string): CredentialsFile {
  return JSON.parse(readFileSync(join(configHome, 'passless', 'credentials.json'), 'utf8')) as CredentialsFile;
}

/** Types the code on the user-code page and presses Continue. */
async function enterCode(page: Page, code: string): Promise<void> {
  await page.getByRole('heading', { name: 'Sign in on another device' }).waitFor();
  await page.getByLabel('Code').fill(code);
  await page.getByRole('button', { name: 'Continue' }).click();
}

// ---------------------------------------------------------------------------

browserSuite('passless login: device sign-in in a real browser', {}, (journey) => {
  journey(
    'a person signs the CLI in with a passkey; whoami shows them, an expired token is refreshed, logout revokes it',
    async (stage) => {
      const kim = await stage.person('kim', { autofill: false });
      const user = await onboardEmployee(stage.admin.page, kim, 'Kim Lee', 'kim@contoso.test');
      await assignRole(stage.admin.page, user.id, 'User Administrator');
      assert.equal(await sessionOf(kim.page), null, 'signed out before the device sign-in');

      const home = newConfigHome();
      const url = stage.server.url;
      const login = await startLogin(url, home);
      assert.equal(login.verificationUri, `${url}/device`);

      // The person types the code the way people do: lower case, a space instead of the dash.
      const page = kim.page;
      await page.goto(login.verificationUri);
      await shot(page, '60-device-code');
      await enterCode(page, login.userCode.toLowerCase().replace('-', ' '));

      // The confirm page names the application and shows the code to compare, with the warning.
      await page.getByRole('heading', { name: 'Confirm this sign-in' }).waitFor();
      await expectText(page.locator('main'), /Passless CLI/);
      await expectText(page.locator('code.user-code'), new RegExp(`^${login.userCode}$`));
      await expectText(page.getByText('Only continue if you started this on your own device'), /own device/);
      await expectText(page.locator('dl.details'), /passless-cli on /);
      await shot(page, '61-device-confirm');
      await page.getByRole('button', { name: 'Continue' }).click();

      // Not signed in to Passless: the interaction sends the person to sign in, then back.
      await expectPath(page, '/signin');
      await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
      await page.getByRole('heading', { name: "You're signed in on your device" }).waitFor();
      await expectText(page.getByRole('status'), /You can close this window/);
      await shot(page, '62-device-success');

      const done = await login.run.exited;
      assert.equal(done.code, 0, `login exited ${done.code}\n${done.stdout}\n${done.stderr}`);
      assert.match(done.stdout, /Signed in to http:\/\/localhost:\d+ as kim@contoso\.test \(Kim Lee\)/);

      // Credentials: readable by this user only, keyed by the deployment.
      const dir = join(home, 'passless');
      assert.equal(statSync(dir).mode & 0o777, 0o700);
      assert.equal(statSync(join(dir, 'credentials.json')).mode & 0o777, 0o600);
      const stored = readCredentials(home).deployments[url];
      assert.ok(stored?.accessToken, 'an access token is stored for the deployment');
      assert.ok(stored.refreshToken, 'a refresh token is stored (offline_access)');
      assert.ok(stored.idToken, 'the ID token is stored');
      assert.ok(Date.parse(stored.expiresAt) > Date.now() + 30 * 60_000, 'the access token lasts about an hour');

      // whoami: the person and their roles.
      const who = JSON.parse(await passlessOk(['whoami', '--url', url, '--json'], home));
      assert.equal(who.userPrincipalName, 'kim@contoso.test');
      assert.equal(who.displayName, 'Kim Lee');
      assert.equal(who.id, user.id);
      const text = await passlessOk(['whoami', '--url', url], home);
      assert.match(text, /User:\s+kim@contoso\.test/);
      assert.match(text, /Display name:\s+Kim Lee/);
      if (who.source === 'api') {
        assert.deepEqual(who.roles, ['User Administrator'], who.note);
        assert.match(text, /Roles:\s+User Administrator/);
      } else {
        // The API does not take bearer tokens yet: whoami says it shows the ID token's claims instead.
        assert.match(text, /showing the claims of the ID token instead/);
      }

      // An expired access token is refreshed with the (rotating) refresh token and saved. Two commands at once
      // refresh only once: presenting the rotated-out refresh token again would revoke the whole grant.
      const file = readCredentials(home);
      file.deployments[url]!.expiresAt = new Date(Date.now() - 60_000).toISOString();
      writeFileSync(join(dir, 'credentials.json'), JSON.stringify(file), { mode: 0o600 });
      const both = await Promise.all([
        passlessOk(['whoami', '--url', url, '--json'], home),
        passlessOk(['whoami', '--url', url, '--json'], home),
      ]);
      for (const answer of both) assert.equal(JSON.parse(answer).userPrincipalName, 'kim@contoso.test');
      const refreshed = readCredentials(home).deployments[url]!;
      assert.ok(Date.parse(refreshed.expiresAt) > Date.now() + 30 * 60_000, 'a fresh access token');
      assert.notEqual(refreshed.accessToken, stored.accessToken);
      assert.notEqual(refreshed.refreshToken, stored.refreshToken, 'the refresh token rotated');
      assert.equal(statSync(join(dir, 'credentials.json')).mode & 0o777, 0o600, 'still 0600 after the refresh');
      // The grant survived the two refreshing commands: the new refresh token still works.
      const fresh = readCredentials(home);
      fresh.deployments[url]!.expiresAt = new Date(Date.now() - 60_000).toISOString();
      writeFileSync(join(dir, 'credentials.json'), JSON.stringify(fresh), { mode: 0o600 });
      await passlessOk(['whoami', '--url', url], home);
      const latest = readCredentials(home).deployments[url]!;
      assert.notEqual(latest.refreshToken, refreshed.refreshToken);

      // logout revokes the refresh token at the server and forgets the credentials.
      const out = await passlessOk(['logout', '--url', url], home);
      assert.match(out, /Signed out of http:\/\/localhost:\d+\. Stored credentials removed\./);
      assert.equal(readCredentials(home).deployments[url], undefined);
      const reuse = await fetch(`${url}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'refresh_token',
          refresh_token: latest.refreshToken!,
          client_id: 'passless-cli',
        }),
      });
      assert.equal(reuse.status, 400);
      assert.equal(((await reuse.json()) as { error: string }).error, 'invalid_grant');
      const whoAfter = await passless(['whoami', '--url', url], home).exited;
      assert.equal(whoAfter.code, 1);
      assert.match(whoAfter.stderr, /not signed in to http:\/\/localhost:\d+: run `passless login/);
    },
    120_000,
  );

  journey('when the admin disables the account, whoami says the sign-in has ended and forgets it', async (stage) => {
    const mia = await stage.person('mia', { autofill: false });
    const user = await onboardEmployee(stage.admin.page, mia, 'Mia Wong', 'mia@contoso.test');
    const home = newConfigHome();
    const url = stage.server.url;
    const login = await startLogin(url, home);
    await mia.page.goto(login.verificationUriComplete);
    await mia.page.getByRole('button', { name: 'Continue' }).click();
    await expectPath(mia.page, '/signin');
    await mia.page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    await mia.page.getByRole('heading', { name: "You're signed in on your device" }).waitFor();
    assert.equal((await login.run.exited).code, 0);
    assert.match(await passlessOk(['whoami', '--url', url], home), /User:\s+mia@contoso\.test/);

    const disabled = await api(stage.admin.page, 'PATCH', `/v1.0/users/${user.id}`, { accountEnabled: false });
    assert.equal(disabled.status, 204, JSON.stringify(disabled.json));
    const whoAfter = await passless(['whoami', '--url', url], home).exited;
    assert.equal(whoAfter.code, 1, whoAfter.stdout);
    assert.match(whoAfter.stderr, /your sign-in to http:\/\/localhost:\d+ has ended: run `passless login/);
    assert.equal(readCredentials(home).deployments[url], undefined, 'the dead tokens are forgotten');
  });

  journey('a wrong code shows an error the person can act on, keeping what they typed', async (stage) => {
    const page = stage.admin.page;
    await page.goto('/device');
    await enterCode(page, 'bbbb-cccc');
    await expectText(page.getByRole('alert'), /That code didn’t work\. Check it against the code on your device/);
    assert.equal(await page.getByLabel('Code').inputValue(), 'bbbb-cccc');
    assert.equal(await page.getByLabel('Code').getAttribute('aria-invalid'), 'true');
    await shot(page, '63-device-wrong-code');

    // What was typed comes back as text, never as markup.
    const typed = '"><b id="injected">x</b>';
    await page.getByLabel('Code').fill(typed);
    await page.getByRole('button', { name: 'Continue' }).click();
    await expectText(page.getByRole('alert'), /That code didn’t work/);
    assert.equal(await page.getByLabel('Code').inputValue(), typed);
    assert.equal(await page.locator('#injected').count(), 0);

    // An empty code says what to do too.
    await page.getByLabel('Code').fill('');
    await page.getByRole('button', { name: 'Continue' }).click();
    await expectText(page.getByRole('alert'), /Enter the code shown on your device/);
  });

  journey('Cancel on the confirm page stops the CLI with access_denied; the code cannot be reused', async (stage) => {
    const home = newConfigHome();
    const login = await startLogin(stage.server.url, home);
    const page = stage.admin.page;
    // The link with the code filled in goes straight to the confirm page.
    await page.goto(login.verificationUriComplete);
    await page.getByRole('heading', { name: 'Confirm this sign-in' }).waitFor();
    await page.getByRole('button', { name: 'Cancel' }).click();
    await expectText(page.getByRole('alert'), /The sign-in was cancelled, so your device was not signed in/);

    const done = await login.run.exited;
    assert.equal(done.code, 1);
    assert.match(done.stderr, /access_denied: the sign-in was cancelled or declined/);
    assert.throws(() => readCredentials(home), /ENOENT/, 'nothing stored');

    await enterCode(page, login.userCode);
    await expectText(page.getByRole('alert'), /That code has already been used or cancelled/);
  });

  journey(
    'signing out through the provider (RP-initiated logout) also ends the Passless session, with or without script',
    async (stage) => {
      const lee = await stage.person('lee', { autofill: false });
      await onboardEmployee(stage.admin.page, lee, 'Lee Park', 'lee@contoso.test');
      const page = lee.page;

      for (const script of ['blocked', 'allowed'] as const) {
        // A device sign-in gives the browser a provider session as well as the Passless one.
        const login = await startLogin(stage.server.url, newConfigHome());
        await page.goto(login.verificationUriComplete);
        await page.getByRole('button', { name: 'Continue' }).click();
        await expectPath(page, '/signin');
        await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
        await page.getByRole('heading', { name: "You're signed in on your device" }).waitFor();
        assert.equal((await login.run.exited).code, 0);
        assert.equal((await sessionOf(page))?.userPrincipalName, 'lee@contoso.test');

        const signOutCalls: number[] = [];
        const onResponse = (r: { url(): string; status(): number }) => {
          if (new URL(r.url()).pathname === '/api/signout') signOutCalls.push(r.status());
        };
        page.on('response', onResponse);
        if (script === 'blocked') await page.route('**/assets/logout.js', (route) => route.abort());
        try {
          await page.goto('/session/end');
          await page.getByRole('heading', { name: 'Sign out of Passless?' }).waitFor();
          if (script === 'allowed') await shot(page, '64-logout');
          await page.getByRole('button', { name: 'Sign out' }).click();
          await page.getByRole('heading', { name: 'You have signed out.' }).waitFor();
          if (script === 'allowed') await shot(page, '65-logged-out');
        } finally {
          page.off('response', onResponse);
          await page.unroute('**/assets/logout.js');
        }
        // With the script, the page ends the Passless session itself; without it, the server does.
        assert.deepEqual(signOutCalls, script === 'allowed' ? [204] : []);
        assert.equal(await sessionOf(page), null, `the Passless session ended too (script ${script})`);
      }
    },
    90_000,
  );
});
