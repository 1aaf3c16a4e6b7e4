import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  APPLICATION_PERMISSIONS,
  applicationPermissionById,
  DELEGATED_PERMISSIONS,
  delegatedPermissionById,
  delegatedPermissionsOfScopes,
  isDefaultScope,
  PERMISSIONS,
  permissionOfScope,
  permissionsGranting,
  requestedDelegatedPermissions,
} from './permissions.ts';

const API = ['https://passless.contoso.test', 'https://graph.microsoft.com'];

describe('the permission catalogue', () => {
  test("Graph's ids, so requiredResourceAccess written for Entra means the same here", () => {
    assert.equal(applicationPermissionById('741f803b-c850-494e-b5df-cde7c675a1ca')?.value, 'User.ReadWrite.All');
    assert.equal(delegatedPermissionById('204e0828-b5ca-4ad8-b9f3-f32a958e7cc4')?.value, 'User.ReadWrite.All');
    assert.equal(applicationPermissionById('B0AFDED3-3588-46D8-8B3D-9842EFF778DA')?.value, 'AuditLog.Read.All');
    assert.equal(delegatedPermissionById('e1fe6dd8-ba31-4d61-89e7-88639da4683d')?.value, 'User.Read');
    // A delegated id is not an application permission, and the other way round.
    assert.equal(applicationPermissionById('204e0828-b5ca-4ad8-b9f3-f32a958e7cc4'), undefined);
    assert.equal(delegatedPermissionById('741f803b-c850-494e-b5df-cde7c675a1ca'), undefined);
  });

  test('every id and name is unique, and every permission but User.Read grants something', () => {
    const ids = PERMISSIONS.flatMap((p) => [p.appRoleId, p.scopeId]).filter(Boolean);
    assert.equal(new Set(ids).size, ids.length);
    assert.equal(new Set(PERMISSIONS.map((p) => p.value)).size, PERMISSIONS.length);
    for (const p of PERMISSIONS) if (p.value !== 'User.Read') assert.ok(p.capabilities.length > 0, p.value);
    assert.ok(APPLICATION_PERMISSIONS.length >= 11 && DELEGATED_PERMISSIONS.length >= 12);
  });

  test('a refusal can name the permissions that would grant a capability', () => {
    assert.deepEqual(permissionsGranting('auditLogs.read', 'application'), ['AuditLog.Read.All']);
    assert.deepEqual(permissionsGranting('users.write', 'delegated'), ['User.ReadWrite.All']);
    assert.ok(permissionsGranting('directory.read', 'application').includes('Directory.Read.All'));
  });
});

describe('scopes as clients send them', () => {
  test('short, full and Graph forms name the same permission; other resources name none', () => {
    assert.equal(permissionOfScope('User.Read.All', API)?.value, 'User.Read.All');
    assert.equal(permissionOfScope('https://passless.contoso.test/User.Read.All', API)?.value, 'User.Read.All');
    assert.equal(permissionOfScope('https://passless.contoso.test//user.read.all', API)?.value, 'User.Read.All');
    assert.equal(permissionOfScope('https://graph.microsoft.com/AuditLog.Read.All', API)?.value, 'AuditLog.Read.All');
    assert.equal(permissionOfScope('https://evil.test/User.Read.All', API), undefined);
    assert.equal(permissionOfScope('openid', API), undefined);
  });

  test('.default is recognised only for the API', () => {
    assert.ok(isDefaultScope('https://passless.contoso.test/.default', API));
    assert.ok(isDefaultScope('https://graph.microsoft.com//.default', API));
    assert.ok(!isDefaultScope('https://evil.test/.default', API));
  });

  test('scp: the delegated permissions named, .default expanded to what the registration requests', () => {
    const requested = requestedDelegatedPermissions([
      {
        resourceAppId: '00000003-0000-0000-c000-000000000000',
        resourceAccess: [
          { id: 'e1fe6dd8-ba31-4d61-89e7-88639da4683d', type: 'Scope' },
          // An application permission is not a delegated one, even when listed.
          { id: 'b0afded3-3588-46d8-8b3d-9842eff778da', type: 'Role' },
        ],
      },
      { resourceAppId: '00000002-0000-0000-c000-000000000000', resourceAccess: [{ id: 'x', type: 'Scope' }] },
    ]);
    assert.deepEqual(
      requested.map((p) => p.value),
      ['User.Read'],
    );
    const scp = delegatedPermissionsOfScopes(
      ['openid', 'https://passless.contoso.test/.default', 'https://passless.contoso.test/AuditLog.Read.All'],
      API,
      requested,
    );
    assert.deepEqual(
      scp.map((p) => p.value),
      ['User.Read', 'AuditLog.Read.All'],
    );
  });
});
