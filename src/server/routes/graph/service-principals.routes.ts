// /v1.0/servicePrincipals with Graph's shapes: one service principal per application registration (id derived from
// the application), the Passless API's own (appId = Microsoft Graph's, exposing the permission catalogue as appRoles
// and oauth2PermissionScopes), and admin consent to application permissions as appRoleAssignments.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Application } from '../../../core/applications/applications.ts';
import {
  APPLICATION_PERMISSIONS,
  DELEGATED_PERMISSIONS,
  GRAPH_RESOURCE_APP_ID,
  GRAPH_RESOURCE_URI,
} from '../../../core/applications/permissions.ts';
import { PasslessError } from '../../../core/errors.ts';
import { isUuid } from '../../../core/ids.ts';
import {
  API_DISPLAY_NAME,
  API_SERVICE_PRINCIPAL_ID,
  type AppRoleAssignment,
  findServicePrincipal,
  grantAppRole,
  listAssignmentsOf,
  parseAssignmentBody,
  revokeAppRole,
  type ServicePrincipal,
  servicePrincipalIdOf,
} from '../../../services/app-permissions.service.ts';
import { findApplication } from '../../../services/applications.service.ts';
import type { Deps } from '../../../services/deps.ts';
import { listApplications } from '../../../storage/repositories/applications.repository.ts';
import { authorize, requestContext } from '../../plugins/session.ts';
import { collection, decodeSkipToken, encodeSkipToken, entity, parseTop } from './odata.ts';

const idParams = { type: 'object', properties: { id: { type: 'string', minLength: 1, maxLength: 200 } } } as const;
const assignmentParams = {
  type: 'object',
  properties: {
    id: { type: 'string', minLength: 1, maxLength: 200 },
    assignment: { type: 'string', minLength: 1, maxLength: 200 },
  },
} as const;
const jsonObject = { type: 'object' } as const;

/** `appId eq '…'` or `displayName eq '…'`: what scripts use to find a service principal. */
function parseFilter(raw: unknown): { appId?: string; displayName?: string } | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string') throw new PasslessError('badRequest', { detail: '$filter may be given only once.' });
  const match = /^(appId|displayName)\s+eq\s+'((?:[^']|''){1,256})'$/.exec(raw.trim());
  if (!match) {
    throw new PasslessError('badRequest', {
      detail: "Unsupported $filter. Supported: appId eq '{appId}', displayName eq '{name}'.",
    });
  }
  const value = match[2]!.replace(/''/g, "'");
  return match[1] === 'appId' ? { appId: value } : { displayName: value };
}

export function registerServicePrincipalRoutes(app: FastifyInstance, deps: Deps): void {
  const origin = deps.config.origin;

  function renderApi() {
    return {
      id: API_SERVICE_PRINCIPAL_ID,
      appId: GRAPH_RESOURCE_APP_ID,
      displayName: API_DISPLAY_NAME,
      appDisplayName: API_DISPLAY_NAME,
      accountEnabled: true,
      servicePrincipalType: 'Application',
      servicePrincipalNames: [GRAPH_RESOURCE_APP_ID, origin, GRAPH_RESOURCE_URI],
      appRoleAssignmentRequired: false,
      appRoles: APPLICATION_PERMISSIONS.map((p) => ({
        allowedMemberTypes: ['Application'],
        description: p.description,
        displayName: p.adminConsentDisplayName,
        id: p.appRoleId,
        isEnabled: true,
        origin: 'Application',
        value: p.value,
      })),
      oauth2PermissionScopes: DELEGATED_PERMISSIONS.map((p) => ({
        adminConsentDescription: p.description,
        adminConsentDisplayName: p.adminConsentDisplayName,
        id: p.scopeId,
        isEnabled: true,
        type: 'Admin',
        userConsentDescription: null,
        userConsentDisplayName: null,
        value: p.value,
      })),
    };
  }

  function renderApplicationPrincipal(application: Application) {
    return {
      id: servicePrincipalIdOf(application.id),
      appId: application.appId,
      displayName: application.displayName,
      appDisplayName: application.displayName,
      accountEnabled: true,
      servicePrincipalType: 'Application',
      servicePrincipalNames: [application.appId],
      appRoleAssignmentRequired: false,
      appRoles: [],
      oauth2PermissionScopes: [],
      createdDateTime: application.createdAt.toISOString(),
    };
  }

  const render = (sp: ServicePrincipal) =>
    sp.kind === 'api' ? renderApi() : renderApplicationPrincipal(sp.application);

  function renderAssignment(a: AppRoleAssignment) {
    return {
      id: a.id,
      deletedDateTime: null,
      appRoleId: a.appRoleId,
      createdDateTime: a.createdAt.toISOString(),
      principalDisplayName: a.principalDisplayName,
      principalId: a.principalId,
      principalType: 'ServicePrincipal',
      resourceDisplayName: API_DISPLAY_NAME,
      resourceId: API_SERVICE_PRINCIPAL_ID,
    };
  }

  async function applicationOf(request: FastifyRequest<{ Params: { id: string } }>): Promise<Application> {
    const sp = await findServicePrincipal(deps.db, request.params.id);
    if (sp.kind !== 'application') {
      throw new PasslessError('badRequest', {
        detail:
          "The Passless API's service principal holds no app role assignments; address an application's service principal.",
      });
    }
    return sp.application;
  }

  app.get<{ Querystring: Record<string, string> }>('/v1.0/servicePrincipals', async (request) => {
    await authorize(request, deps, 'directory.read');
    const filter = parseFilter(request.query.$filter);
    const isApi = (f: { appId?: string; displayName?: string }) =>
      f.appId?.toLowerCase() === GRAPH_RESOURCE_APP_ID ||
      f.displayName === API_DISPLAY_NAME ||
      f.displayName === 'Microsoft Graph';
    if (filter?.appId !== undefined || filter?.displayName !== undefined) {
      if (isApi(filter)) return collection(request, origin, 'servicePrincipals', [renderApi()]);
      if (filter.appId !== undefined) {
        const found = isUuid(filter.appId)
          ? await findApplication(deps.db, filter.appId, 'appId').catch(() => null)
          : null;
        return collection(request, origin, 'servicePrincipals', found ? [renderApplicationPrincipal(found)] : []);
      }
    }
    // Every application, by object id, after the API's own (first page only).
    const top = parseTop(request.query.$top, 999, 100);
    const after = decodeSkipToken(request.query.$skiptoken, (v): v is string => typeof v === 'string' && isUuid(v));
    const rows = await listApplications(deps.db, top + 1, after);
    const page = rows.slice(0, top);
    const next = rows.length > top ? encodeSkipToken(page[page.length - 1]!.id) : null;
    let value = page.map(renderApplicationPrincipal);
    if (filter?.displayName !== undefined) value = value.filter((sp) => sp.displayName === filter.displayName);
    const withApi = after === undefined && filter === undefined ? [renderApi(), ...value] : value;
    return collection(request, origin, 'servicePrincipals', withApi, next);
  });

  // Every application already has its service principal; creating one (as Entra scripts do) returns it.
  app.post<{ Body: Record<string, unknown> }>(
    '/v1.0/servicePrincipals',
    { schema: { body: jsonObject } },
    async (request, reply) => {
      await authorize(request, deps, 'applications.write');
      const appId = request.body.appId;
      if (typeof appId !== 'string' || !isUuid(appId)) {
        throw new PasslessError('badRequest', {
          detail: 'appId must be the appId (a GUID) of an application registration.',
        });
      }
      if (appId.toLowerCase() === GRAPH_RESOURCE_APP_ID) {
        return reply.status(201).send(entity(origin, 'servicePrincipals', renderApi()));
      }
      const application = await findApplication(deps.db, appId, 'appId');
      return reply.status(201).send(entity(origin, 'servicePrincipals', renderApplicationPrincipal(application)));
    },
  );

  app.get<{ Params: { id: string } }>(
    '/v1.0/servicePrincipals/:id',
    { schema: { params: idParams } },
    async (request) => {
      await authorize(request, deps, 'directory.read');
      return entity(origin, 'servicePrincipals', render(await findServicePrincipal(deps.db, request.params.id)));
    },
  );

  app.get<{ Params: { id: string } }>(
    '/v1.0/servicePrincipals/:id/appRoleAssignments',
    { schema: { params: idParams } },
    async (request) => {
      await authorize(request, deps, 'directory.read');
      const sp = await findServicePrincipal(deps.db, request.params.id);
      const value = sp.kind === 'application' ? await listAssignmentsOf(deps.db, sp.application) : [];
      return collection(
        request,
        origin,
        `servicePrincipals('${sp.kind === 'api' ? API_SERVICE_PRINCIPAL_ID : servicePrincipalIdOf(sp.application.id)}')/appRoleAssignments`,
        value.map(renderAssignment),
      );
    },
  );

  // Graph offers both sides: POST on the client's appRoleAssignments, or on the resource's appRoleAssignedTo.
  for (const side of ['appRoleAssignments', 'appRoleAssignedTo'] as const) {
    app.post<{ Params: { id: string }; Body: Record<string, unknown> }>(
      `/v1.0/servicePrincipals/:id/${side}`,
      { schema: { params: idParams, body: jsonObject } },
      async (request, reply) => {
        const admin = await authorize(request, deps, 'appRoleAssignments.write');
        const body = parseAssignmentBody(request.body);
        const pathId = request.params.id.toLowerCase();
        if (side === 'appRoleAssignments' && pathId !== body.principalId) {
          throw new PasslessError('badRequest', { detail: 'principalId must be the service principal in the URL.' });
        }
        if (side === 'appRoleAssignedTo' && pathId !== body.resourceId) {
          throw new PasslessError('badRequest', { detail: 'resourceId must be the service principal in the URL.' });
        }
        const principal = await findServicePrincipal(deps.db, body.principalId);
        const created = await grantAppRole(deps, requestContext(request), admin.actor, principal, body.permission);
        return reply
          .status(201)
          .send(entity(origin, `servicePrincipals('${pathId}')/${side}`, renderAssignment(created)));
      },
    );
  }

  app.delete<{ Params: { id: string; assignment: string } }>(
    '/v1.0/servicePrincipals/:id/appRoleAssignments/:assignment',
    { schema: { params: assignmentParams } },
    async (request, reply) => {
      const admin = await authorize(request, deps, 'appRoleAssignments.write');
      const application = await applicationOf(request);
      await revokeAppRole(deps, requestContext(request), admin.actor, application, request.params.assignment);
      return reply.status(204).send();
    },
  );
}
