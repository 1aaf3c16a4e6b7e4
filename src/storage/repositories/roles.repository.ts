import { type RoleKey, roleKeyOfTemplateId } from '../../core/directory/roles.ts';
import type { Db } from '../database.ts';

export async function listRoleKeysOfUser(db: Db, userId: string): Promise<RoleKey[]> {
  const rows = await db
    .selectFrom('role_assignments')
    .select('role_template_id')
    .where('user_id', '=', userId)
    .execute();
  return rows.map((r) => roleKeyOfTemplateId(r.role_template_id)).filter((k): k is RoleKey => k !== undefined);
}

export async function addRoleMember(db: Db, roleTemplateId: string, userId: string, now: Date): Promise<boolean> {
  const result = await db
    .insertInto('role_assignments')
    .values({ role_template_id: roleTemplateId, user_id: userId, created_at: now })
    .onConflict((oc) => oc.columns(['role_template_id', 'user_id']).doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
}

export async function removeRoleMember(db: Db, roleTemplateId: string, userId: string): Promise<boolean> {
  const result = await db
    .deleteFrom('role_assignments')
    .where('role_template_id', '=', roleTemplateId)
    .where('user_id', '=', userId)
    .executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

export async function listRoleMemberIds(db: Db, roleTemplateId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('role_assignments')
    .select('user_id')
    .where('role_template_id', '=', roleTemplateId)
    .orderBy('created_at')
    .execute();
  return rows.map((r) => r.user_id);
}

export async function countRoleMembers(db: Db, roleTemplateId: string): Promise<number> {
  return (await listRoleMemberIds(db, roleTemplateId)).length;
}
