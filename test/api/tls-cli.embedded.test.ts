// `passless serve --tls self-signed` as a person runs it on a laptop: https on the chosen port with a certificate
// kept in the data directory, the printed NODE_EXTRA_CA_CERTS advice working for a Node client, the same
// certificate on the next start, and clear refusals of an http public URL or a malformed --tls. Real processes
// on the embedded database, so few and slow.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import type { TLSSocket } from 'node:tls';
import { fileURLToPath } from 'node:url';
import { certificateNames, generateSelfSignedCertificate } from '../../src/cli/tls.ts';
import { freePort } from '../kit/https-server.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

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
    'NODE_EXTRA_CA_CERTS',
  ]) {
    delete base[name];
  }
  return { ...base, PASSLESS_LOG_LEVEL: 'warn', ...env };
}

function spawnNode(args: string[], env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, args, { cwd: ROOT, env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
}

function passless(args: string[], env: Record<string, string>): ChildProcess {
  return spawnNode([join(ROOT, 'bin', 'passless.mjs'), ...args], env);
}

interface Running {
  child: ChildProcess;
  output: () => Run;
  exited: Promise<Run>;
}

function watch(child: ChildProcess, timeoutMs: number): Running {
  const run: Run = { code: null, stdout: '', stderr: '' };
  child.stdout!.on('data', (chunk) => {
    run.stdout += chunk;
  });
  child.stderr!.on('data', (chunk) => {
    run.stderr += chunk;
  });
  const exited = new Promise<Run>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`timed out after ${timeoutMs} ms\nstdout: ${run.stdout}\nstderr: ${run.stderr}`));
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      run.code = code;
      resolve(run);
    });
  });
  return { child, output: () => run, exited };
}

async function waitFor(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function get(url: string, ca: string): Promise<{ status: number; body: string; fingerprint: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca }, (res) => {
      const fingerprint = (res.socket as TLSSocket).getPeerX509Certificate()?.fingerprint256 ?? '';
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, fingerprint }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Starts `serve --tls <tls>` and waits for its HTTPS notice (printed once it listens). */
async function startServer(dataDir: string, port: number, tls = 'self-signed'): Promise<Running> {
  const running = watch(
    passless(['serve', '--tls', tls], { PASSLESS_DATA_DIR: dataDir, PASSLESS_PORT: String(port) }),
    170_000,
  );
  await waitFor(
    () => /SHA-256:/.test(running.output().stdout) || running.child.exitCode !== null,
    120_000,
    'the server to start',
  );
  if (running.child.exitCode !== null) assert.fail(`the server exited: ${JSON.stringify(running.output())}`);
  return running;
}

async function stop(running: Running): Promise<Run> {
  running.child.kill('SIGTERM');
  const stopped = await running.exited;
  assert.equal(stopped.code, 0, stopped.stderr);
  return stopped;
}

describe('passless serve --tls self-signed', { timeout: 300_000 }, () => {
  let dataDir: string;
  const started: Running[] = [];
  before(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'passless-tls-cli-'));
  });
  // A test that failed half-way leaves its server running and the data directory locked: stop it before the next.
  afterEach(async () => {
    for (const running of started) {
      if (running.child.exitCode === null) {
        running.child.kill('SIGTERM');
        await running.exited.catch(() => {});
      }
    }
  });
  after(async () => {
    for (const running of started) {
      if (running.child.exitCode === null) {
        running.child.kill('SIGTERM');
        await running.exited.catch(() => {});
      }
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('refuses an http public URL and a malformed --tls before touching the data directory', async () => {
    const port = String(await freePort());
    const http = await watch(
      passless(['serve', '--tls', 'self-signed'], {
        PASSLESS_DATA_DIR: dataDir,
        PASSLESS_PUBLIC_URL: `http://localhost:${port}`,
      }),
      60_000,
    ).exited;
    assert.equal(http.code, 1);
    assert.match(
      http.stderr,
      new RegExp(`PASSLESS_PUBLIC_URL=http://localhost:${port} is http, but --tls serves https`),
    );
    const malformed = await watch(passless(['serve', '--tls', 'yes-please'], { PASSLESS_DATA_DIR: dataDir }), 60_000)
      .exited;
    assert.equal(malformed.code, 1);
    assert.match(malformed.stderr, /expected --tls self-signed or --tls cert=<file>,key=<file>/);
    const unknown = await watch(passless(['serve', '--https'], { PASSLESS_DATA_DIR: dataDir }), 60_000).exited;
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /Unknown option '--https'/);
    assert.match(unknown.stderr, /serve \[--tls self-signed\]/, 'the usage is shown');
    assert.equal(existsSync(join(dataDir, 'tls')), false);
    assert.equal(existsSync(join(dataDir, 'passless.lock')), false);
  });

  test('serves https with a certificate in the data directory that the printed advice makes Node trust', async () => {
    const port = await freePort();
    const origin = `https://localhost:${port}`;
    const server = await startServer(dataDir, port);
    started.push(server);
    // The first-start pass is printed after the HTTPS notice, in a write of its own: it may arrive a moment later.
    await waitFor(() => /Open: /.test(server.output().stdout), 30_000, 'the first-start pass');
    const { stdout } = server.output();
    const certPath = join(dataDir, 'tls', 'self-signed-cert.pem');
    assert.ok(stdout.includes(`Certificate:   ${certPath} (new)`), stdout);
    assert.ok(stdout.includes(`NODE_EXTRA_CA_CERTS=${certPath}`), stdout);
    assert.match(stdout, new RegExp(`Open: +${origin}/signin`), 'the first-start pass points at https');
    assert.equal(statSync(join(dataDir, 'tls', 'self-signed-key.pem')).mode & 0o777, 0o600);
    const ca = readFileSync(certPath, 'utf8');
    const discovery = await get(`${origin}/.well-known/openid-configuration`, ca);
    assert.equal(discovery.status, 200, discovery.body);
    assert.equal(JSON.parse(discovery.body).issuer, origin);
    // What the notice tells a person to do, done: a separate Node process with NODE_EXTRA_CA_CERTS gets through,
    // the same process without it is refused.
    const probe = `fetch(${JSON.stringify(`${origin}/healthz`)}).then((r) => console.log('status', r.status), (e) => console.log('refused', e.cause?.code))`;
    const trusted = await watch(spawnNode(['-e', probe], { NODE_EXTRA_CA_CERTS: certPath }), 60_000).exited;
    assert.match(trusted.stdout, /status 200/, trusted.stderr);
    const untrusted = await watch(spawnNode(['-e', probe], {}), 60_000).exited;
    assert.match(untrusted.stdout, /refused DEPTH_ZERO_SELF_SIGNED_CERT/, untrusted.stderr);
    await stop(server);

    // The next start serves the same certificate: trusted once, trusted for good.
    const again = await startServer(dataDir, port);
    started.push(again);
    assert.ok(again.output().stdout.includes(`Certificate:   ${certPath} (reused)`), again.output().stdout);
    const reused = await get(`${origin}/healthz`, ca);
    assert.equal(reused.status, 200);
    assert.equal(reused.fingerprint, discovery.fingerprint);
    await stop(again);
  });

  test('--tls cert=<file>,key=<file> serves the given certificate', async () => {
    const own = await generateSelfSignedCertificate(certificateNames('localhost'));
    const certPath = join(dataDir, 'own-cert.pem');
    const keyPath = join(dataDir, 'own-key.pem');
    writeFileSync(certPath, own.cert);
    writeFileSync(keyPath, own.key, { mode: 0o600 });
    const port = await freePort();
    const server = await startServer(dataDir, port, `cert=${certPath},key=${keyPath}`);
    started.push(server);
    assert.ok(server.output().stdout.includes(`Certificate:   ${certPath}\n`), server.output().stdout);
    const res = await get(`https://localhost:${port}/healthz`, own.cert);
    assert.equal(res.status, 200);
    assert.equal(res.fingerprint, new X509Certificate(own.cert).fingerprint256);
    await stop(server);
  });
});
