// Directory audit records with Entra's activity names and result reasons (graph-entra.md §6).
export interface Actor {
  /** 'app': an application acting with its own permissions (a client-credentials token); `id` is its service principal. */
  kind: 'user' | 'system' | 'app';
  id: string | null;
  userPrincipalName: string | null;
  displayName: string | null;
  ipAddress: string;
  /** The application's appId (client id), for kind 'app'. */
  appId?: string | null;
}

export interface TargetResource {
  id: string;
  displayName: string | null;
  type: 'User' | 'Group' | 'Policy' | 'Role' | 'SigningKey' | 'Application' | 'ServicePrincipal';
  userPrincipalName?: string | null;
  modifiedProperties?: { displayName: string; oldValue: string | null; newValue: string | null }[];
}

export interface AuditEvent {
  activityDisplayName: string;
  category:
    | 'UserManagement'
    | 'GroupManagement'
    | 'RoleManagement'
    | 'Policy'
    | 'KeyManagement'
    | 'ApplicationManagement';
  loggedByService: 'Core Directory' | 'Authentication Methods';
  operationType: 'Add' | 'Update' | 'Delete' | 'Assign' | 'Unassign';
  result: 'success' | 'failure';
  resultReason: string;
  initiatedBy: Actor;
  targetResources: TargetResource[];
  additionalDetails: { key: string; value: string }[];
}

type Draft = Omit<AuditEvent, 'initiatedBy' | 'targetResources' | 'additionalDetails' | 'result'> & {
  result?: AuditEvent['result'];
};

/** The activities Passless records. Entra's names where Entra has one. */
export const ACTIVITIES = {
  addUser: {
    activityDisplayName: 'Add user',
    category: 'UserManagement',
    loggedByService: 'Core Directory',
    operationType: 'Add',
    resultReason: '',
  },
  updateUser: {
    activityDisplayName: 'Update user',
    category: 'UserManagement',
    loggedByService: 'Core Directory',
    operationType: 'Update',
    resultReason: '',
  },
  deleteUser: {
    activityDisplayName: 'Delete user',
    category: 'UserManagement',
    loggedByService: 'Core Directory',
    operationType: 'Delete',
    resultReason: '',
  },
  disableAccount: {
    activityDisplayName: 'Disable account',
    category: 'UserManagement',
    loggedByService: 'Core Directory',
    operationType: 'Update',
    resultReason: 'Account disabled; its sessions were ended',
  },
  enableAccount: {
    activityDisplayName: 'Enable account',
    category: 'UserManagement',
    loggedByService: 'Core Directory',
    operationType: 'Update',
    resultReason: '',
  },
  addGroup: {
    activityDisplayName: 'Add group',
    category: 'GroupManagement',
    loggedByService: 'Core Directory',
    operationType: 'Add',
    resultReason: '',
  },
  deleteGroup: {
    activityDisplayName: 'Delete group',
    category: 'GroupManagement',
    loggedByService: 'Core Directory',
    operationType: 'Delete',
    resultReason: '',
  },
  addGroupMember: {
    activityDisplayName: 'Add member to group',
    category: 'GroupManagement',
    loggedByService: 'Core Directory',
    operationType: 'Add',
    resultReason: '',
  },
  removeGroupMember: {
    activityDisplayName: 'Remove member from group',
    category: 'GroupManagement',
    loggedByService: 'Core Directory',
    operationType: 'Delete',
    resultReason: '',
  },
  addRoleMember: {
    activityDisplayName: 'Add member to role',
    category: 'RoleManagement',
    loggedByService: 'Core Directory',
    operationType: 'Assign',
    resultReason: '',
  },
  removeRoleMember: {
    activityDisplayName: 'Remove member from role',
    category: 'RoleManagement',
    loggedByService: 'Core Directory',
    operationType: 'Unassign',
    resultReason: '',
  },
  adminRegisteredTap: {
    activityDisplayName: 'Admin registered security info',
    category: 'UserManagement',
    loggedByService: 'Authentication Methods',
    operationType: 'Add',
    resultReason: 'Admin registered temporary access pass method for user',
  },
  adminDeletedTap: {
    activityDisplayName: 'Admin deleted security info',
    category: 'UserManagement',
    loggedByService: 'Authentication Methods',
    operationType: 'Delete',
    resultReason: 'Admin deleted temporary access pass method for user',
  },
  userDeletedTap: {
    activityDisplayName: 'User deleted security info',
    category: 'UserManagement',
    loggedByService: 'Authentication Methods',
    operationType: 'Delete',
    resultReason: 'User deleted temporary access pass method',
  },
  tapRetired: {
    activityDisplayName: 'Delete temporary access pass',
    category: 'UserManagement',
    loggedByService: 'Authentication Methods',
    operationType: 'Delete',
    resultReason: 'Temporary access pass retired after the first passkey was registered',
  },
  userRegisteredPasskey: {
    activityDisplayName: 'User registered security info',
    category: 'UserManagement',
    loggedByService: 'Authentication Methods',
    operationType: 'Add',
    resultReason: 'User registered Passkey',
  },
  userUpdatedPasskey: {
    activityDisplayName: 'User updated security info',
    category: 'UserManagement',
    loggedByService: 'Authentication Methods',
    operationType: 'Update',
    resultReason: 'User updated Passkey',
  },
  userDeletedPasskey: {
    activityDisplayName: 'User deleted security info',
    category: 'UserManagement',
    loggedByService: 'Authentication Methods',
    operationType: 'Delete',
    resultReason: 'User deleted Passkey',
  },
  adminDeletedPasskey: {
    activityDisplayName: 'Admin deleted security info',
    category: 'UserManagement',
    loggedByService: 'Authentication Methods',
    operationType: 'Delete',
    resultReason: 'Admin deleted Passkey for user',
  },
  updateTapPolicy: {
    activityDisplayName: 'Update authentication methods policy',
    category: 'Policy',
    loggedByService: 'Authentication Methods',
    operationType: 'Update',
    resultReason: 'Temporary Access Pass policy updated',
  },
  bootstrapAdmin: {
    activityDisplayName: 'Bootstrap Global Administrator',
    category: 'RoleManagement',
    loggedByService: 'Core Directory',
    operationType: 'Add',
    resultReason: 'Break-glass: Global Administrator and one-time Temporary Access Pass issued from the server host',
  },
  // Entra logs its own key rollovers under KeyManagement; Passless's token-signing keys are ours to log.
  addSigningKeys: {
    activityDisplayName: 'Add token signing keys',
    category: 'KeyManagement',
    loggedByService: 'Core Directory',
    operationType: 'Add',
    resultReason: 'Token signing keys created on first start',
  },
  rotateSigningKeys: {
    activityDisplayName: 'Rotate token signing keys',
    category: 'KeyManagement',
    loggedByService: 'Core Directory',
    operationType: 'Update',
    resultReason: 'New token signing keys; the replaced keys stay published until their tokens expire',
  },
  addApplication: {
    activityDisplayName: 'Add application',
    category: 'ApplicationManagement',
    loggedByService: 'Core Directory',
    operationType: 'Add',
    resultReason: '',
  },
  updateApplication: {
    activityDisplayName: 'Update application',
    category: 'ApplicationManagement',
    loggedByService: 'Core Directory',
    operationType: 'Update',
    resultReason: '',
  },
  deleteApplication: {
    activityDisplayName: 'Delete application',
    category: 'ApplicationManagement',
    loggedByService: 'Core Directory',
    operationType: 'Delete',
    resultReason: '',
  },
  // Entra's activity for addPassword / removePassword. The secret itself is never recorded.
  updateApplicationSecrets: {
    activityDisplayName: 'Update application – Certificates and secrets management',
    category: 'ApplicationManagement',
    loggedByService: 'Core Directory',
    operationType: 'Update',
    resultReason: '',
  },
  // Entra's activities for granting and revoking an application permission (admin consent to an app role).
  addAppRoleAssignment: {
    activityDisplayName: 'Add app role assignment to service principal',
    category: 'ApplicationManagement',
    loggedByService: 'Core Directory',
    operationType: 'Assign',
    resultReason: '',
  },
  removeAppRoleAssignment: {
    activityDisplayName: 'Remove app role assignment from service principal',
    category: 'ApplicationManagement',
    loggedByService: 'Core Directory',
    operationType: 'Unassign',
    resultReason: '',
  },
  // Entra's activities when a person consents to an application and when that consent (a delegated permission
  // grant) is taken back.
  consentToApplication: {
    activityDisplayName: 'Consent to application',
    category: 'ApplicationManagement',
    loggedByService: 'Core Directory',
    operationType: 'Assign',
    resultReason: '',
  },
  removeDelegatedPermissionGrant: {
    activityDisplayName: 'Remove delegated permission grant',
    category: 'ApplicationManagement',
    loggedByService: 'Core Directory',
    operationType: 'Unassign',
    resultReason: 'Consent revoked; the tokens the application held for this person were revoked',
  },
} as const satisfies Record<string, Draft>;

export type Activity = keyof typeof ACTIVITIES;

export function auditEvent(
  activity: Activity,
  input: {
    initiatedBy: Actor;
    targets: TargetResource[];
    details?: Record<string, string>;
    resultReason?: string;
  },
): AuditEvent {
  const draft = ACTIVITIES[activity];
  return {
    ...draft,
    result: 'success',
    resultReason: input.resultReason ?? draft.resultReason,
    initiatedBy: input.initiatedBy,
    targetResources: input.targets,
    additionalDetails: Object.entries(input.details ?? {}).map(([key, value]) => ({ key, value })),
  };
}

export function systemActor(ipAddress = '127.0.0.1'): Actor {
  return { kind: 'system', id: null, userPrincipalName: null, displayName: 'Passless', ipAddress };
}

export function appActor(
  app: { servicePrincipalId: string; appId: string; displayName: string },
  ipAddress: string,
): Actor {
  return {
    kind: 'app',
    id: app.servicePrincipalId,
    appId: app.appId,
    userPrincipalName: null,
    displayName: app.displayName,
    ipAddress,
  };
}

export function userTarget(user: { id: string; displayName: string; userPrincipalName: string }): TargetResource {
  return { id: user.id, displayName: user.displayName, type: 'User', userPrincipalName: user.userPrincipalName };
}
