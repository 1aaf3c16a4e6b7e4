// Directory roles with Entra's names and role template ids, and who may do what to whom (graph-entra.md §3).
export const ROLES = {
  globalAdministrator: { id: '62e90394-69f5-4237-9190-012177145e10', displayName: 'Global Administrator' },
  privilegedRoleAdministrator: {
    id: 'e8611ab8-c189-46e8-94e1-60213ab1f814',
    displayName: 'Privileged Role Administrator',
  },
  privilegedAuthenticationAdministrator: {
    id: '7be44c8a-adaf-4e2a-84d6-ab2649e08a13',
    displayName: 'Privileged Authentication Administrator',
  },
  authenticationAdministrator: {
    id: 'c4e39bd9-1100-46d3-8c65-fb160da0071f',
    displayName: 'Authentication Administrator',
  },
  authenticationPolicyAdministrator: {
    id: '0526716b-113d-4c15-b2c8-68e3c22b9f80',
    displayName: 'Authentication Policy Administrator',
  },
  userAdministrator: { id: 'fe930be7-5e62-47db-91af-98c3a49a38b1', displayName: 'User Administrator' },
  globalReader: { id: 'f2ef992c-3afb-46b9-b7cf-a126ee74c451', displayName: 'Global Reader' },
  applicationAdministrator: {
    id: '9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3',
    displayName: 'Application Administrator',
  },
  cloudApplicationAdministrator: {
    id: '158c047a-a9f4-4a8c-8a0a-2bc1b8f0e2f2',
    displayName: 'Cloud Application Administrator',
  },
} as const;

export type RoleKey = keyof typeof ROLES;
export const ROLE_LIST = Object.entries(ROLES).map(([key, role]) => ({ key: key as RoleKey, ...role }));

const DESCRIPTIONS: Record<RoleKey, string> = {
  globalAdministrator: 'Can manage all aspects of the directory, methods and policies.',
  privilegedRoleAdministrator: 'Can manage role assignments.',
  privilegedAuthenticationAdministrator:
    'Can view, set and reset authentication method information for any user, admins included.',
  authenticationAdministrator: 'Can view, set and reset authentication method information for non-admin users.',
  authenticationPolicyAdministrator: 'Can configure the authentication methods policy.',
  userAdministrator: 'Can manage users and groups that hold no admin role.',
  globalReader: 'Can read everything a Global Administrator can, but not change anything or see secrets.',
  applicationAdministrator: 'Can create and manage all aspects of app registrations.',
  cloudApplicationAdministrator: 'Can create and manage all aspects of app registrations.',
};

export function describeRole(key: RoleKey): string {
  return DESCRIPTIONS[key];
}

export function roleKeyOfTemplateId(templateId: string): RoleKey | undefined {
  return ROLE_LIST.find((r) => r.id === templateId.toLowerCase())?.key;
}

export type Capability =
  | 'directory.read'
  | 'users.write'
  | 'roles.write'
  | 'methods.read'
  | 'methods.write'
  | 'tapPolicy.read'
  | 'tapPolicy.write'
  | 'auditLogs.read'
  | 'applications.read'
  | 'applications.write'
  | 'groups.write'
  | 'appRoleAssignments.write';

const GRANTS: Record<Capability, readonly RoleKey[]> = {
  'directory.read': Object.keys(ROLES) as RoleKey[],
  'users.write': ['globalAdministrator', 'userAdministrator'],
  'roles.write': ['globalAdministrator', 'privilegedRoleAdministrator'],
  'methods.read': [
    'globalAdministrator',
    'privilegedAuthenticationAdministrator',
    'authenticationAdministrator',
    'globalReader',
  ],
  'methods.write': ['globalAdministrator', 'privilegedAuthenticationAdministrator', 'authenticationAdministrator'],
  // Admins who issue passes need to see the bounds they issue within.
  'tapPolicy.read': [
    'globalAdministrator',
    'authenticationPolicyAdministrator',
    'globalReader',
    'privilegedAuthenticationAdministrator',
    'authenticationAdministrator',
  ],
  'tapPolicy.write': ['globalAdministrator', 'authenticationPolicyAdministrator'],
  'auditLogs.read': ['globalAdministrator', 'globalReader'],
  // Every admin role may read application registrations, as directory.read; apps need it on its own.
  'applications.read': Object.keys(ROLES) as RoleKey[],
  'applications.write': ['globalAdministrator', 'applicationAdministrator', 'cloudApplicationAdministrator'],
  'groups.write': ['globalAdministrator', 'userAdministrator'],
  // Granting an application permission (admin consent) hands a client secret power over the directory: Entra keeps
  // it to the roles that may grant any role.
  'appRoleAssignments.write': ['globalAdministrator', 'privilegedRoleAdministrator'],
};

export function hasCapability(roles: readonly RoleKey[], capability: Capability): boolean {
  return roles.some((role) => GRANTS[capability].includes(role));
}

export function isAdmin(roles: readonly RoleKey[]): boolean {
  return roles.length > 0;
}

/**
 * Whether an actor may manage (issue, view or delete) authentication methods of a target, Entra's rule:
 * nobody for themselves through the admin path; a target holding any admin role needs a Privileged
 * Authentication Administrator or a Global Administrator (or, only to view, a Global Reader); other targets
 * also allow Authentication Administrator.
 */
export function canManageMethodsOf(
  actor: { id: string; roles: readonly RoleKey[] },
  target: { id: string; roles: readonly RoleKey[] },
  capability: 'methods.read' | 'methods.write',
): { allowed: true } | { allowed: false; reason: string } {
  if (capability === 'methods.write' && actor.id === target.id) {
    return { allowed: false, reason: 'You cannot manage your own authentication methods as an administrator.' };
  }
  if (!hasCapability(actor.roles, capability)) {
    return { allowed: false, reason: 'You need an authentication administrator role to do this.' };
  }
  // Viewing is restricted like changing (§3: an Authentication Administrator views passes of members only);
  // a Global Reader views everyone's methods, never a code.
  const privileged = actor.roles.some(
    (r) =>
      r === 'globalAdministrator' ||
      r === 'privilegedAuthenticationAdministrator' ||
      (r === 'globalReader' && capability === 'methods.read'),
  );
  if (isAdmin(target.roles) && !privileged) {
    return {
      allowed: false,
      reason:
        'This user holds an admin role: only a Privileged Authentication Administrator or a Global Administrator can manage their methods.',
    };
  }
  return { allowed: true };
}

/** User Administrators manage only people without admin roles; Global Administrators manage everyone. */
export function canManageUser(
  actor: { id: string; roles: readonly RoleKey[] },
  target: { roles: readonly RoleKey[] },
): boolean {
  if (actor.roles.includes('globalAdministrator')) return true;
  return actor.roles.includes('userAdministrator') && !isAdmin(target.roles);
}
