// Application registrations (Graph's application resource) and their client secrets. A secret is kept only as a
// verifier: SHA-256, base64url. The secret is 256 random bits, so a fast hash is enough (ASVS 5.0 6.5.2 asks for
// a slow hash only for secrets below 112 bits of entropy).
export const name = 'applications';

export const up = `
CREATE TABLE applications (
  id uuid PRIMARY KEY,
  app_id uuid NOT NULL UNIQUE,
  display_name text NOT NULL,
  sign_in_audience text NOT NULL DEFAULT 'AzureADMyOrg',
  web_redirect_uris jsonb NOT NULL DEFAULT '[]',
  spa_redirect_uris jsonb NOT NULL DEFAULT '[]',
  public_client_redirect_uris jsonb NOT NULL DEFAULT '[]',
  is_fallback_public_client boolean NOT NULL DEFAULT false,
  required_resource_access jsonb NOT NULL DEFAULT '[]',
  created_at timestamptz NOT NULL
);
CREATE INDEX applications_by_name ON applications (display_name, id);

CREATE TABLE application_password_credentials (
  key_id uuid PRIMARY KEY,
  application_id uuid NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
  display_name text,
  hint text NOT NULL,
  secret_verifier text NOT NULL,
  start_date_time timestamptz NOT NULL,
  end_date_time timestamptz NOT NULL,
  created_at timestamptz NOT NULL
);
CREATE INDEX application_password_credentials_by_app ON application_password_credentials (application_id);
`;
