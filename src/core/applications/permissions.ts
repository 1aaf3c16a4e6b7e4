// The permissions of the Passless API, with Microsoft Graph's names and ids, so an application registration written
// for Entra (requiredResourceAccess on resourceAppId 00000003-0000-0000-c000-000000000000) works unchanged. Each
// permission grants Passless capabilities (src/core/directory/roles.ts). Pure: no storage, no HTTP.
import type { Capability, RoleKey } from '../directory/roles.ts';

/** Microsoft Graph's appId: the resourceAppId Entra-written registrations name, and the Passless API's own. */
export const GRAPH_RESOURCE_APP_ID = '00000003-0000-0000-c000-000000000000';
/** Graph's own resource identifier, accepted as an alias of the Passless API. */
export const GRAPH_RESOURCE_URI = 'https://graph.microsoft.com';
/** `{resource}/.default`: everything granted (application permissions) or requested by the registration. */
export const DEFAULT_SCOPE = '.default';

export interface Permission {
  /** Graph's name, e.g. `User.ReadWrite.All`: the value of `roles` / `scp` claims. */
  value: string;
  /** Graph's id of the application permission (appRole, type 'Role'); null when Graph has none. */
  appRoleId: string | null;
  /** Graph's id of the delegated permission (oauth2PermissionScope, type 'Scope'); null when Graph has none. */
  scopeId: string | null;
  adminConsentDisplayName: string;
  description: string;
  capabilities: readonly Capability[];
  /**
   * The directory roles whose limits on targets an application holding this permission shares: an application
   * with User.ReadWrite.All manages people as a User Administrator does (not admins), one with
   * UserAuthenticationMethod.ReadWrite.All manages methods as an Authentication Administrator does (not of admins).
   * An application never has the reach of a Global Administrator over other admins: that would let one client
   * secret take over every admin account.
   */
  actsAs: readonly RoleKey[];
}

// Ids: Microsoft Graph's (the same in every tenant), checked against Graph's permissions reference and the Graph
// service principal's appRoles / oauth2PermissionScopes.
export const PERMISSIONS: readonly Permission[] = [
  {
    value: 'User.Read',
    appRoleId: null,
    scopeId: 'e1fe6dd8-ba31-4d61-89e7-88639da4683d',
    adminConsentDisplayName: 'Sign in and read user profile',
    description: 'Allows the app to read the profile of the signed-in user.',
    capabilities: [],
    actsAs: [],
  },
  {
    value: 'User.Read.All',
    appRoleId: 'df021288-bdef-4463-88db-98f22de89214',
    scopeId: 'a154be20-db9c-4678-8ab7-66f6cc099a59',
    adminConsentDisplayName: "Read all users' full profiles",
    description: 'Allows the app to read users, groups and roles of the directory.',
    capabilities: ['directory.read'],
    actsAs: [],
  },
  {
    value: 'User.ReadWrite.All',
    appRoleId: '741f803b-c850-494e-b5df-cde7c675a1ca',
    scopeId: '204e0828-b5ca-4ad8-b9f3-f32a958e7cc4',
    adminConsentDisplayName: "Read and write all users' full profiles",
    description:
      'Allows the app to read the directory and to create, update, disable and delete users without admin roles.',
    capabilities: ['directory.read', 'users.write'],
    actsAs: ['userAdministrator'],
  },
  {
    value: 'Directory.Read.All',
    appRoleId: '7ab1d382-f21e-4acd-a863-ba3e13f7da61',
    scopeId: '06da0dbc-49e2-44d2-8312-53f166ab848a',
    adminConsentDisplayName: 'Read directory data',
    description: 'Allows the app to read users, groups, roles and application registrations of the directory.',
    capabilities: ['directory.read', 'applications.read'],
    actsAs: [],
  },
  {
    value: 'Group.ReadWrite.All',
    appRoleId: '62a82d76-70ea-41e2-9197-370581804d09',
    scopeId: '4e46008b-f24c-477d-8fff-7bb4ec7aafe0',
    adminConsentDisplayName: 'Read and write all groups',
    description: 'Allows the app to create and delete groups and manage their members.',
    capabilities: ['groups.write'],
    actsAs: [],
  },
  {
    value: 'UserAuthenticationMethod.Read.All',
    appRoleId: '38d9df27-64da-44fd-b7c5-a6fbac20248f',
    scopeId: 'aec28ec7-4d02-4e8c-b864-50163aea77eb',
    adminConsentDisplayName: "Read all users' authentication methods",
    description: 'Allows the app to read the authentication methods of users without admin roles.',
    capabilities: ['methods.read'],
    actsAs: ['authenticationAdministrator'],
  },
  {
    value: 'UserAuthenticationMethod.ReadWrite.All',
    appRoleId: '50483e42-d915-4231-9639-7fdb7fd190e5',
    scopeId: 'b7887744-6746-4312-813d-72daeaee7e2d',
    adminConsentDisplayName: "Read and write all users' authentication methods",
    description:
      'Allows the app to read, issue and delete authentication methods (Temporary Access Passes, passkeys) of users without admin roles.',
    capabilities: ['methods.read', 'methods.write'],
    actsAs: ['authenticationAdministrator'],
  },
  {
    value: 'Policy.Read.All',
    appRoleId: '246dd0d5-5bd0-4def-940b-0421030a5b68',
    scopeId: '572fea84-0151-49b2-9301-11cb16974376',
    adminConsentDisplayName: "Read your organization's policies",
    description: 'Allows the app to read the authentication methods policy.',
    capabilities: ['tapPolicy.read'],
    actsAs: [],
  },
  {
    value: 'Policy.ReadWrite.AuthenticationMethod',
    appRoleId: '29c18626-4985-4dcd-85c0-193eef327366',
    scopeId: '7e823077-d88e-468f-a337-e18f1f0e6c7c',
    adminConsentDisplayName: 'Read and write all authentication method policies',
    description: 'Allows the app to read and change the authentication methods policy.',
    capabilities: ['tapPolicy.read', 'tapPolicy.write'],
    actsAs: [],
  },
  {
    value: 'AuditLog.Read.All',
    appRoleId: 'b0afded3-3588-46d8-8b3d-9842eff778da',
    scopeId: 'e4c9e354-4dc5-45b8-9e7c-e1393b0b1a20',
    adminConsentDisplayName: 'Read all audit log data',
    description: 'Allows the app to read the directory audit log and the sign-in log.',
    capabilities: ['auditLogs.read'],
    actsAs: [],
  },
  {
    value: 'Application.ReadWrite.All',
    appRoleId: '1bfefb4e-e0b5-418b-a88f-73c46d2cc8e9',
    scopeId: 'bdfbf15f-ee85-4955-8675-146e8e5296b5',
    adminConsentDisplayName: 'Read and write all applications',
    description:
      'Allows the app to create, change and delete application registrations and their client secrets (so it can act as any of them).',
    capabilities: ['applications.read', 'applications.write'],
    actsAs: [],
  },
  {
    value: 'RoleManagement.ReadWrite.Directory',
    appRoleId: '9e3f62cf-ca93-4989-b6ce-bf83c28f9fe8',
    scopeId: 'd01b97e9-cbc0-49fe-810a-750afd5527a3',
    adminConsentDisplayName: 'Read and write all directory RBAC settings',
    description: 'Allows the app to assign and remove directory roles, Global Administrator included.',
    capabilities: ['roles.write'],
    actsAs: [],
  },
];

const BY_VALUE = new Map(PERMISSIONS.map((p) => [p.value.toLowerCase(), p]));
const BY_APP_ROLE_ID = new Map(PERMISSIONS.filter((p) => p.appRoleId).map((p) => [p.appRoleId!, p]));
const BY_SCOPE_ID = new Map(PERMISSIONS.filter((p) => p.scopeId).map((p) => [p.scopeId!, p]));

/** By name, case-insensitively (Entra compares permission values that way). */
export function permissionByValue(value: string): Permission | undefined {
  return BY_VALUE.get(value.toLowerCase());
}

export function applicationPermissionById(appRoleId: string): Permission | undefined {
  return BY_APP_ROLE_ID.get(appRoleId.toLowerCase());
}

export function delegatedPermissionById(scopeId: string): Permission | undefined {
  return BY_SCOPE_ID.get(scopeId.toLowerCase());
}

export const APPLICATION_PERMISSIONS = PERMISSIONS.filter((p) => p.appRoleId !== null);
export const DELEGATED_PERMISSIONS = PERMISSIONS.filter((p) => p.scopeId !== null);

/** The capabilities a set of permissions grants together. */
export function capabilitiesOf(permissions: readonly Permission[]): Set<Capability> {
  return new Set(permissions.flatMap((p) => p.capabilities));
}

/** The permission names that grant a capability: what a 403 names as missing. */
export function permissionsGranting(capability: Capability, kind: 'application' | 'delegated'): string[] {
  return (kind === 'application' ? APPLICATION_PERMISSIONS : DELEGATED_PERMISSIONS)
    .filter((p) => p.capabilities.includes(capability))
    .map((p) => p.value);
}

/**
 * The permission a requested scope names, in any of the forms clients send: `User.Read.All`,
 * `{resource}/User.Read.All` with the API's identifier or Graph's. `.default` and anything else give undefined.
 */
export function permissionOfScope(scope: string, resources: readonly string[]): Permission | undefined {
  const slash = scope.lastIndexOf('/');
  if (slash === -1) return permissionByValue(scope);
  if (!isResourceIdentifier(scope.slice(0, slash), resources)) return undefined;
  return permissionByValue(scope.slice(slash + 1));
}

/** True for `{resource}/.default` with one of the API's identifiers (or a bare `.default`). */
export function isDefaultScope(scope: string, resources: readonly string[]): boolean {
  if (scope === DEFAULT_SCOPE) return true;
  const slash = scope.lastIndexOf('/');
  return (
    slash !== -1 && scope.slice(slash + 1) === DEFAULT_SCOPE && isResourceIdentifier(scope.slice(0, slash), resources)
  );
}

/** Compares resource identifiers as URLs, ignoring a trailing slash (`https://host` and `https://host/` are one). */
export function isResourceIdentifier(candidate: string, resources: readonly string[]): boolean {
  const normal = normaliseResource(candidate);
  return normal !== null && resources.some((r) => normaliseResource(r) === normal);
}

function normaliseResource(value: string): string | null {
  try {
    const url = new URL(value);
    if (url.search || url.hash || url.username || url.password) return null;
    return `${url.protocol}//${url.host.toLowerCase()}${url.pathname.replace(/\/+$/, '')}`;
  } catch {
    return null;
  }
}

/**
 * The delegated permissions a token's scopes name (short or full forms, `.default` expanded to `defaultScopes`),
 * in catalogue order: the `scp` claim.
 */
export function delegatedPermissionsOfScopes(
  scopes: Iterable<string>,
  resources: readonly string[],
  defaultScopes: readonly Permission[] = [],
): Permission[] {
  const found = new Set<Permission>();
  for (const scope of scopes) {
    if (isDefaultScope(scope, resources)) for (const p of defaultScopes) if (p.scopeId) found.add(p);
    const permission = permissionOfScope(scope, resources);
    if (permission?.scopeId) found.add(permission);
  }
  return DELEGATED_PERMISSIONS.filter((p) => found.has(p));
}

/** Every scope string the API accepts for one resource identifier: short names, full names and `.default`. */
export function scopesOfResource(resource: string): string[] {
  const base = resource.replace(/\/+$/, '');
  return [
    ...PERMISSIONS.map((p) => p.value),
    ...PERMISSIONS.map((p) => `${base}/${p.value}`),
    `${base}/${DEFAULT_SCOPE}`,
    `${base}//${DEFAULT_SCOPE}`,
  ];
}

/** The delegated permissions an application registration lists in requiredResourceAccess for this API. */
export function requestedDelegatedPermissions(
  requiredResourceAccess: readonly { resourceAppId: string; resourceAccess: readonly { id: string; type: string }[] }[],
): Permission[] {
  const out = new Set<Permission>();
  for (const entry of requiredResourceAccess) {
    if (entry.resourceAppId.toLowerCase() !== GRAPH_RESOURCE_APP_ID) continue;
    for (const access of entry.resourceAccess) {
      const permission = access.type === 'Scope' ? delegatedPermissionById(access.id) : undefined;
      if (permission) out.add(permission);
    }
  }
  return DELEGATED_PERMISSIONS.filter((p) => out.has(p));
}
