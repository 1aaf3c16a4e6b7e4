// OpenID Connect on top of application registrations: which applications skip consent, which consents people
// gave (remembered, revocable in /security-info), and which application a sign-in-log row is about.
export const name = 'oidc-clients';

export const up = `
ALTER TABLE applications ADD COLUMN is_first_party boolean NOT NULL DEFAULT false;
ALTER TABLE applications ADD COLUMN id_token_signing_algorithm text NOT NULL DEFAULT 'ES256';

CREATE TABLE oidc_consents (
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  app_id uuid NOT NULL REFERENCES applications (app_id) ON DELETE CASCADE,
  scopes jsonb NOT NULL,
  granted_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (user_id, app_id)
);

ALTER TABLE sign_in_events ADD COLUMN app_id text;
ALTER TABLE sign_in_events ADD COLUMN app_display_name text;
`;
