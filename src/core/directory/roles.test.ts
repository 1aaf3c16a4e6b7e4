import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { canManageMethodsOf, canManageUser, hasCapability, type RoleKey } from './roles.ts';

const actor = (...roles: RoleKey[]) => ({ id: 'actor', roles });
const member = { id: 'member', roles: [] as RoleKey[] };
const admin = { id: 'other-admin', roles: ['userAdministrator'] as RoleKey[] };

describe('who may manage whose authentication methods (Entra, graph-entra.md §3)', () => {
  test('nobody issues a pass for themselves', () => {
    const self = { id: 'actor', roles: ['globalAdministrator'] as RoleKey[] };
    assert.equal(canManageMethodsOf(self, self, 'methods.write').allowed, false);
  });
  test('an Authentication Administrator manages members but not admins', () => {
    assert.equal(canManageMethodsOf(actor('authenticationAdministrator'), member, 'methods.write').allowed, true);
    assert.equal(canManageMethodsOf(actor('authenticationAdministrator'), admin, 'methods.write').allowed, false);
    assert.equal(canManageMethodsOf(actor('authenticationAdministrator'), admin, 'methods.read').allowed, false);
  });
  test('a Privileged Authentication Administrator or a Global Administrator manages admins too', () => {
    assert.equal(
      canManageMethodsOf(actor('privilegedAuthenticationAdministrator'), admin, 'methods.write').allowed,
      true,
    );
    assert.equal(canManageMethodsOf(actor('globalAdministrator'), admin, 'methods.write').allowed, true);
  });
  test('a Global Reader views methods but cannot change them', () => {
    assert.equal(canManageMethodsOf(actor('globalReader'), admin, 'methods.read').allowed, true);
    assert.equal(canManageMethodsOf(actor('globalReader'), member, 'methods.write').allowed, false);
  });
  test('User and Authentication Policy Administrators have no access to methods', () => {
    for (const role of ['userAdministrator', 'authenticationPolicyAdministrator'] as const) {
      assert.equal(canManageMethodsOf(actor(role), member, 'methods.read').allowed, false);
    }
  });
});

describe('capabilities', () => {
  test('only Authentication Policy Administrators and Global Administrators change the TAP policy', () => {
    assert.equal(hasCapability(['authenticationPolicyAdministrator'], 'tapPolicy.write'), true);
    assert.equal(hasCapability(['globalAdministrator'], 'tapPolicy.write'), true);
    assert.equal(
      hasCapability(['authenticationAdministrator', 'globalReader', 'userAdministrator'], 'tapPolicy.write'),
      false,
    );
  });
  test('Global, Application and Cloud Application Administrators manage application registrations', () => {
    for (const role of ['globalAdministrator', 'applicationAdministrator', 'cloudApplicationAdministrator'] as const) {
      assert.equal(hasCapability([role], 'applications.write'), true);
    }
    assert.equal(hasCapability(['userAdministrator', 'globalReader'], 'applications.write'), false);
  });
  test('a User Administrator manages people without admin roles only', () => {
    assert.equal(canManageUser(actor('userAdministrator'), member), true);
    assert.equal(canManageUser(actor('userAdministrator'), admin), false);
    assert.equal(canManageUser(actor('globalAdministrator'), admin), true);
  });
});
