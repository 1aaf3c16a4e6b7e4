// The directory audit log and the sign-in log. Both are append-only; listing is newest first by sequence.
import { randomUUID } from 'node:crypto';
import { type CompiledQuery, sql } from 'kysely';
import type { AuditEvent } from '../../core/audit/audit.ts';
import type { Db } from '../database.ts';

export interface SignInRecord {
  userId: string | null;
  userPrincipalName: string;
  userDisplayName: string | null;
  ipAddress: string;
  userAgent: string;
  clientAppUsed: string;
  authenticationMethod: string;
  errorCode: number;
  failureReason: string;
  /** The application the sign-in or token was for; null for Passless's own pages. */
  appId?: string | null;
  appDisplayName?: string | null;
}

export async function insertAuditEvent(db: Db, event: AuditEvent, now: Date, correlationId: string): Promise<void> {
  await db
    .insertInto('audit_events')
    .values({
      id: randomUUID(),
      activity_at: now,
      activity_display_name: event.activityDisplayName,
      category: event.category,
      logged_by_service: event.loggedByService,
      operation_type: event.operationType,
      result: event.result,
      result_reason: event.resultReason,
      initiated_by: JSON.stringify(event.initiatedBy),
      target_resources: JSON.stringify(event.targetResources),
      additional_details: JSON.stringify(event.additionalDetails),
      correlation_id: correlationId,
    })
    .execute();
}

export async function insertSignInEvent(db: Db, record: SignInRecord, now: Date, correlationId: string): Promise<void> {
  await db
    .insertInto('sign_in_events')
    .values({
      id: randomUUID(),
      created_at: now,
      user_id: record.userId,
      user_principal_name: record.userPrincipalName,
      user_display_name: record.userDisplayName,
      ip_address: record.ipAddress,
      user_agent: record.userAgent.slice(0, 512),
      client_app_used: record.clientAppUsed,
      authentication_method: record.authenticationMethod,
      error_code: record.errorCode,
      failure_reason: record.failureReason,
      correlation_id: correlationId,
      app_id: record.appId ?? null,
      app_display_name: record.appDisplayName ?? null,
    })
    .execute();
}

export async function listAuditEvents(db: Db, top: number, beforeSeq?: number) {
  let q = db.selectFrom('audit_events').selectAll();
  if (beforeSeq !== undefined) q = q.where('seq', '<', String(beforeSeq));
  return q.orderBy('seq', 'desc').limit(top).execute();
}

export async function listSignInEvents(db: Db, top: number, beforeSeq?: number) {
  let q = db.selectFrom('sign_in_events').selectAll();
  if (beforeSeq !== undefined) q = q.where('seq', '<', String(beforeSeq));
  return q.orderBy('seq', 'desc').limit(top).execute();
}

/** Token-endpoint events, several in one statement; each person's name and UPN are read in the same statement. */
type TokenSignInEvent = {
  record: Omit<SignInRecord, 'userPrincipalName' | 'userDisplayName'>;
  now: Date;
  correlationId: string;
};

/** The INSERT of token sign-in rows (the person's name and UPN read from users as it runs). */
export function tokenSignInEventsQuery(db: Db, events: TokenSignInEvent[]): CompiledQuery {
  const rows = events.map(
    ({ record, now, correlationId }) =>
      sql`(${randomUUID()}::uuid, ${now}::timestamptz, ${record.userId}::uuid, ${record.ipAddress}::text,
        ${record.userAgent.slice(0, 512)}::text, ${record.clientAppUsed}::text, ${record.authenticationMethod}::text,
        ${record.errorCode}::integer, ${record.failureReason}::text, ${correlationId}::uuid, ${record.appId ?? null}::text,
        ${record.appDisplayName ?? null}::text)`,
  );
  return sql`INSERT INTO sign_in_events (id, created_at, user_id, user_principal_name, user_display_name, ip_address,
      user_agent, client_app_used, authentication_method, error_code, failure_reason, correlation_id, app_id,
      app_display_name)
    SELECT v.id, v.created_at, u.id, coalesce(u.user_principal_name, ''), u.display_name, v.ip, v.ua, v.client_app,
      v.method, v.code, v.reason, v.correlation, v.app_id, v.app_name
    FROM (VALUES ${sql.join(rows)}) AS v (id, created_at, user_id, ip, ua, client_app, method, code, reason,
      correlation, app_id, app_name)
    LEFT JOIN users u ON u.id = v.user_id`.compile(db);
}

export async function insertTokenSignInEvents(db: Db, events: TokenSignInEvent[]): Promise<void> {
  if (events.length === 0) return;
  await db.executeQuery(tokenSignInEventsQuery(db, events));
}
