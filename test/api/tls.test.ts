// HTTPS for development and tests (`passless serve --tls self-signed`): the generated certificate is trusted through
// `ca` and refused without it, sessions use __Host- Secure cookies over https, the configuration follows --tls,
// and the certificate kept in the data directory is reused across starts until the host changes or it runs out.
import assert from 'node:assert/strict';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { TLSSocket } from 'node:tls';
import {
  certificateNames,
  ensureSelfSignedCertificate,
  generateSelfSignedCertificate,
  readCertificateFiles,
  selfSignedPaths,
} from '../../src/cli/tls.ts';
import { ConfigError, loadConfig } from '../../src/core/config/config.ts';
import { bootstrapAdmin } from '../../src/services/bootstrap.service.ts';
import { type HttpsPassless, startHttpsPassless } from '../kit/https-server.ts';

const DAY = 24 * 60 * 60_000;

function get(url: string, ca?: string): Promise<{ status: number; body: string; fingerprint: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, ca ? { ca } : {}, (res) => {
      // Read while the socket is still attached to the response.
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

describe('a server on https with a generated certificate', () => {
  let server: HttpsPassless;
  before(async () => {
    server = await startHttpsPassless();
  });
  after(async () => {
    await server?.close();
  });

  test('answers a client that trusts the certificate: discovery names the https origin as issuer', async () => {
    assert.match(server.origin, /^https:\/\/localhost:\d+$/);
    const res = await get(`${server.origin}/.well-known/openid-configuration`, server.caPem);
    assert.equal(res.status, 200, res.body);
    const discovery = JSON.parse(res.body);
    assert.equal(discovery.issuer, server.origin);
    assert.equal(discovery.token_endpoint, `${server.origin}/token`);
    assert.equal(res.fingerprint, new X509Certificate(server.caPem).fingerprint256, 'served the generated certificate');
    // The kit's fetch trusts it too (for clients that take a fetch).
    const jwks = await server.fetch(`${server.origin}/jwks`);
    assert.equal(jwks.status, 200);
    assert.ok(((await jwks.json()) as { keys: unknown[] }).keys.length >= 1);
  });

  test('a client that does not trust the certificate is refused, and plain http gets no answer', async () => {
    await assert.rejects(get(`${server.origin}/healthz`), (error: NodeJS.ErrnoException) => {
      assert.equal(error.code, 'DEPTH_ZERO_SELF_SIGNED_CERT');
      return true;
    });
    // Node's own fetch, without the CA, fails the same way.
    await assert.rejects(fetch(`${server.origin}/healthz`), (error: Error & { cause?: { code?: string } }) => {
      assert.equal(error.cause?.code, 'DEPTH_ZERO_SELF_SIGNED_CERT');
      return true;
    });
    // Another certificate for the same names is not a substitute.
    const other = await generateSelfSignedCertificate(certificateNames('localhost'));
    await assert.rejects(get(`${server.origin}/healthz`, other.cert), /self[- ]signed/i);
    await assert.rejects(fetch(`http://localhost:${server.port}/healthz`));
  });

  test('a sign-in over https sets a __Host- Secure session cookie', async () => {
    const boot = await bootstrapAdmin(server.deps, {
      userPrincipalName: 'admin@contoso.test',
      onlyIfEmpty: false,
      source: 'test',
    });
    const post = (path: string, body: unknown) =>
      server.fetch(`${server.origin}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: server.origin },
        body: JSON.stringify(body),
      });
    const flow = (await (await post('/api/signin/identify', { identifier: 'admin@contoso.test' })).json()) as {
      flowId: string;
    };
    const signIn = await post('/api/signin/tap', {
      flowId: flow.flowId,
      temporaryAccessPass: boot!.temporaryAccessPass,
    });
    assert.equal(signIn.status, 200, await signIn.text());
    const cookies = signIn.headers.getSetCookie();
    const session = cookies.find((line) => line.startsWith('__Host-passless_session='));
    assert.ok(session, `expected a __Host- session cookie, got ${JSON.stringify(cookies)}`);
    assert.match(session, /;\s*Secure/i);
    assert.match(session, /;\s*Path=\//i);
    assert.doesNotMatch(session, /Domain=/i);
    // The cookie works on the next request.
    const me = await server.fetch(`${server.origin}/api/session`, {
      headers: { cookie: session.split(';')[0]! },
    });
    assert.equal(me.status, 200, await me.text());
  });
});

test('--tls switches the defaults to https://localhost:8443 with Secure cookies and refuses an http public URL', () => {
  const config = loadConfig({}, { https: true });
  assert.equal(config.port, 8443);
  assert.equal(config.origin, 'https://localhost:8443');
  assert.equal(config.secureCookies, true);
  assert.equal(loadConfig({ PASSLESS_PORT: '9443' }, { https: true }).origin, 'https://localhost:9443');
  assert.equal(
    loadConfig({ PASSLESS_PUBLIC_URL: 'https://id.contoso.test' }, { https: true }).origin,
    'https://id.contoso.test',
  );
  assert.throws(
    () => loadConfig({ PASSLESS_PUBLIC_URL: 'http://localhost:8080' }, { https: true }),
    (error: Error) =>
      error instanceof ConfigError &&
      /PASSLESS_PUBLIC_URL=http:\/\/localhost:8080 is http, but --tls serves https/.test(error.message) &&
      error.message.includes('https://localhost:8080'),
  );
  // Without --tls nothing changes.
  assert.equal(loadConfig({}).origin, 'http://localhost:8080');
});

describe('the certificate kept in the data directory', () => {
  let dataDir: string;
  before(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'passless-tls-'));
  });
  after(() => {
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('is an ECDSA P-256 end-entity certificate for the loopback names and the host, valid for a year', async () => {
    const now = new Date();
    const made = await ensureSelfSignedCertificate(dataDir, 'localhost', now);
    assert.equal(made.generated, true);
    const { certPath, keyPath } = selfSignedPaths(dataDir);
    assert.equal(made.certPath, certPath);
    assert.equal(readFileSync(certPath, 'utf8'), made.cert);
    assert.equal(statSync(keyPath).mode & 0o777, 0o600, 'the key is readable by its owner only');
    const cert = new X509Certificate(made.cert);
    assert.equal(cert.ca, false);
    assert.equal(cert.publicKey.asymmetricKeyType, 'ec');
    assert.equal(cert.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
    assert.equal(cert.subjectAltName, 'DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1');
    assert.deepEqual(made.names, ['localhost', '127.0.0.1', '::1']);
    assert.ok(cert.checkPrivateKey(createPrivateKey(readFileSync(keyPath, 'utf8'))), 'the stored key is its key');
    const lifetime = new Date(cert.validTo).getTime() - now.getTime();
    assert.ok(lifetime > 364 * DAY && lifetime <= 366 * DAY, `valid for ${lifetime / DAY} days`);
    assert.ok(new Date(cert.validFrom) <= now);
  });

  test('is reused on the next start, and a key left readable by others is tightened', async () => {
    const first = readFileSync(selfSignedPaths(dataDir).certPath, 'utf8');
    chmodSync(selfSignedPaths(dataDir).keyPath, 0o644);
    const again = await ensureSelfSignedCertificate(dataDir, 'localhost');
    assert.equal(again.generated, false);
    assert.equal(again.replaced, null);
    assert.equal(again.cert, first);
    assert.equal(statSync(selfSignedPaths(dataDir).keyPath).mode & 0o777, 0o600);
    // IPv6 literals come as the URL's hostname spells them.
    assert.deepEqual(certificateNames('[::1]'), ['localhost', '127.0.0.1', '::1']);
    assert.equal((await ensureSelfSignedCertificate(dataDir, '127.0.0.1')).generated, false);
  });

  test('is replaced when the host changes, when it nears its end, and when its key does not match', async () => {
    const before = readFileSync(selfSignedPaths(dataDir).certPath, 'utf8');
    const moved = await ensureSelfSignedCertificate(dataDir, 'ID.Contoso.test');
    assert.equal(moved.generated, true);
    assert.match(moved.replaced ?? '', /does not name id\.contoso\.test/);
    assert.notEqual(moved.cert, before);
    assert.deepEqual(moved.names, ['localhost', '127.0.0.1', '::1', 'id.contoso.test']);
    assert.equal(new X509Certificate(moved.cert).checkHost('id.contoso.test'), 'id.contoso.test');
    // Back to localhost: a certificate naming a host no longer served is not kept either.
    const back = await ensureSelfSignedCertificate(dataDir, 'localhost');
    assert.equal(back.generated, true);
    assert.match(back.replaced ?? '', /names id\.contoso\.test/);
    // Within a week of its end it is renewed at start, not left to fail mid-session.
    const late = await ensureSelfSignedCertificate(dataDir, 'localhost', new Date(Date.now() + 360 * DAY));
    assert.equal(late.generated, true);
    assert.match(late.replaced ?? '', /expires within a week/);
    // A key that belongs to another certificate (a half-copied directory) is not served.
    const stranger = await generateSelfSignedCertificate(certificateNames('localhost'));
    writeFileSync(selfSignedPaths(dataDir).keyPath, stranger.key, { mode: 0o600 });
    const fixed = await ensureSelfSignedCertificate(dataDir, 'localhost');
    assert.equal(fixed.generated, true);
    assert.match(fixed.replaced ?? '', /key does not match/);
    assert.ok(new X509Certificate(fixed.cert).checkPrivateKey(createPrivateKey(readFileSync(fixed.keyPath!, 'utf8'))));
  });

  test('--tls cert=,key= files must belong together', async () => {
    const { certPath } = selfSignedPaths(dataDir);
    const strangerKey = join(dataDir, 'stranger-key.pem');
    writeFileSync(strangerKey, (await generateSelfSignedCertificate(['localhost'])).key);
    assert.throws(() => readCertificateFiles(certPath, strangerKey), /does not belong to the certificate/);
    assert.throws(() => readCertificateFiles(join(dataDir, 'missing.pem'), strangerKey), /cannot read/);
  });
});
