// Real-browser test kit: the real server as a child process (`node bin/passless.mjs serve`) and Debian's
// Chromium through playwright-core, one persistent context per person, each with its own cookies and its
// own DevTools virtual authenticator. Tests find controls by their visible names (src/web/README.md).
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { constants, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type BrowserContext, type CDPSession, chromium, type Locator, type Page } from 'playwright-core';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const CHROMIUM = process.env.PASSLESS_CHROMIUM || '/usr/bin/chromium';
export const ADMIN_UPN = 'admin@contoso.test';

/** How long one wait for the page may take before the step fails (well inside each test's timeout). */
const STEP_TIMEOUT_MS = 15_000;
const SERVER_START_TIMEOUT_MS = 45_000;

// ---------------------------------------------------------------------------
// The server

export interface Server {
  /** http://localhost:<port> — `localhost`, because that is the WebAuthn RP ID. */
  url: string;
  /** The server's PASSLESS_DATA_DIR (its embedded database and the lock file), removed by `stop()`. */
  dataDir: string;
  /** The one-time pass printed for the bootstrap admin on first start. */
  bootstrapPass: string;
  /** Everything the server printed so far, over all its starts (for failure messages). */
  output(): string;
  /**
   * Stops the server process gracefully (SIGTERM; fails unless it exits with 0), runs `whileStopped` on the kept
   * data directory, then starts `passless serve` again on the same port and data directory (so the browsers'
   * origin, cookies and passkeys still fit) and waits for /healthz. Sessions live in the database, so signed-in
   * tabs stay signed in.
   */
  restart(whileStopped?: (dataDir: string) => Promise<void>): Promise<void>;
  stop(): Promise<void>;
}

// Servers must not outlive the test process, whether it ends normally, fails or is interrupted.
const children = new Set<ChildProcess>();
const killChildren = () => {
  for (const child of children) child.kill('SIGKILL');
};
process.once('exit', killChildren);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(signal, () => {
    killChildren();
    // Exit as the signal would have, unless another handler (Playwright closing its browsers) takes care of it.
    if (process.listenerCount(signal) === 0) process.exit(128 + (constants.signals[signal] ?? 0));
  });
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, 'localhost', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

/** One `passless serve` process. */
interface ServeProcess {
  child: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function spawnServe(port: number, url: string, dataDir: string, print: (chunk: string) => void): ServeProcess {
  const child = spawn(process.execPath, [join(ROOT, 'bin/passless.mjs'), 'serve'], {
    cwd: ROOT,
    env: {
      ...process.env,
      PASSLESS_PORT: String(port),
      PASSLESS_DATA_DIR: dataDir,
      PASSLESS_LOG_LEVEL: 'warn',
      PASSLESS_BOOTSTRAP_ADMIN: ADMIN_UPN,
      PASSLESS_PUBLIC_URL: url,
      DATABASE_URL: '', // always the embedded database, in its own directory
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  child.stdout!.setEncoding('utf8').on('data', print);
  child.stderr!.setEncoding('utf8').on('data', print);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, exited };
}

/** SIGTERM, and SIGKILL if it has not exited after 5 s; returns how it ended and whether it needed the SIGKILL. */
async function terminate(
  serve: ServeProcess,
): Promise<{ code: number | null; signal: NodeJS.Signals | null; killed: boolean }> {
  let killed = false;
  if (serve.child.exitCode === null && serve.child.signalCode === null) {
    serve.child.kill('SIGTERM');
    const timer = setTimeout(() => {
      killed = true;
      serve.child.kill('SIGKILL');
    }, 5_000);
    await serve.exited;
    clearTimeout(timer);
  }
  children.delete(serve.child);
  const { code, signal } = await serve.exited;
  return { code, signal, killed };
}

/** Waits until the process answers GET /healthz 200 (and, when asked, has printed the bootstrap pass). */
async function waitUntilReady(
  serve: ServeProcess,
  url: string,
  output: () => string,
  needsBootstrapPass: boolean,
): Promise<string | undefined> {
  const deadline = Date.now() + SERVER_START_TIMEOUT_MS;
  let pass: string | undefined;
  for (;;) {
    const { child } = serve;
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(
        `passless serve exited (${child.exitCode ?? child.signalCode}) before it was ready:\n${output()}`,
      );
    }
    pass ??= /Temporary Access Pass:\s+(\S+)\s+\(one-time/.exec(output())?.[1];
    if ((pass || !needsBootstrapPass) && (await healthy(url))) return pass;
    if (Date.now() > deadline) {
      throw new Error(
        `passless serve was not ready within ${SERVER_START_TIMEOUT_MS / 1000} s (${
          pass || !needsBootstrapPass ? 'GET /healthz never answered 200' : 'no bootstrap Temporary Access Pass printed'
        }):\n${output()}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Starts `passless serve` on a free port with a fresh embedded database and waits for /healthz. */
export async function startServer(): Promise<Server> {
  const port = await freePort();
  const url = `http://localhost:${port}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'passless-e2e-data-'));
  let out = '';
  const print = (chunk: string) => {
    out += chunk;
  };
  const output = () => out;
  let current: ServeProcess | undefined = spawnServe(port, url, dataDir, print);
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    if (current) await terminate(current);
    current = undefined;
    rmSync(dataDir, { recursive: true, force: true });
  };
  const restart = async (whileStopped?: (dataDir: string) => Promise<void>) => {
    if (stopped || !current) throw new Error('restart() of a server that is stopped');
    const ended = await terminate(current);
    current = undefined;
    if (ended.killed || ended.code !== 0) {
      throw new Error(
        `passless serve did not stop gracefully on SIGTERM (${
          ended.killed ? 'killed after 5 s' : `exit ${ended.code ?? ended.signal}`
        }):\n${out}`,
      );
    }
    out += '\n--- restart ---\n';
    await whileStopped?.(dataDir);
    current = spawnServe(port, url, dataDir, print);
    await waitUntilReady(current, url, output, false);
  };

  try {
    const bootstrapPass = (await waitUntilReady(current, url, output, true))!;
    return { url, dataDir, bootstrapPass, output, restart, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

async function healthy(url: string): Promise<boolean> {
  try {
    const answer = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2_000) });
    return answer.status === 200;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------
// People: one browser (persistent context) each, with a virtual authenticator

export interface VirtualCredential {
  credentialId: string;
  isResidentCredential: boolean;
  rpId?: string;
  userHandle?: string;
  signCount: number;
}

export interface Person {
  name: string;
  context: BrowserContext;
  /** The person's one tab: the virtual authenticator belongs to it, so stay on this page. */
  page: Page;
  cdp: CDPSession;
  authenticatorId: string;
  getCredentials(): Promise<VirtualCredential[]>;
  /** Turns passkey autofill on or off for the next page loads (the tab must be on the server's origin). */
  setAutofill(enabled: boolean): Promise<void>;
  close(): Promise<void>;
}

const AUTOFILL_KEY = 'passless-e2e-autofill';

export interface PersonOptions {
  /**
   * false: the browser reports no passkey autofill (`isConditionalMediationAvailable()` → false), as a browser
   * without it would. With Chromium's virtual authenticator autofill completes by itself on /signin as soon as
   * the tab holds a passkey for the site, so the explicit "Sign in with a passkey" buttons are tested this way.
   * Default true. `setAutofill` changes it later.
   */
  autofill?: boolean;
}

/** A fresh Chromium profile for one person. Fails at once, with what to do, when Chromium is missing. */
export async function openPerson(server: Server, name: string, options: PersonOptions = {}): Promise<Person> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium not found at ${CHROMIUM}: install it (sudo apt-get install chromium) or set PASSLESS_CHROMIUM to its path.`,
    );
  }
  const profile = mkdtempSync(join(tmpdir(), `passless-e2e-${name}-`));
  let context: BrowserContext | undefined;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      baseURL: server.url,
      locale: 'en-US',
      timezoneId: 'UTC',
      viewport: { width: 1280, height: 900 },
      timeout: 30_000,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    context.setDefaultTimeout(STEP_TIMEOUT_MS);
    context.setDefaultNavigationTimeout(STEP_TIMEOUT_MS);
    // Runs before the page's scripts on every load: the tab's autofill switch (see PersonOptions.autofill).
    // A string, not a function: tsx's transpiled functions may reference helpers the page doesn't have.
    await context.addInitScript(`(() => {
      let off = ${options.autofill === false};
      try {
        const saved = localStorage.getItem(${JSON.stringify(AUTOFILL_KEY)});
        if (saved) off = saved === 'off';
      } catch {}
      if (off && globalThis.PublicKeyCredential)
        Object.defineProperty(PublicKeyCredential, 'isConditionalMediationAvailable', {
          value: () => Promise.resolve(false),
          configurable: true,
        });
    })();`);
    const page = context.pages()[0] ?? (await context.newPage());
    const cdp = await context.newCDPSession(page);
    await cdp.send('WebAuthn.enable', { enableUI: false });
    const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: {
        protocol: 'ctap2',
        transport: 'internal',
        hasResidentKey: true,
        hasUserVerification: true,
        isUserVerified: true,
        automaticPresenceSimulation: true,
      },
    });
    const opened = context;
    return {
      name,
      context: opened,
      page,
      cdp,
      authenticatorId,
      async setAutofill(enabled: boolean) {
        await page.evaluate(
          ([key, value]) => localStorage.setItem(key!, value!),
          [AUTOFILL_KEY, enabled ? 'on' : 'off'],
        );
      },
      async getCredentials() {
        const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
        return credentials as VirtualCredential[];
      },
      async close() {
        await opened.close().catch(() => {});
        rmSync(profile, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await context?.close().catch(() => {});
    rmSync(profile, { recursive: true, force: true });
    throw error;
  }
}

// ---------------------------------------------------------------------------
// Waiting and checking

/** Waits until the locator's text matches, then returns it; fails with the text it last saw. */
export async function expectText(locator: Locator, pattern: RegExp, timeout = STEP_TIMEOUT_MS): Promise<string> {
  const deadline = Date.now() + timeout;
  let last = '';
  for (;;) {
    try {
      if (await locator.first().isVisible()) {
        last = ((await locator.first().textContent({ timeout: 1_000 })) ?? '').replace(/\s+/g, ' ').trim();
        if (pattern.test(last)) return last;
      } else {
        last = '(not visible)';
      }
    } catch (error) {
      last = `(${(error as Error).message.split('\n')[0]})`;
    }
    if (Date.now() > deadline) {
      throw new Error(`expected ${locator} to show text matching ${pattern}, last saw: ${JSON.stringify(last)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Waits for the page's path (and optionally query) to match; on failure says where it is and what it shows. */
export async function expectPath(page: Page, path: string | RegExp, timeout = STEP_TIMEOUT_MS): Promise<void> {
  const matches = (url: URL) =>
    typeof path === 'string' ? url.pathname === path : path.test(url.pathname + url.search);
  try {
    await page.waitForURL(matches, { timeout, waitUntil: 'commit' });
  } catch {
    throw new Error(`expected the page to be at ${path}, it is at ${page.url()}${await shownAlerts(page)}`);
  }
}

/** The texts of the page's visible alert regions, for failure messages. */
async function shownAlerts(page: Page): Promise<string> {
  try {
    const texts = await page.getByRole('alert').allTextContents();
    const shown = texts.map((t) => t.replace(/\s+/g, ' ').trim()).filter(Boolean);
    return shown.length ? ` showing the alert ${JSON.stringify(shown.join(' | '))}` : '';
  } catch {
    return '';
  }
}

/**
 * Runs a journey; when it fails, adds where each person's tab was (URL and a screenshot in the temp dir) and the
 * end of the server's output to the error, so a CI failure can be understood without re-running it.
 */
export async function explainFailure<T>(
  server: Server | undefined,
  people: () => Person[],
  work: () => Promise<T>,
): Promise<T> {
  try {
    return await work();
  } catch (error) {
    const notes: string[] = [];
    for (const person of people()) {
      const path = join(tmpdir(), `passless-e2e-failure-${person.name}-${Date.now()}.png`);
      try {
        await person.page.screenshot({ path, fullPage: true, timeout: 5_000 });
        notes.push(`${person.name}'s tab: ${person.page.url()} (screenshot: ${path})`);
      } catch {
        notes.push(`${person.name}'s tab: ${person.page.url()}`);
      }
    }
    const output = server?.output().trim();
    if (output) notes.push(`server output (end):\n${output.slice(-2_000)}`);
    if (error instanceof Error) error.message += `\n${notes.join('\n')}`;
    throw error;
  }
}

/** When PASSLESS_E2E_SCREENSHOTS is a directory, saves a full-page screenshot there (for a human to look at). */
export async function shot(page: Page, name: string): Promise<void> {
  const dir = process.env.PASSLESS_E2E_SCREENSHOTS;
  if (!dir) return;
  mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: join(dir, `${name}.png`), fullPage: true });
}

// ---------------------------------------------------------------------------
// Journeys, as a person does them (clicks and typing)

/** /signin → "Email or username" → Next: the second step. */
export async function identify(page: Page, identifier: string): Promise<void> {
  await page.goto('/signin');
  await page.getByRole('textbox', { name: 'Email or username' }).fill(identifier);
  await page.getByRole('button', { name: 'Next' }).click();
  await page.getByRole('textbox', { name: 'Temporary Access Pass' }).waitFor();
}

/** Types the pass on the second step and presses Enter (forms submit with Enter). */
export async function submitPass(page: Page, pass: string): Promise<void> {
  const box = page.getByRole('textbox', { name: 'Temporary Access Pass' });
  await box.fill(pass);
  await box.press('Enter');
}

/** Identify, type the pass, Enter: lands on /security-info with a bootstrap session. */
export async function signInWithPass(page: Page, identifier: string, pass: string): Promise<void> {
  await identify(page, identifier);
  await submitPass(page, pass);
  await expectPath(page, '/security-info');
  await page.getByRole('button', { name: 'Add passkey' }).waitFor();
}

/** On /security-info: "Add passkey" → "Passkey name" → Continue → the list shows it. */
export async function addPasskey(page: Page, name: string): Promise<void> {
  await page.getByRole('button', { name: 'Add passkey' }).click();
  const nameBox = page.getByRole('textbox', { name: 'Passkey name' });
  await nameBox.fill(name);
  await page.getByRole('button', { name: 'Continue', exact: true }).click();
  await page.getByRole('button', { name: `Rename ${name}` }).waitFor();
}

/**
 * "Sign out" on /security-info or /admin: the session ends and the page goes to /signin. (In a tab with
 * autofill and a passkey, that /signin then signs straight back in: the virtual authenticator picks the passkey.)
 */
export async function signOut(page: Page): Promise<void> {
  const signedOut = page.waitForResponse((r) => new URL(r.url()).pathname === '/api/signout');
  await page.getByRole('button', { name: 'Sign out' }).click();
  const answer = await signedOut;
  if (answer.status() !== 204) throw new Error(`POST /api/signout answered ${answer.status()}`);
  await expectPath(page, '/signin');
}

/** Waits until the page header (/security-info, /admin) shows the signed-in account. */
export async function expectSignedInAs(page: Page, userPrincipalName: string): Promise<void> {
  const escaped = userPrincipalName.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  await expectText(page.locator('#topbar-user'), new RegExp(escaped, 'i'));
}

/**
 * Set-up: the bootstrap admin's first sign-in with the printed pass, a passkey, then a passkey sign-in on a plain
 * /signin (autofill picks the passkey) and /admin. (The onboarding story follows "Continue with your passkey"
 * instead.) The admin's tab must have autofill (the default).
 */
export async function onboardAdmin(server: Server, admin: Person): Promise<void> {
  await signInWithPass(admin.page, ADMIN_UPN, server.bootstrapPass);
  await addPasskey(admin.page, 'Admin laptop');
  await admin.page.goto('/signin');
  await expectPath(admin.page, '/security-info');
  await admin.page.getByRole('button', { name: 'Rename Admin laptop' }).waitFor();
  await admin.page.goto('/admin');
  await admin.page.getByRole('button', { name: 'New user' }).waitFor();
}

// ---------------------------------------------------------------------------
// Set-up through the admin's API (the same endpoints the pages use), from the admin's signed-in tab

export interface ApiAnswer<T = unknown> {
  status: number;
  json: T;
}

/** A request from the page's session, with the CSRF token from /api/session. */
export async function api<T = unknown>(
  page: Page,
  method: string,
  path: string,
  body?: unknown,
): Promise<ApiAnswer<T>> {
  const answer = await page.evaluate(
    async ({ method, path, body }) => {
      const session = await fetch('/api/session', { credentials: 'same-origin' });
      const csrfToken = session.ok ? (await session.json()).csrfToken : '';
      const answer = await fetch(path, {
        method,
        credentials: 'same-origin',
        headers: {
          'content-type': 'application/json',
          'x-csrf-token': csrfToken,
          ...(/\$search=/.test(path) ? { consistencylevel: 'eventual' } : {}),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await answer.text();
      let json: unknown = null;
      try {
        json = text ? JSON.parse(text) : null;
      } catch {
        json = text;
      }
      return { status: answer.status, json };
    },
    { method, path, body },
  );
  return answer as ApiAnswer<T>;
}

function ok<T>(answer: ApiAnswer<T>, status: number, what: string): T {
  if (answer.status !== status) {
    throw new Error(`${what}: expected ${status}, got ${answer.status} ${JSON.stringify(answer.json)}`);
  }
  return answer.json;
}

export interface NewUser {
  id: string;
  userPrincipalName: string;
  displayName: string;
}

/** Creates a user through the Graph API from the admin's tab. */
export async function createUser(admin: Page, displayName: string, userPrincipalName: string): Promise<NewUser> {
  const mailNickname = userPrincipalName.split('@')[0]!;
  return ok(
    await api<NewUser>(admin, 'POST', '/v1.0/users', {
      accountEnabled: true,
      displayName,
      mailNickname,
      userPrincipalName,
    }),
    201,
    `create user ${userPrincipalName}`,
  );
}

/** Issues a Temporary Access Pass through the Graph API; returns the code. */
export async function issuePass(
  admin: Page,
  userId: string,
  body: { lifetimeInMinutes?: number; isUsableOnce?: boolean; startDateTime?: string } = {},
): Promise<{ temporaryAccessPass: string; startDateTime: string }> {
  return ok(
    await api<{ temporaryAccessPass: string; startDateTime: string }>(
      admin,
      'POST',
      `/v1.0/users/${userId}/authentication/temporaryAccessPassMethods`,
      {
        lifetimeInMinutes: 60,
        isUsableOnce: true,
        ...body,
      },
    ),
    201,
    'create Temporary Access Pass',
  );
}

/** Gives a user a directory role (by its display name) through the Graph API. */
export async function assignRole(admin: Page, userId: string, roleName: string): Promise<void> {
  const roles = ok(await api(admin, 'GET', '/v1.0/directoryRoles'), 200, 'list directory roles') as {
    value: { id: string; displayName: string }[];
  };
  const role = roles.value.find((r) => r.displayName === roleName);
  if (!role) throw new Error(`no directory role named ${roleName}: ${roles.value.map((r) => r.displayName)}`);
  const answer = await api(admin, 'POST', `/v1.0/directoryRoles/${role.id}/members/$ref`, {
    '@odata.id': `${new URL(admin.url()).origin}/v1.0/users/${userId}`,
  });
  if (answer.status !== 204 && answer.status !== 200 && answer.status !== 201) {
    throw new Error(`assign ${roleName}: ${answer.status} ${JSON.stringify(answer.json)}`);
  }
}

/** Set-up: an employee who has completed onboarding (account, pass, passkey) and signed out. */
export async function onboardEmployee(
  admin: Page,
  employee: Person,
  displayName: string,
  userPrincipalName: string,
): Promise<NewUser> {
  const user = await createUser(admin, displayName, userPrincipalName);
  const { temporaryAccessPass } = await issuePass(admin, user.id);
  await signInWithPass(employee.page, userPrincipalName, temporaryAccessPass);
  await addPasskey(employee.page, `${displayName}'s laptop`);
  await signOut(employee.page);
  return user;
}

/** The tab's session as the server sees it (GET /api/session): its kind and account, or null when signed out. */
export async function sessionOf(page: Page): Promise<{ kind: string; userPrincipalName: string } | null> {
  const answer = await api<{ session?: { kind: string }; user?: { userPrincipalName: string } }>(
    page,
    'GET',
    '/api/session',
  );
  if (answer.status === 401) return null;
  const json = ok(answer, 200, 'GET /api/session');
  return { kind: json.session?.kind ?? '', userPrincipalName: json.user?.userPrincipalName ?? '' };
}

// ---------------------------------------------------------------------------
// A suite: one fresh server and the bootstrap admin's browser, shared by its journeys

export interface Stage {
  server: Server;
  /** The bootstrap admin's tab (with autofill); signed in with a passkey on /admin unless `onboardAdmin: false`. */
  admin: Person;
  /** Another person's own browser, closed with the suite. */
  person(name: string, options?: PersonOptions): Promise<Person>;
}

export type Journey = (name: string, work: (stage: Stage) => Promise<void>, timeoutMs?: number) => void;

/**
 * describe() with a fresh server (started in `before`, stopped in `after`, also when something failed) and
 * the admin's browser; `journey` defines a test with a timeout whose failure says where each tab was.
 */
export function browserSuite(
  title: string,
  options: { onboardAdmin?: boolean },
  define: (journey: Journey) => void,
): void {
  describe(title, () => {
    let server: Server | undefined;
    let stage: Stage | undefined;
    const people: Person[] = [];
    before(async () => {
      server = await startServer();
      const started = server;
      const admin = await openPerson(started, 'admin');
      people.push(admin);
      if (options.onboardAdmin !== false) {
        await explainFailure(
          server,
          () => people,
          () => onboardAdmin(started, admin),
        );
      }
      stage = {
        server: started,
        admin,
        async person(name, personOptions) {
          const person = await openPerson(started, name, personOptions);
          people.push(person);
          return person;
        },
      };
    });
    after(async () => {
      for (const person of people.reverse()) await person.close();
      await server?.stop();
    });
    define((name, work, timeoutMs = 60_000) =>
      test(name, { timeout: timeoutMs }, () =>
        explainFailure(
          server,
          () => people,
          () => work(stage!),
        ),
      ));
  });
}
