// Token-signing keys: created on first start, rotated on demand, published as a JWKS, private halves sealed
// at rest under the key-encryption key. Rules (order, overlap, kid) live in src/core/keys.
import { generateKeyPair, randomBytes, randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { systemActor, type TargetResource } from '../core/audit/audit.ts';
import { ConfigError } from '../core/config/config.ts';
import { KeyUnwrapError, openSecret, sealSecret } from '../core/keys/key-wrap.ts';
import {
  jwkThumbprint,
  type PublicJwk,
  publishedKeys,
  RETIRED_KEY_PUBLISHED_MS,
  SIGNING_ALGORITHMS,
  type SigningAlgorithm,
} from '../core/keys/signing-keys.ts';
import { ensureSetting } from '../storage/repositories/settings.repository.ts';
import * as keys from '../storage/repositories/signing-keys.repository.ts';
import { auditedChange } from './audited-change.ts';
import type { Deps } from './deps.ts';

const generate = promisify(generateKeyPair);
const DEVELOPMENT_KEK_SETTING = 'signingKeys.developmentKeyEncryptionKey';

export interface KeyEncryptionKey {
  key: Buffer;
  /** 'generated': the development default, stored in the database beside the keys it seals. */
  source: 'configured' | 'generated';
}

/** A private signing key as oidc-provider's `jwks` option takes it. */
export type PrivateJwk = PublicJwk & { d: string; [member: string]: string | undefined };

interface NewKey {
  kid: string;
  alg: SigningAlgorithm;
  publicJwk: PublicJwk;
  privateJwk: PrivateJwk;
}

/**
 * PASSLESS_KEY_ENCRYPTION_KEY when set. Otherwise a random key kept in the settings table: it protects nothing
 * against someone holding the database or a backup, which is why the caller must warn at start.
 */
export async function resolveKeyEncryptionKey(deps: Pick<Deps, 'db' | 'config' | 'clock'>): Promise<KeyEncryptionKey> {
  if (deps.config.keyEncryptionKey) {
    return { key: Buffer.from(deps.config.keyEncryptionKey, 'base64url'), source: 'configured' };
  }
  const stored = await ensureSetting(
    deps.db,
    DEVELOPMENT_KEK_SETTING,
    randomBytes(32).toString('base64url'),
    deps.clock(),
  );
  return { key: Buffer.from(stored, 'base64url'), source: 'generated' };
}

async function newKey(alg: SigningAlgorithm): Promise<NewKey> {
  const pair =
    alg === 'ES256'
      ? await generate('ec', { namedCurve: 'P-256' })
      : await generate('rsa', { modulusLength: 2048, publicExponent: 0x10001 });
  const pub = pair.publicKey.export({ format: 'jwk' });
  const kid = jwkThumbprint(pub as Parameters<typeof jwkThumbprint>[0]);
  const publicJwk = { ...pub, kid, alg, use: 'sig' } as PublicJwk;
  const privateJwk = { ...pair.privateKey.export({ format: 'jwk' }), kid, alg, use: 'sig' } as PrivateJwk;
  return { kid, alg, publicJwk, privateJwk };
}

function keyTarget(key: { kid: string; alg: string }): TargetResource {
  return { id: key.kid, displayName: `${key.alg} signing key`, type: 'SigningKey' };
}

async function insertNew(trx: Parameters<typeof keys.insertSigningKey>[0], kek: Buffer, key: NewKey, now: Date) {
  await keys.insertSigningKey(trx, {
    kid: key.kid,
    alg: key.alg,
    publicJwk: key.publicJwk,
    // The kid is the associated data: a sealed key copied onto another row does not open.
    sealedPrivateKey: sealSecret(kek, JSON.stringify(key.privateJwk), key.kid),
    createdAt: now,
  });
}

/**
 * Checks that every published private key opens with the key-encryption key, then makes sure one current ES256
 * and one current RS256 key exist (first start). The check means a wrong PASSLESS_KEY_ENCRYPTION_KEY stops the
 * start instead of the first token request. Safe when several instances start at once (advisory lock, re-checked inside).
 */
export async function ensureSigningKeys(deps: Deps): Promise<{ created: string[]; kek: KeyEncryptionKey }> {
  const kek = await resolveKeyEncryptionKey(deps);
  // Checked first, so a wrong key never gets new keys sealed under it beside the old ones.
  await loadPrivateJwks(deps, kek);
  let created: string[] = [];
  const present = await keys.currentAlgorithms(deps.db);
  const toCreate = SIGNING_ALGORITHMS.filter((alg) => !present.has(alg));
  if (toCreate.length > 0) {
    // Generated before the transaction: RSA generation takes a while and must not hold the lock.
    const fresh = await Promise.all(toCreate.map(newKey));
    created = await auditedChange(deps, { correlationId: randomUUID() }, async ({ trx, now, audit }) => {
      await keys.lockSigningKeys(trx);
      const stillPresent = await keys.currentAlgorithms(trx);
      const added = fresh.filter((k) => !stillPresent.has(k.alg));
      if (added.length === 0) return [];
      for (const key of added) await insertNew(trx, kek.key, key, now);
      await audit('addSigningKeys', { initiatedBy: systemActor(), targets: added.map(keyTarget) });
      return added.map((k) => k.kid);
    });
  }
  return { created, kek };
}

/**
 * Adds a new current key per algorithm and retires the previous ones, which stay published for
 * RETIRED_KEY_PUBLISHED_MS so tokens they signed still verify.
 */
export async function rotateSigningKeys(
  deps: Deps,
  input: { source: string },
): Promise<{ added: { kid: string; alg: SigningAlgorithm }[]; retired: string[]; retiredPublishedUntil: string }> {
  const kek = await resolveKeyEncryptionKey(deps);
  const fresh = await Promise.all(SIGNING_ALGORITHMS.map(newKey));
  return auditedChange(deps, { correlationId: randomUUID() }, async ({ trx, now, audit }) => {
    await keys.lockSigningKeys(trx);
    const notAfter = new Date(now.getTime() + RETIRED_KEY_PUBLISHED_MS);
    const retired: string[] = [];
    for (const key of fresh) {
      retired.push(...(await keys.retireCurrentKeys(trx, key.alg, now, notAfter)));
      await insertNew(trx, kek.key, key, now);
    }
    await audit('rotateSigningKeys', {
      initiatedBy: systemActor(),
      targets: fresh.map(keyTarget),
      details: { source: input.source, retiredKeys: retired.join(' '), retiredPublishedUntil: notAfter.toISOString() },
    });
    return {
      added: fresh.map((k) => ({ kid: k.kid, alg: k.alg })),
      retired,
      retiredPublishedUntil: notAfter.toISOString(),
    };
  });
}

/** The public JWKS: keys not past their not_after, ES256 first, current before retired, newest first. */
export async function getPublishedJwks(deps: Pick<Deps, 'db' | 'clock'>): Promise<{ keys: PublicJwk[] }> {
  const all = await keys.listSigningKeys(deps.db);
  return { keys: publishedKeys(all, deps.clock()).map((k) => k.publicJwk) };
}

/** The published keys with their private halves, in signing order: what the OIDC provider will sign with. */
export async function loadPrivateJwks(deps: Deps, kek?: KeyEncryptionKey): Promise<PrivateJwk[]> {
  const key = kek ?? (await resolveKeyEncryptionKey(deps));
  const all = await keys.listSigningKeys(deps.db);
  return publishedKeys(all, deps.clock()).map((k) => {
    try {
      return JSON.parse(openSecret(key.key, k.sealedPrivateKey, k.kid)) as PrivateJwk;
    } catch (error) {
      if (!(error instanceof KeyUnwrapError)) throw error;
      const which =
        key.source === 'configured'
          ? 'PASSLESS_KEY_ENCRYPTION_KEY'
          : 'the generated development key (PASSLESS_KEY_ENCRYPTION_KEY is unset)';
      throw new ConfigError(
        `signing key ${k.kid} (${k.alg}) cannot be decrypted with ${which}: it was sealed under another key-encryption key. Set PASSLESS_KEY_ENCRYPTION_KEY to the key it was created with.`,
      );
    }
  });
}
