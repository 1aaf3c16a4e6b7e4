// Users, role assignments and groups, each change committed with its audit record.
import { randomUUID } from 'node:crypto';
import { type Actor, type TargetResource, userTarget } from '../core/audit/audit.ts';
import { ROLE_LIST, type RoleKey } from '../core/directory/roles.ts';
import { parseUserCreate, parseUserUpdate, type User } from '../core/directory/users.ts';
import { PasslessError } from '../core/errors.ts';
import { isUuid } from '../core/ids.ts';
import type { Db } from '../storage/database.ts';
import * as groups from '../storage/repositories/groups.repository.ts';
import * as roles from '../storage/repositories/roles.repository.ts';
import { deleteSessionsOfUser } from '../storage/repositories/sessions.repository.ts';
import * as users from '../storage/repositories/users.repository.ts';
import { auditedChange } from './audited-change.ts';
import type { Deps, RequestContext } from './deps.ts';

/** Graph addresses a user by id or by userPrincipalName. */
export async function findUser(db: Db, idOrUpn: string): Promise<User> {
  const user = isUuid(idOrUpn)
    ? await users.getUserById(db, idOrUpn.toLowerCase())
    : await users.getUserByUpn(db, idOrUpn);
  if (!user) {
    throw new PasslessError('itemNotFound', {
      detail: `Resource '${idOrUpn.slice(0, 200)}' does not exist or one of its queried reference-property objects are not present.`,
    });
  }
  return user;
}

export async function createUser(deps: Deps, ctx: RequestContext, actor: Actor, body: Record<string, unknown>) {
  const fields = parseUserCreate(body);
  return auditedChange(deps, ctx, async ({ trx, now, audit }) => {
    const user = await users.createUser(trx, { ...fields, id: randomUUID(), createdAt: now });
    if (!user) {
      throw new PasslessError('conflict', {
        detail: `Another object with the same value for property userPrincipalName already exists (${fields.userPrincipalName}).`,
      });
    }
    await audit('addUser', { initiatedBy: actor, targets: [userTarget(user)] });
    return user;
  });
}

export async function updateUser(
  deps: Deps,
  ctx: RequestContext,
  actor: Actor,
  target: User,
  body: Record<string, unknown>,
) {
  const changes = parseUserUpdate(body);
  if (changes.accountEnabled === false && actor.id === target.id) {
    throw new PasslessError('badRequest', { detail: 'You cannot disable your own account.' });
  }
  return auditedChange(deps, ctx, async ({ trx, now, audit }) => {
    if (changes.userPrincipalName !== undefined) {
      const other = await users.getUserByUpn(trx, changes.userPrincipalName);
      if (other && other.id !== target.id) {
        throw new PasslessError('conflict', {
          detail: `Another object with the same value for property userPrincipalName already exists (${changes.userPrincipalName}).`,
        });
      }
    }
    const updated = await users.updateUser(trx, target.id, changes, now);
    if (!updated) throw new PasslessError('itemNotFound');
    const modifiedProperties = Object.keys(changes).map((key) => ({
      displayName: key,
      oldValue: JSON.stringify((target as unknown as Record<string, unknown>)[key] ?? null),
      newValue: JSON.stringify((updated as unknown as Record<string, unknown>)[key] ?? null),
    }));
    const targets: TargetResource[] = [{ ...userTarget(updated), modifiedProperties }];
    await audit('updateUser', { initiatedBy: actor, targets });
    if (changes.accountEnabled === false && target.accountEnabled) {
      // ASVS 7.4.2: disabling an account ends all of its sessions.
      await deleteSessionsOfUser(trx, target.id);
      await audit('disableAccount', { initiatedBy: actor, targets });
    } else if (changes.accountEnabled === true && !target.accountEnabled) {
      await audit('enableAccount', { initiatedBy: actor, targets });
    }
    return updated;
  });
}

export async function deleteUser(deps: Deps, ctx: RequestContext, actor: Actor, target: User): Promise<void> {
  if (actor.id === target.id) throw new PasslessError('badRequest', { detail: 'You cannot delete your own account.' });
  await auditedChange(deps, ctx, async ({ trx, audit }) => {
    if (!(await users.deleteUser(trx, target.id))) throw new PasslessError('itemNotFound');
    await audit('deleteUser', { initiatedBy: actor, targets: [userTarget(target)] });
  });
}

export function findRole(idOrTemplateId: string): (typeof ROLE_LIST)[number] {
  const role = ROLE_LIST.find((r) => r.id === idOrTemplateId.toLowerCase());
  if (!role)
    throw new PasslessError('itemNotFound', { detail: `No directory role with id ${idOrTemplateId.slice(0, 64)}.` });
  return role;
}

export async function assignRole(
  deps: Deps,
  ctx: RequestContext,
  actor: Actor,
  role: { id: string; displayName: string },
  target: User,
): Promise<void> {
  await auditedChange(deps, ctx, async ({ trx, now, audit }) => {
    if (!(await roles.addRoleMember(trx, role.id, target.id, now))) {
      throw new PasslessError('badRequest', {
        detail: "One or more added object references already exist for the following modified properties: 'members'.",
      });
    }
    await audit('addRoleMember', {
      initiatedBy: actor,
      targets: [userTarget(target), { id: role.id, displayName: role.displayName, type: 'Role' }],
    });
  });
}

export async function unassignRole(
  deps: Deps,
  ctx: RequestContext,
  actor: Actor,
  role: { id: string; displayName: string; key: RoleKey },
  target: User,
): Promise<void> {
  await auditedChange(deps, ctx, async ({ trx, audit }) => {
    if (!(await roles.removeRoleMember(trx, role.id, target.id))) {
      throw new PasslessError('itemNotFound', { detail: 'This user does not hold this role.' });
    }
    // Never leave the directory without a Global Administrator who could fix things.
    if (role.key === 'globalAdministrator' && (await roles.countRoleMembers(trx, role.id)) === 0) {
      throw new PasslessError('badRequest', {
        detail: 'The last Global Administrator cannot be removed from the role.',
      });
    }
    await audit('removeRoleMember', {
      initiatedBy: actor,
      targets: [userTarget(target), { id: role.id, displayName: role.displayName, type: 'Role' }],
    });
  });
}

export async function createGroup(deps: Deps, ctx: RequestContext, actor: Actor, body: Record<string, unknown>) {
  const displayName = body.displayName;
  if (typeof displayName !== 'string' || displayName.trim() === '' || displayName.length > 256) {
    throw new PasslessError('badRequest', {
      detail: 'displayName must be a non-empty string of at most 256 characters.',
    });
  }
  const description = body.description ?? null;
  if (description !== null && (typeof description !== 'string' || description.length > 1024)) {
    throw new PasslessError('badRequest', { detail: 'description must be a string of at most 1024 characters.' });
  }
  const mailNickname =
    typeof body.mailNickname === 'string' && body.mailNickname
      ? body.mailNickname
      : displayName.replace(/[^A-Za-z0-9]/g, '').slice(0, 64) || 'group';
  return auditedChange(deps, ctx, async ({ trx, now, audit }) => {
    const group = await groups.createGroup(trx, {
      id: randomUUID(),
      displayName: displayName.trim(),
      description,
      mailNickname,
      createdAt: now,
    });
    await audit('addGroup', {
      initiatedBy: actor,
      targets: [{ id: group.id, displayName: group.displayName, type: 'Group' }],
    });
    return group;
  });
}

export async function deleteGroup(deps: Deps, ctx: RequestContext, actor: Actor, group: groups.Group): Promise<void> {
  await auditedChange(deps, ctx, async ({ trx, audit }) => {
    if (!(await groups.deleteGroup(trx, group.id))) throw new PasslessError('itemNotFound');
    await audit('deleteGroup', {
      initiatedBy: actor,
      targets: [{ id: group.id, displayName: group.displayName, type: 'Group' }],
    });
  });
}

export async function changeGroupMember(
  deps: Deps,
  ctx: RequestContext,
  actor: Actor,
  change: { group: groups.Group; user: User; add: boolean },
): Promise<void> {
  await auditedChange(deps, ctx, async ({ trx, audit }) => {
    const changed = change.add
      ? await groups.addGroupMember(trx, change.group.id, change.user.id)
      : await groups.removeGroupMember(trx, change.group.id, change.user.id);
    if (!changed) {
      throw change.add
        ? new PasslessError('badRequest', {
            detail:
              "One or more added object references already exist for the following modified properties: 'members'.",
          })
        : new PasslessError('itemNotFound', { detail: 'This user is not a member of the group.' });
    }
    await audit(change.add ? 'addGroupMember' : 'removeGroupMember', {
      initiatedBy: actor,
      targets: [userTarget(change.user), { id: change.group.id, displayName: change.group.displayName, type: 'Group' }],
    });
  });
}
