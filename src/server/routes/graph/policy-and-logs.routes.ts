// The TAP method configuration and the audit/sign-in logs.
import type { FastifyInstance } from 'fastify';
import { renderTapPolicy } from '../../../core/methods/tap/tap-policy.ts';
import type { Deps } from '../../../services/deps.ts';
import { getTapPolicy, updateTapPolicy } from '../../../services/tap-policy.service.ts';
import { listAuditEvents, listSignInEvents } from '../../../storage/repositories/logs.repository.ts';
import { authorize, requestContext } from '../../plugins/session.ts';
import { collection, decodeSkipToken, encodeSkipToken, entity, parseTop } from './odata.ts';

const TAP_CONFIG = '/v1.0/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/TemporaryAccessPass';
const isSeq = (v: unknown): v is number => Number.isInteger(v) && (v as number) > 0;

/**
 * One page of a log, newest first, by keyset on `seq`: `$top` rows (up to 1000, 1000 when absent) before the
 * `$skiptoken`'s seq, and the token for the next page when there are more. `list` reads `limit` rows below `before`.
 */
async function newestFirstPage<Row extends { seq: unknown }>(
  query: Record<string, string>,
  list: (limit: number, before: number | undefined) => Promise<Row[]>,
): Promise<{ page: Row[]; next: string | null }> {
  const top = parseTop(query.$top, 1000, 1000);
  const before = decodeSkipToken(query.$skiptoken, isSeq);
  const rows = await list(top + 1, before);
  const page = rows.slice(0, top);
  const next = rows.length > top ? encodeSkipToken(Number(page[page.length - 1]!.seq)) : null;
  return { page, next };
}

export function registerPolicyRoutes(app: FastifyInstance, deps: Deps): void {
  const origin = deps.config.origin;
  app.get(TAP_CONFIG, async (request) => {
    await authorize(request, deps, 'tapPolicy.read');
    return entity(
      origin,
      'policies/authenticationMethodsPolicy/authenticationMethodConfigurations',
      renderTapPolicy(await getTapPolicy(deps.db, deps.clock())),
    );
  });
  app.patch<{ Body: Record<string, unknown> }>(
    TAP_CONFIG,
    { schema: { body: { type: 'object' } } },
    async (request, reply) => {
      const admin = await authorize(request, deps, 'tapPolicy.write');
      await updateTapPolicy(deps, requestContext(request), admin.actor, request.body);
      return reply.status(204).send();
    },
  );

  app.get<{ Querystring: Record<string, string> }>('/v1.0/auditLogs/directoryAudits', async (request) => {
    await authorize(request, deps, 'auditLogs.read');
    const { page, next } = await newestFirstPage(request.query, (limit, before) =>
      listAuditEvents(deps.db, limit, before),
    );
    const value = page.map((r) => {
      const by = r.initiated_by as {
        kind: string;
        id: string | null;
        userPrincipalName: string | null;
        displayName: string | null;
        ipAddress: string;
        appId?: string | null;
      };
      return {
        id: r.id,
        category: r.category,
        correlationId: r.correlation_id,
        result: r.result,
        resultReason: r.result_reason,
        activityDisplayName: r.activity_display_name,
        activityDateTime: new Date(r.activity_at).toISOString(),
        loggedByService: r.logged_by_service,
        operationType: r.operation_type,
        initiatedBy:
          by.kind === 'user'
            ? {
                app: null,
                user: {
                  id: by.id,
                  displayName: by.displayName,
                  userPrincipalName: by.userPrincipalName,
                  ipAddress: by.ipAddress,
                  userType: 'Member',
                },
              }
            : {
                user: null,
                // An application acting with its own permissions (kind 'app'), or Passless itself.
                app: {
                  appId: by.appId ?? null,
                  displayName: by.displayName,
                  servicePrincipalId: by.kind === 'app' ? by.id : null,
                  servicePrincipalName: by.kind === 'app' ? (by.appId ?? null) : 'Passless',
                },
              },
        targetResources: r.target_resources,
        additionalDetails: r.additional_details,
      };
    });
    return collection(request, origin, 'auditLogs/directoryAudits', value, next);
  });

  app.get<{ Querystring: Record<string, string> }>('/v1.0/auditLogs/signIns', async (request) => {
    await authorize(request, deps, 'auditLogs.read');
    const { page, next } = await newestFirstPage(request.query, (limit, before) =>
      listSignInEvents(deps.db, limit, before),
    );
    const value = page.map((r) => ({
      id: r.id,
      createdDateTime: new Date(r.created_at).toISOString(),
      userDisplayName: r.user_display_name,
      userPrincipalName: r.user_principal_name,
      userId: r.user_id,
      appId: r.app_id,
      appDisplayName: r.app_display_name ?? 'Passless',
      ipAddress: r.ip_address,
      clientAppUsed: r.client_app_used,
      correlationId: r.correlation_id,
      // Token grants (the rows that name an application) happen without the person at the keyboard.
      isInteractive: r.app_id === null,
      authenticationMethodsUsed: [r.authentication_method],
      authenticationDetails: [
        {
          authenticationMethod: r.authentication_method,
          succeeded: r.error_code === 0,
          authenticationStepDateTime: new Date(r.created_at).toISOString(),
        },
      ],
      deviceDetail: { browser: r.user_agent },
      status: { errorCode: r.error_code, failureReason: r.failure_reason || null, additionalDetails: null },
    }));
    return collection(request, origin, 'auditLogs/signIns', value, next);
  });
}
