// HTTPS for development and tests (`passless serve --tls self-signed`): a self-signed certificate for the
// public URL's host, made in JavaScript (WebCrypto keys, @peculiar/x509 for the ASN.1), so no openssl binary and
// no native addon is needed. Clients that insist on https (the Microsoft Graph SDK, MSAL) trust it through
// NODE_EXTRA_CA_CERTS or a `ca` option. Kept in <data dir>/tls and reused while it is valid and names the host,
// so a person trusts it once, not at every start.
// @peculiar/x509 resolves its algorithms through tsyringe, which needs the Reflect metadata API loaded first.
import 'reflect-metadata';
import { createPrivateKey, webcrypto, X509Certificate } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import {
  BasicConstraintsExtension,
  ExtendedKeyUsage,
  ExtendedKeyUsageExtension,
  KeyUsageFlags,
  KeyUsagesExtension,
  SubjectAlternativeNameExtension,
  SubjectKeyIdentifierExtension,
  X509CertificateGenerator,
} from '@peculiar/x509';
import { ConfigError } from '../core/config/config.ts';

export interface TlsMaterial {
  /** PEM of the PKCS#8 private key. */
  key: string;
  /** PEM of the certificate; being self-signed, it is also what a client trusts (`ca`). */
  cert: string;
  certPath: string | null;
  keyPath: string | null;
  /** SHA-256 fingerprint as printed by browsers and openssl (AA:BB:…). */
  fingerprint256: string;
  notAfter: Date;
  /** The names it is valid for: DNS names and IP addresses. */
  names: string[];
  /** True when this start made the certificate, false when an earlier one was reused. */
  generated: boolean;
}

const VALIDITY_DAYS = 365;
// A certificate about to expire is replaced at start rather than failing in the middle of a session.
const RENEW_BEFORE_MS = 7 * 24 * 60 * 60_000;
const SIGNING = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

/** The names a development certificate covers: every loopback spelling plus the public URL's host. */
export function certificateNames(host: string): string[] {
  const bare = host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  return [...new Set(['localhost', '127.0.0.1', '::1', bare])];
}

/** A fresh self-signed ECDSA P-256 certificate for `names`, valid for a year from `now`. */
export async function generateSelfSignedCertificate(names: string[], now = new Date()): Promise<TlsMaterial> {
  const keys = await webcrypto.subtle.generateKey(SIGNING, true, ['sign', 'verify']);
  const crypto = webcrypto as unknown as Crypto;
  const dnsName = names.find((name) => !isIP(name)) ?? 'localhost';
  const certificate = await X509CertificateGenerator.createSelfSigned(
    {
      // A minute back: a client whose clock runs slightly behind must not see a certificate from the future.
      notBefore: new Date(now.getTime() - 60_000),
      notAfter: new Date(now.getTime() + VALIDITY_DAYS * 24 * 60 * 60_000),
      name: [{ CN: [dnsName] }, { O: ['Passless development certificate'] }],
      keys: keys as unknown as CryptoKeyPair,
      signingAlgorithm: SIGNING,
      extensions: [
        // An end-entity certificate, trusted directly: it cannot sign other certificates if it leaks.
        new BasicConstraintsExtension(false, undefined, true),
        new KeyUsagesExtension(KeyUsageFlags.digitalSignature, true),
        new ExtendedKeyUsageExtension([ExtendedKeyUsage.serverAuth]),
        new SubjectAlternativeNameExtension(
          names.map((name) => ({ type: isIP(name) ? ('ip' as const) : ('dns' as const), value: name })),
        ),
        await SubjectKeyIdentifierExtension.create(keys.publicKey as unknown as CryptoKey, false, crypto),
      ],
    },
    crypto,
  );
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  const key = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' })
    .export({ format: 'pem', type: 'pkcs8' })
    .toString();
  return describe(key, certificate.toString('pem'), { certPath: null, keyPath: null, generated: true });
}

function describe(
  key: string,
  cert: string,
  extra: Pick<TlsMaterial, 'certPath' | 'keyPath' | 'generated'>,
): TlsMaterial {
  const parsed = new X509Certificate(cert);
  return {
    key,
    cert,
    ...extra,
    fingerprint256: parsed.fingerprint256,
    notAfter: new Date(parsed.validTo),
    names: (parsed.subjectAltName ?? '')
      .split(', ')
      .map((entry) => entry.replace(/^(DNS|IP Address):/, ''))
      .filter(Boolean)
      // Node spells IPv6 addresses out in full (0:0:0:0:0:0:0:1); print them as people write them (::1).
      .map((name) => (isIP(name) === 6 ? new URL(`http://[${name}]`).hostname.slice(1, -1) : name)),
  };
}

export function selfSignedPaths(dataDir: string): { dir: string; certPath: string; keyPath: string } {
  const dir = join(dataDir, 'tls');
  return { dir, certPath: join(dir, 'self-signed-cert.pem'), keyPath: join(dir, 'self-signed-key.pem') };
}

/** Why a stored certificate cannot be reused for exactly `names` at `now`, or null when it can. */
function unusable(key: string, cert: string, names: string[], now: Date): string | null {
  let parsed: X509Certificate;
  try {
    parsed = new X509Certificate(cert);
    if (!parsed.checkPrivateKey(createPrivateKey(key))) return 'its key does not match it';
  } catch {
    return 'it could not be read';
  }
  if (new Date(parsed.validFrom) > now) return 'it is not valid yet';
  if (new Date(parsed.validTo).getTime() - RENEW_BEFORE_MS < now.getTime()) return 'it expires within a week';
  // Exactly the names asked for: a certificate still naming a host the server no longer answers for is replaced too.
  const held = describe(key, cert, { certPath: null, keyPath: null, generated: false }).names;
  const missing = names.filter((name) => !held.includes(name));
  if (missing.length > 0) return `it does not name ${missing.join(', ')}`;
  const extra = held.filter((name) => !names.includes(name));
  if (extra.length > 0) return `it names ${extra.join(', ')}, which the public URL no longer uses`;
  return null;
}

/**
 * The self-signed certificate kept in `<dataDir>/tls` for `host` (the public URL's host): the stored one while it
 * is valid for at least another week and names every host, else a new one written in its place (key mode 0600).
 */
export async function ensureSelfSignedCertificate(
  dataDir: string,
  host: string,
  now = new Date(),
): Promise<TlsMaterial & { replaced: string | null }> {
  const names = certificateNames(host);
  const { dir, certPath, keyPath } = selfSignedPaths(dataDir);
  let replaced: string | null = null;
  try {
    const key = readFileSync(keyPath, 'utf8');
    const cert = readFileSync(certPath, 'utf8');
    replaced = unusable(key, cert, names, now);
    if (replaced === null) {
      // A key copied in with a loose mode is tightened rather than left readable by others.
      if ((statSync(keyPath).mode & 0o077) !== 0) chmodSync(keyPath, 0o600);
      return { ...describe(key, cert, { certPath, keyPath, generated: false }), replaced };
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const made = await generateSelfSignedCertificate(names, now);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  // Each file is replaced whole (write aside, rename), so a crash never leaves half a key.
  const partial = `.${process.pid}.partial`;
  writeFileSync(keyPath + partial, made.key, { mode: 0o600 });
  writeFileSync(certPath + partial, made.cert, { mode: 0o644 });
  renameSync(keyPath + partial, keyPath);
  renameSync(certPath + partial, certPath);
  return { ...made, certPath, keyPath, replaced };
}

/** `--tls cert=<file>,key=<file>`: a certificate and key of the operator's own, checked to belong together. */
export function readCertificateFiles(certPath: string, keyPath: string): TlsMaterial {
  const read = (path: string) => {
    try {
      return readFileSync(path, 'utf8');
    } catch (error) {
      throw new ConfigError(`--tls: cannot read ${path}: ${(error as Error).message}`);
    }
  };
  const cert = read(certPath);
  const key = read(keyPath);
  let matches: boolean;
  try {
    matches = new X509Certificate(cert).checkPrivateKey(createPrivateKey(key));
  } catch (error) {
    throw new ConfigError(
      `--tls: ${certPath} and ${keyPath} must hold a PEM certificate and its private key (${(error as Error).message})`,
    );
  }
  if (!matches) throw new ConfigError(`--tls: the key in ${keyPath} does not belong to the certificate in ${certPath}`);
  return describe(key, cert, { certPath, keyPath, generated: false });
}
