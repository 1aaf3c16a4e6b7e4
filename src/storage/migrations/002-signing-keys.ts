// Token-signing keys. The private key is sealed (AES-256-GCM under the key-encryption key, see
// src/core/keys/key-wrap.ts) before it reaches the database; the public JWK is stored as published.
export const name = 'signing-keys';

export const up = `
CREATE TABLE signing_keys (
  kid text PRIMARY KEY,
  alg text NOT NULL CHECK (alg IN ('ES256', 'RS256')),
  public_jwk jsonb NOT NULL,
  sealed_private_key text NOT NULL,
  created_at timestamptz NOT NULL,
  retired_at timestamptz,
  not_after timestamptz
);
CREATE INDEX signing_keys_published ON signing_keys (not_after);
`;
