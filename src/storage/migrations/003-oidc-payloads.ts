// node-oidc-provider's models (sessions, interactions, codes, tokens, grants …) in one table, one row per
// (model, id). The payload is the provider's own JSON; the columns beside it exist only to find rows by them.
export const name = 'oidc-payloads';

export const up = `
CREATE TABLE oidc_payloads (
  model text NOT NULL,
  id text NOT NULL,
  payload jsonb NOT NULL,
  grant_id text,
  user_code text,
  uid text,
  expires_at timestamptz,
  consumed_at timestamptz,
  PRIMARY KEY (model, id)
);
CREATE INDEX oidc_payloads_uid ON oidc_payloads (uid);
CREATE INDEX oidc_payloads_user_code ON oidc_payloads (user_code);
CREATE INDEX oidc_payloads_grant_id ON oidc_payloads (grant_id);
CREATE INDEX oidc_payloads_expires_at ON oidc_payloads (expires_at);
`;
