// `passless login / whoami / logout` without a browser: which deployment they talk to, where credentials live,
// and what a person reads when something is wrong. The device sign-in itself runs in e2e/device.test.ts.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import {
  CliError,
  type CliIo,
  configDir,
  credentialsPath,
  deploymentUrl,
  login,
  logout,
  printable,
  whoami,
} from '../../src/cli/login.ts';

const homes: string[] = [];
after(() => {
  for (const dir of homes) rmSync(dir, { recursive: true, force: true });
});

function io(env: NodeJS.ProcessEnv = {}): CliIo & { stdout: () => string; stderr: () => string } {
  let out = '';
  let err = '';
  return {
    env,
    out: (text) => {
      out += text;
    },
    err: (text) => {
      err += text;
    },
    stdout: () => out,
    stderr: () => err,
  };
}

function configHome(): string {
  const dir = mkdtempSync(join(tmpdir(), 'passless-cli-login-'));
  homes.push(dir);
  return dir;
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
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

describe('which deployment the CLI talks to', () => {
  test('--url, else PASSLESS_PUBLIC_URL, else the local default; always reduced to the origin', () => {
    assert.equal(deploymentUrl(undefined, {}), 'http://localhost:8080');
    assert.equal(
      deploymentUrl(undefined, { PASSLESS_PUBLIC_URL: 'https://id.contoso.test' }),
      'https://id.contoso.test',
    );
    assert.equal(
      deploymentUrl('https://other.contoso.test:8443/', { PASSLESS_PUBLIC_URL: 'https://id.contoso.test' }),
      'https://other.contoso.test:8443',
    );
    assert.equal(deploymentUrl('HTTPS://ID.Contoso.test', {}), 'https://id.contoso.test');
  });

  test('a URL with a path, another scheme or no URL at all is refused with what to type instead', () => {
    assert.throws(() => deploymentUrl('https://id.contoso.test/v1.0', {}), {
      name: 'Error',
      message: /use the deployment's origin, without a path \(e\.g\. https:\/\/id\.contoso\.test\)/,
    });
    assert.throws(() => deploymentUrl('ftp://id.contoso.test', {}), /use an http or https URL/);
    assert.throws(() => deploymentUrl('id.contoso.test', {}), /is not a URL/);
    assert.throws(() => deploymentUrl('id.contoso.test', {}), CliError);
  });
});

describe('where credentials live', () => {
  test('$XDG_CONFIG_HOME/passless/credentials.json, else ~/.config/passless', () => {
    assert.equal(credentialsPath({ XDG_CONFIG_HOME: '/srv/me/config' }), '/srv/me/config/passless/credentials.json');
    assert.equal(configDir({}), join(homedir(), '.config', 'passless'));
    // The XDG spec ignores a relative XDG_CONFIG_HOME.
    assert.equal(configDir({ XDG_CONFIG_HOME: 'relative/dir' }), join(homedir(), '.config', 'passless'));
  });
});

describe('what a person reads when something is wrong', () => {
  test('login against a deployment that does not answer says which address failed', async () => {
    const url = `http://localhost:${await closedPort()}`;
    const home = configHome();
    await assert.rejects(login(['--url', url], io({ XDG_CONFIG_HOME: home })), {
      message: `could not read ${url}/.well-known/openid-configuration: connection refused`,
    });
    assert.throws(() => statSync(join(home, 'passless', 'credentials.json')), /ENOENT/, 'nothing stored');
  });

  test('text from the server reaches the terminal without control characters', () => {
    assert.equal(printable('BCDF-\u001b[2J\u001b]0;owned\u0007GHJK\r\n'), 'BCDF-[2J]0;ownedGHJK\n');
    assert.equal(printable('Kim Lee \u009b31m'), 'Kim Lee 31m');
  });

  test('whoami before login says to log in, naming the deployment', async () => {
    const home = configHome();
    await assert.rejects(whoami(['--url', 'https://id.contoso.test'], io({ XDG_CONFIG_HOME: home })), {
      message: 'not signed in to https://id.contoso.test: run `passless login --url https://id.contoso.test` first.',
    });
  });

  test('logout when not signed in changes nothing and says so', async () => {
    const home = configHome();
    const run = io({ XDG_CONFIG_HOME: home });
    await logout(['--url', 'https://id.contoso.test'], run);
    assert.equal(run.stdout(), 'Not signed in to https://id.contoso.test; nothing to do.\n');
    assert.throws(() => statSync(join(home, 'passless')), /ENOENT/);
  });

  test('a credentials file it cannot read is named, with what to do, and left alone', async () => {
    const home = configHome();
    mkdirSync(join(home, 'passless'), { mode: 0o700 });
    const path = join(home, 'passless', 'credentials.json');
    writeFileSync(path, '{"version": 7}', { mode: 0o600 });
    await assert.rejects(whoami(['--url', 'https://id.contoso.test'], io({ XDG_CONFIG_HOME: home })), {
      message: `${path} is not a credentials file this version understands: delete it and sign in again.`,
    });
  });
});
