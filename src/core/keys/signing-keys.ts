// Token-signing keys: which are published, in what order, and how long a replaced key stays published.
// Pure rules; generation, encryption at rest and storage are in src/services/signing-keys.service.ts.
import { createHash } from 'node:crypto';

export const SIGNING_ALGORITHMS = ['ES256', 'RS256'] as const;
export type SigningAlgorithm = (typeof SIGNING_ALGORITHMS)[number];

/**
 * How long a replaced key stays in the JWKS after a rotation. It must outlive every token signed with it, so
 * relying parties can still verify them. Token lifetimes arrive with the OIDC provider; until then 24 h bounds
 * any lifetime Passless will configure (an ID token or access token lives minutes to hours). When the provider
 * lands, derive this from its longest signed-token lifetime instead.
 */
export const RETIRED_KEY_PUBLISHED_MS = 24 * 60 * 60_000;

export interface PublicJwk {
  kid: string;
  kty: 'EC' | 'RSA';
  alg: SigningAlgorithm;
  use: 'sig';
  crv?: string;
  x?: string;
  y?: string;
  n?: string;
  e?: string;
}

export interface SigningKeyRecord {
  kid: string;
  alg: SigningAlgorithm;
  publicJwk: PublicJwk;
  createdAt: Date;
  /** Set when a newer key took over signing; the key still verifies until notAfter. */
  retiredAt: Date | null;
  notAfter: Date | null;
}

/**
 * The RFC 7638 JWK thumbprint (SHA-256, base64url) of a public key: a kid that is derived from the key itself,
 * so it cannot collide between keys and anyone can recompute it.
 */
export function jwkThumbprint(jwk: { kty: string; crv?: string; x?: string; y?: string; n?: string; e?: string }) {
  // Required members only, in lexicographic order, no whitespace (RFC 7638 §3.2).
  const members =
    jwk.kty === 'EC'
      ? { crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y }
      : jwk.kty === 'RSA'
        ? { e: jwk.e, kty: jwk.kty, n: jwk.n }
        : null;
  if (!members || Object.values(members).some((v) => typeof v !== 'string')) {
    throw new Error(`cannot take the thumbprint of a ${jwk.kty} key`);
  }
  return createHash('sha256').update(JSON.stringify(members)).digest('base64url');
}

export function isPublished(key: Pick<SigningKeyRecord, 'notAfter'>, now: Date): boolean {
  return key.notAfter === null || key.notAfter.getTime() > now.getTime();
}

/**
 * Keys still published at `now`, in the order a signer should prefer them: ES256 before RS256 (ES256 is the
 * default algorithm), current keys before retired ones, newest first. oidc-provider signs with the first key of
 * the requested algorithm, so this order is also the signing order.
 */
export function publishedKeys<K extends SigningKeyRecord>(keys: readonly K[], now: Date): K[] {
  const algRank = (k: K) => SIGNING_ALGORITHMS.indexOf(k.alg);
  return keys
    .filter((k) => isPublished(k, now))
    .sort(
      (a, b) =>
        algRank(a) - algRank(b) ||
        Number(a.retiredAt !== null) - Number(b.retiredAt !== null) ||
        b.createdAt.getTime() - a.createdAt.getTime(),
    );
}
