// The passkey sign-in hot path in two statements (DESIGN.md §11: one round trip per step):
// 1. consume the flow's challenge and load the credential with its account;
// 2. bump the counter (compare-and-swap), complete the flow, create the session, drop the replaced
//    session and write the sign-in log, all in one statement, so it commits or fails as a whole.
import { sql } from 'kysely';
import type { Db } from '../database.ts';
import { type PasskeyCredential, toPasskey } from './passkeys.repository.ts';
import type { NewSession } from './sessions.repository.ts';

export interface ConsumedAssertion {
  flow: {
    id: string;
    userId: string | null;
    internal: Record<string, unknown>;
    expiresAt: Date;
  } | null;
  credential: PasskeyCredential | null;
  user: { id: string; userPrincipalName: string; displayName: string; accountEnabled: boolean } | null;
}

export async function consumeChallengeAndLoadCredential(
  db: Db,
  input: { flowId: string; challenge: string; credentialId: string; now: Date },
): Promise<ConsumedAssertion> {
  const result = await sql<Record<string, unknown>>`
    WITH f AS (
      UPDATE flows
         SET state = CASE WHEN internal ? 'identifier' THEN 'identified' ELSE 'anonymous' END,
             challenge = NULL
       WHERE id = ${input.flowId} AND kind = 'signIn' AND state = 'awaitingPasskey' AND challenge = ${input.challenge}
         AND expires_at > ${input.now}
      RETURNING id, user_id, internal, expires_at
    )
    SELECT f.id AS flow_id, f.user_id AS flow_user_id, f.internal AS flow_internal, f.expires_at AS flow_expires_at,
           c.*, u.user_principal_name, u.display_name AS user_display_name, u.account_enabled
      FROM (SELECT 1) AS one
      LEFT JOIN f ON true
      LEFT JOIN passkey_credentials c ON c.credential_id = ${input.credentialId}
      LEFT JOIN users u ON u.id = c.user_id`.execute(db);
  const row = result.rows[0] ?? {};
  return {
    flow: row.flow_id
      ? {
          id: row.flow_id as string,
          userId: (row.flow_user_id as string | null) ?? null,
          internal: row.flow_internal as Record<string, unknown>,
          expiresAt: new Date(row.flow_expires_at as string),
        }
      : null,
    credential: row.credential_id ? toPasskey(row as Parameters<typeof toPasskey>[0]) : null,
    user: row.user_principal_name
      ? {
          id: row.user_id as string,
          userPrincipalName: row.user_principal_name as string,
          displayName: row.user_display_name as string,
          accountEnabled: row.account_enabled as boolean,
        }
      : null,
  };
}

export async function completePasskeySignIn(
  db: Db,
  input: {
    credentialRowId: string;
    expectedSignCount: number;
    newSignCount: number;
    backedUp: boolean;
    flowId: string;
    expectedFlowState: string;
    nextFlowState: string;
    session: NewSession;
    previousSessionTokenHash: string | null;
    signIn: { eventId: string; userPrincipalName: string; displayName: string; method: string; correlationId: string };
    now: Date;
  },
): Promise<boolean> {
  const s = input.session;
  const result = await sql<{ created: number }>`
    WITH c AS (
      UPDATE passkey_credentials SET sign_count = ${input.newSignCount}, backed_up = ${input.backedUp}, last_used_at = ${input.now}
       WHERE id = ${input.credentialRowId} AND sign_count = ${input.expectedSignCount}
      RETURNING id
    ), f AS (
      UPDATE flows SET state = ${input.nextFlowState}
       WHERE id = ${input.flowId} AND state = ${input.expectedFlowState} AND EXISTS (SELECT 1 FROM c)
      RETURNING id
    ), d AS (
      DELETE FROM sessions WHERE token_hash = ${input.previousSessionTokenHash} AND EXISTS (SELECT 1 FROM f)
    ), s AS (
      INSERT INTO sessions (id, token_hash, user_id, kind, amr, tap_id, authenticated_at, created_at, expires_at,
                            last_seen_at, ip_address, user_agent)
      SELECT ${s.id}, ${s.tokenHash}, ${s.userId}, ${s.kind}, ${JSON.stringify(s.amr)}::jsonb, ${s.tapId}::uuid,
             ${s.authenticatedAt}, ${s.authenticatedAt}, ${s.expiresAt}, ${s.authenticatedAt}, ${s.ipAddress}, ${s.userAgent}
       WHERE EXISTS (SELECT 1 FROM f)
      RETURNING id
    ), e AS (
      INSERT INTO sign_in_events (id, created_at, user_id, user_principal_name, user_display_name, ip_address, user_agent,
                                  client_app_used, authentication_method, error_code, failure_reason, correlation_id)
      SELECT ${input.signIn.eventId}, ${input.now}, ${s.userId}, ${input.signIn.userPrincipalName}, ${input.signIn.displayName},
             ${s.ipAddress}, ${s.userAgent}, 'Browser', ${input.signIn.method}, 0, '', ${input.signIn.correlationId}
       WHERE EXISTS (SELECT 1 FROM s)
    )
    SELECT count(*)::int AS created FROM s`.execute(db);
  return Number(result.rows[0]?.created ?? 0) === 1;
}
