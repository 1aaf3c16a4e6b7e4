// The `passless` command on the embedded database, as a person runs it on the server host: bootstrap-admin and
// keys rotate on a fresh data directory, the same two while a server owns the directory (through its admin
// socket), and a second server on the same directory refusing to start. These spawn real processes, so they are few and slow.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const BOOTSTRAP_KEYS = ['lifetimeInMinutes', 'signInUrl', 'startDateTime', 'temporaryAccessPass', 'userPrincipalName'];

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function childEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const base = { ...process.env };
  // Whatever the surrounding shell says, these runs use the embedded database in their own directory.
  for (const name of [
    'DATABASE_URL',
    'PASSLESS_CONFIG',
    'PASSLESS_PORT',
    'PASSLESS_PUBLIC_URL',
    'PASSLESS_KEY_ENCRYPTION_KEY',
  ]) {
    delete base[name];
  }
  return { ...base, PASSLESS_LOG_LEVEL: 'warn', ...env };
}

function passless(args: string[], env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, [join(ROOT, 'bin', 'passless.mjs'), ...args], {
    cwd: ROOT,
    env: childEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

function collect(child: ChildProcess, timeoutMs: number): Promise<Run> {
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr!.on('data', (chunk) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`timed out after ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function waitFor(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function parseBootstrap(run: Run) {
  assert.equal(run.code, 0, `exit ${run.code}\nstdout: ${run.stdout}\nstderr: ${run.stderr}`);
  const printed = JSON.parse(run.stdout.trim());
  assert.deepEqual(Object.keys(printed).sort(), BOOTSTRAP_KEYS);
  return printed as {
    userPrincipalName: string;
    temporaryAccessPass: string;
    startDateTime: string;
    lifetimeInMinutes: number;
    signInUrl: string;
  };
}

describe('the passless command on the embedded database', { timeout: 180_000 }, () => {
  let dataDir: string;
  let server: ChildProcess | undefined;
  let serverOutput: Promise<Run> | undefined;

  before(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'passless-cli-'));
  });
  after(async () => {
    if (server && server.exitCode === null) {
      server.kill('SIGTERM');
      await serverOutput?.catch(() => {});
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('bootstrap-admin --json on a fresh data directory prints the five fields and releases the directory', async () => {
    const run = await collect(
      passless(['bootstrap-admin', '--upn', 'x@y.test', '--json'], { PASSLESS_DATA_DIR: dataDir }),
      120_000,
    );
    const printed = parseBootstrap(run);
    assert.equal(printed.userPrincipalName, 'x@y.test');
    assert.match(printed.temporaryAccessPass, /^[A-Za-z0-9]{12,}$/);
    assert.equal(printed.lifetimeInMinutes, 60);
    assert.ok(Math.abs(Date.parse(printed.startDateTime) - Date.now()) < 120_000);
    assert.equal(printed.signInUrl, 'http://localhost:8080/signin');
    assert.equal(existsSync(join(dataDir, 'passless.lock')), false, 'the lock is released on exit');
  });

  test('keys rotate without a server opens the directory itself; a bad or different key-encryption key stops it', async () => {
    const rotated = await collect(passless(['keys', 'rotate', '--json'], { PASSLESS_DATA_DIR: dataDir }), 120_000);
    assert.equal(rotated.code, 0, rotated.stderr);
    // The first keys are created (as a first start would), then replaced.
    assert.equal(JSON.parse(rotated.stdout.trim()).retired.length, 2);
    const malformed = await collect(
      passless(['keys', 'rotate'], { PASSLESS_DATA_DIR: dataDir, PASSLESS_KEY_ENCRYPTION_KEY: 'short' }),
      60_000,
    );
    assert.equal(malformed.code, 1);
    assert.match(malformed.stderr, /PASSLESS_KEY_ENCRYPTION_KEY=\(value hidden\) is not valid/);
    // The keys were sealed under the generated development key: another key cannot open them.
    const other = await collect(
      passless(['keys', 'rotate'], { PASSLESS_DATA_DIR: dataDir, PASSLESS_KEY_ENCRYPTION_KEY: 'A'.repeat(43) }),
      60_000,
    );
    assert.equal(other.code, 1);
    assert.match(other.stderr, /cannot be decrypted with PASSLESS_KEY_ENCRYPTION_KEY/);
    assert.equal(existsSync(join(dataDir, 'passless.lock')), false);
  });

  test('while a server runs, bootstrap-admin goes through its admin socket, and a second server refuses the directory', async () => {
    const port = await freePort();
    server = passless(['serve'], { PASSLESS_DATA_DIR: dataDir, PASSLESS_PORT: String(port) });
    serverOutput = collect(server, 170_000);
    const socket = join(dataDir, 'admin.sock');
    await waitFor(() => existsSync(socket) || server!.exitCode !== null, 120_000, 'the server to start');
    if (server.exitCode !== null) assert.fail(`the server exited: ${JSON.stringify(await serverOutput)}`);
    // No PASSLESS_PORT here: the sign-in URL naming the server's port shows the server did the work.
    const run = await collect(
      passless(['bootstrap-admin', '--upn', 'second@y.test', '--json'], { PASSLESS_DATA_DIR: dataDir }),
      60_000,
    );
    const printed = parseBootstrap(run);
    assert.equal(printed.userPrincipalName, 'second@y.test');
    assert.equal(printed.signInUrl, `http://localhost:${port}/signin`);
    // The printed pass works against the running server.
    const origin = `http://localhost:${port}`;
    const post = (path: string, body: unknown) =>
      fetch(`${origin}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin },
        body: JSON.stringify(body),
      });
    const flow = await (await post('/api/signin/identify', { identifier: 'second@y.test' })).json();
    const signIn = await post('/api/signin/tap', {
      flowId: flow.flowId,
      temporaryAccessPass: printed.temporaryAccessPass,
    });
    assert.equal(signIn.status, 200, await signIn.text());
    // keys rotate also goes through the socket: the running server rotates and still answers.
    const rotated = await collect(passless(['keys', 'rotate', '--json'], { PASSLESS_DATA_DIR: dataDir }), 60_000);
    assert.equal(rotated.code, 0, rotated.stderr);
    const rotation = JSON.parse(rotated.stdout.trim());
    assert.deepEqual(
      rotation.added.map((k: { alg: string }) => k.alg),
      ['ES256', 'RS256'],
    );
    assert.equal(rotation.retired.length, 2, 'the keys created on first start were replaced');
    // A second server on the same directory stops at once, saying who holds it and what to do.
    const second = await collect(
      passless(['serve'], { PASSLESS_DATA_DIR: dataDir, PASSLESS_PORT: String(await freePort()) }),
      60_000,
    );
    assert.notEqual(second.code, 0);
    assert.match(second.stderr, new RegExp(`in use by process ${server.pid}`));
    assert.match(second.stderr, /PASSLESS_DATA_DIR|DATABASE_URL/);
    assert.doesNotMatch(second.stderr, /EADDRINUSE/);
    // ... and the first one is unharmed.
    assert.equal((await fetch(`${origin}/healthz`)).status, 200);
    server.kill('SIGTERM');
    const stopped = await serverOutput;
    assert.equal(stopped.code, 0, stopped.stderr);
    // No PASSLESS_KEY_ENCRYPTION_KEY in this run: the start says loudly that the generated key is unsafe.
    assert.match(stopped.stdout + stopped.stderr, /UNSAFE FOR PRODUCTION: PASSLESS_KEY_ENCRYPTION_KEY is not set/);
    assert.equal(existsSync(join(dataDir, 'passless.lock')), false, 'a stopped server releases the directory');
  });
});
