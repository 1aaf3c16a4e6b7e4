// The same SQL runs on PGlite and PostgreSQL. Credential ids and public keys are base64url text so both
// drivers return the same types; timestamps are timestamptz (UTC).
export const name = 'initial';

export const up = `
CREATE TABLE users (
  id uuid PRIMARY KEY,
  user_principal_name text NOT NULL,
  upn_key text NOT NULL UNIQUE,
  display_name text NOT NULL,
  mail_nickname text NOT NULL,
  mail text,
  account_enabled boolean NOT NULL,
  employee_hire_date timestamptz,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);
CREATE INDEX users_display_name_key ON users (lower(display_name) text_pattern_ops, id);
CREATE INDEX users_created_key ON users (created_at, id);

CREATE TABLE groups (
  id uuid PRIMARY KEY,
  display_name text NOT NULL,
  description text,
  mail_nickname text NOT NULL,
  created_at timestamptz NOT NULL
);

CREATE TABLE group_members (
  group_id uuid NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  PRIMARY KEY (group_id, user_id)
);
CREATE INDEX group_members_user ON group_members (user_id);

CREATE TABLE role_assignments (
  role_template_id uuid NOT NULL,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL,
  PRIMARY KEY (role_template_id, user_id)
);
CREATE INDEX role_assignments_user ON role_assignments (user_id);

-- One pass per user (Entra: a new pass replaces the old one), enforced by the unique user_id.
CREATE TABLE temporary_access_passes (
  id uuid PRIMARY KEY,
  user_id uuid NOT NULL UNIQUE REFERENCES users (id) ON DELETE CASCADE,
  verifier text NOT NULL,
  created_at timestamptz NOT NULL,
  start_at timestamptz NOT NULL,
  lifetime_minutes integer NOT NULL,
  is_usable_once boolean NOT NULL,
  used_at timestamptz
);

CREATE TABLE passkey_credentials (
  id uuid PRIMARY KEY,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  credential_id text NOT NULL UNIQUE,
  public_key text NOT NULL,
  sign_count bigint NOT NULL,
  transports jsonb NOT NULL,
  aaguid uuid NOT NULL,
  backup_eligible boolean NOT NULL,
  backed_up boolean NOT NULL,
  display_name text NOT NULL,
  created_at timestamptz NOT NULL,
  last_used_at timestamptz
);
CREATE INDEX passkey_credentials_user ON passkey_credentials (user_id, created_at);

CREATE TABLE sessions (
  id uuid PRIMARY KEY,
  token_hash text NOT NULL UNIQUE,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  kind text NOT NULL CHECK (kind IN ('bootstrap', 'full')),
  amr jsonb NOT NULL,
  tap_id uuid,
  authenticated_at timestamptz NOT NULL,
  created_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  last_seen_at timestamptz NOT NULL,
  ip_address text NOT NULL,
  user_agent text NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_tap ON sessions (tap_id) WHERE tap_id IS NOT NULL;
CREATE INDEX sessions_expiry ON sessions (expires_at);

CREATE TABLE flows (
  id uuid PRIMARY KEY,
  kind text NOT NULL,
  state text NOT NULL,
  expires_at timestamptz NOT NULL,
  user_id uuid REFERENCES users (id) ON DELETE CASCADE,
  session_id uuid,
  challenge text,
  internal jsonb NOT NULL,
  created_at timestamptz NOT NULL
);
CREATE INDEX flows_expiry ON flows (expires_at);

CREATE TABLE throttles (
  key text PRIMARY KEY,
  failures integer NOT NULL,
  last_failure_at timestamptz NOT NULL,
  blocked_until timestamptz NOT NULL
);

CREATE TABLE audit_events (
  id uuid PRIMARY KEY,
  seq bigserial NOT NULL,
  activity_at timestamptz NOT NULL,
  activity_display_name text NOT NULL,
  category text NOT NULL,
  logged_by_service text NOT NULL,
  operation_type text NOT NULL,
  result text NOT NULL,
  result_reason text NOT NULL,
  initiated_by jsonb NOT NULL,
  target_resources jsonb NOT NULL,
  additional_details jsonb NOT NULL,
  correlation_id uuid NOT NULL
);
CREATE INDEX audit_events_newest ON audit_events (seq DESC);

CREATE TABLE sign_in_events (
  id uuid PRIMARY KEY,
  seq bigserial NOT NULL,
  created_at timestamptz NOT NULL,
  user_id uuid,
  user_principal_name text NOT NULL,
  user_display_name text,
  ip_address text NOT NULL,
  user_agent text NOT NULL,
  client_app_used text NOT NULL,
  authentication_method text NOT NULL,
  error_code integer NOT NULL,
  failure_reason text NOT NULL,
  correlation_id uuid NOT NULL
);
CREATE INDEX sign_in_events_newest ON sign_in_events (seq DESC);

CREATE TABLE settings (
  key text PRIMARY KEY,
  value jsonb NOT NULL,
  updated_at timestamptz NOT NULL
);
`;
