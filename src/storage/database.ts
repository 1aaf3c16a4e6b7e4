// Table types for Kysely. Columns are snake_case; repositories map rows to camelCase domain objects.
import type { ColumnType, Generated, Kysely, Transaction } from 'kysely';

type Timestamp = ColumnType<Date, Date | string, Date | string>;
type Json<T> = ColumnType<T, string, string>;

export interface UsersTable {
  id: string;
  user_principal_name: string;
  upn_key: string;
  display_name: string;
  mail_nickname: string;
  mail: string | null;
  account_enabled: boolean;
  employee_hire_date: Timestamp | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface GroupsTable {
  id: string;
  display_name: string;
  description: string | null;
  mail_nickname: string;
  created_at: Timestamp;
}

export interface GroupMembersTable {
  group_id: string;
  user_id: string;
}

export interface RoleAssignmentsTable {
  role_template_id: string;
  user_id: string;
  created_at: Timestamp;
}

export interface TemporaryAccessPassesTable {
  id: string;
  user_id: string;
  verifier: string;
  created_at: Timestamp;
  start_at: Timestamp;
  lifetime_minutes: number;
  is_usable_once: boolean;
  used_at: Timestamp | null;
}

export interface PasskeyCredentialsTable {
  id: string;
  user_id: string;
  credential_id: string;
  public_key: string;
  sign_count: ColumnType<number, number, number>;
  transports: Json<string[]>;
  aaguid: string;
  backup_eligible: boolean;
  backed_up: boolean;
  display_name: string;
  created_at: Timestamp;
  last_used_at: Timestamp | null;
}

export interface SessionsTable {
  id: string;
  token_hash: string;
  user_id: string;
  kind: 'bootstrap' | 'full';
  amr: Json<string[]>;
  tap_id: string | null;
  authenticated_at: Timestamp;
  created_at: Timestamp;
  expires_at: Timestamp;
  last_seen_at: Timestamp;
  ip_address: string;
  user_agent: string;
}

export interface FlowsTable {
  id: string;
  kind: string;
  state: string;
  expires_at: Timestamp;
  user_id: string | null;
  session_id: string | null;
  challenge: string | null;
  internal: Json<Record<string, unknown>>;
  created_at: Timestamp;
}

export interface ThrottlesTable {
  key: string;
  failures: number;
  last_failure_at: Timestamp;
  blocked_until: Timestamp;
}

export interface AuditEventsTable {
  id: string;
  seq: Generated<string>;
  activity_at: Timestamp;
  activity_display_name: string;
  category: string;
  logged_by_service: string;
  operation_type: string;
  result: string;
  result_reason: string;
  initiated_by: Json<unknown>;
  target_resources: Json<unknown>;
  additional_details: Json<unknown>;
  correlation_id: string;
}

export interface SignInEventsTable {
  id: string;
  seq: Generated<string>;
  created_at: Timestamp;
  user_id: string | null;
  user_principal_name: string;
  user_display_name: string | null;
  ip_address: string;
  user_agent: string;
  client_app_used: string;
  authentication_method: string;
  error_code: number;
  failure_reason: string;
  correlation_id: string;
  app_id: string | null;
  app_display_name: string | null;
}

export interface SettingsTable {
  key: string;
  value: Json<unknown>;
  updated_at: Timestamp;
}

export interface SigningKeysTable {
  kid: string;
  alg: 'ES256' | 'RS256';
  public_jwk: Json<Record<string, unknown>>;
  sealed_private_key: string;
  created_at: Timestamp;
  retired_at: Timestamp | null;
  not_after: Timestamp | null;
}

export interface OidcPayloadsTable {
  model: string;
  id: string;
  payload: Json<Record<string, unknown>>;
  grant_id: string | null;
  user_code: string | null;
  uid: string | null;
  expires_at: Timestamp | null;
  consumed_at: Timestamp | null;
}

export interface ApplicationsTable {
  id: string;
  app_id: string;
  display_name: string;
  sign_in_audience: Generated<string>;
  web_redirect_uris: Json<string[]>;
  spa_redirect_uris: Json<string[]>;
  public_client_redirect_uris: Json<string[]>;
  is_fallback_public_client: boolean;
  required_resource_access: Json<unknown[]>;
  is_first_party: Generated<boolean>;
  id_token_signing_algorithm: Generated<string>;
  created_at: Timestamp;
}

export interface OidcConsentsTable {
  user_id: string;
  app_id: string;
  scopes: Json<string[]>;
  granted_at: Timestamp;
  updated_at: Timestamp;
}

export interface AppRoleAssignmentsTable {
  id: string;
  app_id: string;
  app_role_id: string;
  created_at: Timestamp;
}

export interface ApplicationPasswordCredentialsTable {
  key_id: string;
  application_id: string;
  display_name: string | null;
  hint: string;
  secret_verifier: string;
  start_date_time: Timestamp;
  end_date_time: Timestamp;
  created_at: Timestamp;
}

export interface SchemaMigrationsTable {
  version: number;
  name: string;
  applied_at: Timestamp;
}

export interface Database {
  users: UsersTable;
  groups: GroupsTable;
  group_members: GroupMembersTable;
  role_assignments: RoleAssignmentsTable;
  temporary_access_passes: TemporaryAccessPassesTable;
  passkey_credentials: PasskeyCredentialsTable;
  sessions: SessionsTable;
  flows: FlowsTable;
  throttles: ThrottlesTable;
  audit_events: AuditEventsTable;
  sign_in_events: SignInEventsTable;
  settings: SettingsTable;
  signing_keys: SigningKeysTable;
  oidc_payloads: OidcPayloadsTable;
  applications: ApplicationsTable;
  application_password_credentials: ApplicationPasswordCredentialsTable;
  app_role_assignments: AppRoleAssignmentsTable;
  oidc_consents: OidcConsentsTable;
  schema_migrations: SchemaMigrationsTable;
}

/** A database handle or an open transaction: repositories accept either. */
export type Db = Kysely<Database> | Transaction<Database>;
