// Service principals and admin consent to application permissions (Graph's appRoleAssignments): an application
// registration only requests permissions in requiredResourceAccess; they take effect when granted here. Each grant
// and revocation is committed with its audit record.
import { createHash, randomUUID } from 'node:crypto';
import type { Application } from '../core/applications/applications.ts';
import { applicationPermissionById, GRAPH_RESOURCE_APP_ID, type Permission } from '../core/applications/permissions.ts';
import type { Actor, TargetResource } from '../core/audit/audit.ts';
import { PasslessError } from '../core/errors.ts';
import { isUuid } from '../core/ids.ts';
import type { Db } from '../storage/database.ts';
import * as assignments from '../storage/repositories/app-role-assignments.repository.ts';
import { lockApplication } from '../storage/repositories/applications.repository.ts';
import type { Deps, RequestContext } from './deps.ts';
import { auditedClientChange } from './oidc-client-cache.ts';

/**
 * An application's service principal id: derived from its object id, so every application has exactly one without
 * a row of its own. The same expression in SQL (migration 006) finds the application again.
 */
export function servicePrincipalIdOf(objectId: string): string {
  const hex = createHash('md5').update(`passless-sp:${objectId.toLowerCase()}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The Passless API's own service principal (appId = Microsoft Graph's), the resource of every grant. */
export const API_SERVICE_PRINCIPAL_ID = servicePrincipalIdOf(GRAPH_RESOURCE_APP_ID);
export const API_DISPLAY_NAME = 'Passless API';

export type ServicePrincipal = { kind: 'api' } | { kind: 'application'; application: Application };

export interface AppRoleAssignment {
  id: string;
  appRoleId: string;
  permission: Permission | undefined;
  createdAt: Date;
  principalId: string;
  principalDisplayName: string;
}

const notFound = (id: string) =>
  new PasslessError('itemNotFound', {
    detail: `Resource '${id.slice(0, 200)}' does not exist or one of its queried reference-property objects are not present.`,
  });

export async function findServicePrincipal(db: Db, id: string): Promise<ServicePrincipal> {
  if (!isUuid(id)) throw notFound(id);
  const lower = id.toLowerCase();
  if (lower === API_SERVICE_PRINCIPAL_ID) return { kind: 'api' };
  const application = await assignments.getApplicationByServicePrincipalId(db, lower);
  if (!application) throw notFound(id);
  return { kind: 'application', application };
}

function toAssignment(application: Application, row: assignments.AppRoleAssignmentRow): AppRoleAssignment {
  return {
    id: row.id,
    appRoleId: row.appRoleId,
    permission: applicationPermissionById(row.appRoleId),
    createdAt: row.createdAt,
    principalId: servicePrincipalIdOf(application.id),
    principalDisplayName: application.displayName,
  };
}

export async function listAssignmentsOf(db: Db, application: Application): Promise<AppRoleAssignment[]> {
  return (await assignments.listAppRoleAssignments(db, application.appId)).map((row) => toAssignment(application, row));
}

function target(application: Application, permission: Permission, assignment: AppRoleAssignment): TargetResource {
  return {
    id: servicePrincipalIdOf(application.id),
    displayName: application.displayName,
    type: 'ServicePrincipal',
    modifiedProperties: [
      { displayName: 'AppRole.Id', oldValue: null, newValue: JSON.stringify(permission.appRoleId) },
      { displayName: 'AppRole.Value', oldValue: null, newValue: JSON.stringify(permission.value) },
      { displayName: 'AppRoleAssignment.Id', oldValue: null, newValue: JSON.stringify(assignment.id) },
      { displayName: 'ServicePrincipal.AppId', oldValue: null, newValue: JSON.stringify(application.appId) },
      { displayName: 'ServicePrincipal.ObjectID', oldValue: null, newValue: JSON.stringify(assignment.principalId) },
    ],
  };
}

const bad = (detail: string) => new PasslessError('badRequest', { detail });

/**
 * Graph's body `{principalId, resourceId, appRoleId}`: the principal is an application's service principal, the
 * resource is the Passless API, the app role one of its application permissions.
 */
export function parseAssignmentBody(body: Record<string, unknown>): {
  principalId: string;
  resourceId: string;
  permission: Permission;
} {
  for (const key of Object.keys(body)) {
    if (!['principalId', 'resourceId', 'appRoleId', '@odata.type'].includes(key)) {
      throw bad(
        `Property '${key.slice(0, 100)}' is not supported on appRoleAssignment. Send principalId, resourceId and appRoleId.`,
      );
    }
  }
  const { principalId, resourceId, appRoleId } = body;
  for (const [name, value] of Object.entries({ principalId, resourceId, appRoleId })) {
    if (typeof value !== 'string' || !isUuid(value)) throw bad(`${name} must be a GUID.`);
  }
  if ((resourceId as string).toLowerCase() !== API_SERVICE_PRINCIPAL_ID) {
    throw bad(
      `resourceId must be the id of the Passless API's service principal (${API_SERVICE_PRINCIPAL_ID}; GET /v1.0/servicePrincipals?$filter=appId eq '${GRAPH_RESOURCE_APP_ID}').`,
    );
  }
  const permission = applicationPermissionById(appRoleId as string);
  if (!permission) {
    throw bad(
      `Permission being assigned was not found on application '${GRAPH_RESOURCE_APP_ID}': appRoleId ${appRoleId} is not an application permission of the Passless API.`,
    );
  }
  return { principalId: (principalId as string).toLowerCase(), resourceId: API_SERVICE_PRINCIPAL_ID, permission };
}

/** Grants an application permission to an application (admin consent). */
export async function grantAppRole(
  deps: Deps,
  ctx: RequestContext,
  actor: Actor,
  principal: ServicePrincipal,
  permission: Permission,
): Promise<AppRoleAssignment> {
  if (principal.kind !== 'application') {
    throw bad('principalId must be the service principal of an application registration, not the Passless API.');
  }
  return auditedClientChange(deps, ctx, async ({ trx, now, audit }) => {
    // Locked so a grant cannot interleave with the application's deletion.
    const application = await lockApplication(trx, principal.application.id);
    if (!application) throw notFound(principal.application.id);
    const row = await assignments.addAppRoleAssignment(trx, {
      id: randomUUID(),
      appId: application.appId,
      appRoleId: permission.appRoleId!,
      createdAt: now,
    });
    if (!row) throw bad('Permission being assigned already exists on the object.');
    const assignment = toAssignment(application, row);
    await audit('addAppRoleAssignment', {
      initiatedBy: actor,
      targets: [target(application, permission, assignment)],
    });
    return assignment;
  });
}

export async function revokeAppRole(
  deps: Deps,
  ctx: RequestContext,
  actor: Actor,
  application: Application,
  assignmentId: string,
): Promise<void> {
  if (!isUuid(assignmentId)) throw notFound(assignmentId);
  await auditedClientChange(deps, ctx, async ({ trx, audit }) => {
    const locked = await lockApplication(trx, application.id);
    if (!locked) throw notFound(application.id);
    const row = await assignments.removeAppRoleAssignment(trx, locked.appId, assignmentId.toLowerCase());
    if (!row) throw notFound(assignmentId);
    const assignment = toAssignment(locked, row);
    const permission = assignment.permission;
    const removed = permission
      ? target(locked, permission, assignment).modifiedProperties!.map((p) => ({
          displayName: p.displayName,
          oldValue: p.newValue,
          newValue: null,
        }))
      : [];
    await audit('removeAppRoleAssignment', {
      initiatedBy: actor,
      targets: [
        {
          id: assignment.principalId,
          displayName: locked.displayName,
          type: 'ServicePrincipal',
          modifiedProperties: removed,
        },
      ],
    });
  });
}

/** The application permissions granted to a client (by appId), for its tokens' `roles` claim. */
export async function grantedApplicationPermissions(db: Db, appId: string): Promise<Permission[] | null> {
  if (!isUuid(appId)) return null;
  const client = await assignments.getClientGrants(db, appId.toLowerCase());
  if (!client) return null;
  return client.appRoleIds.map((id) => applicationPermissionById(id)).filter((p): p is Permission => p !== undefined);
}
