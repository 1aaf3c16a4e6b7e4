import type { Db } from '../database.ts';

export interface Group {
  id: string;
  displayName: string;
  description: string | null;
  mailNickname: string;
  createdAt: Date;
}

function toGroup(row: {
  id: string;
  display_name: string;
  description: string | null;
  mail_nickname: string;
  created_at: Date | string;
}): Group {
  return {
    id: row.id,
    displayName: row.display_name,
    description: row.description,
    mailNickname: row.mail_nickname,
    createdAt: new Date(row.created_at),
  };
}

export async function createGroup(db: Db, group: Group): Promise<Group> {
  const row = await db
    .insertInto('groups')
    .values({
      id: group.id,
      display_name: group.displayName,
      description: group.description,
      mail_nickname: group.mailNickname,
      created_at: group.createdAt,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return toGroup(row);
}

export async function getGroup(db: Db, id: string): Promise<Group | null> {
  const row = await db.selectFrom('groups').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? toGroup(row) : null;
}

export async function listGroups(db: Db, top: number, afterId?: string): Promise<Group[]> {
  let q = db.selectFrom('groups').selectAll();
  if (afterId) q = q.where('id', '>', afterId);
  return (await q.orderBy('id').limit(top).execute()).map(toGroup);
}

export async function deleteGroup(db: Db, id: string): Promise<boolean> {
  const result = await db.deleteFrom('groups').where('id', '=', id).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

export async function addGroupMember(db: Db, groupId: string, userId: string): Promise<boolean> {
  const result = await db
    .insertInto('group_members')
    .values({ group_id: groupId, user_id: userId })
    .onConflict((oc) => oc.columns(['group_id', 'user_id']).doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
}

export async function removeGroupMember(db: Db, groupId: string, userId: string): Promise<boolean> {
  const result = await db
    .deleteFrom('group_members')
    .where('group_id', '=', groupId)
    .where('user_id', '=', userId)
    .executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

export async function listGroupMemberIds(db: Db, groupId: string): Promise<string[]> {
  const rows = await db.selectFrom('group_members').select('user_id').where('group_id', '=', groupId).execute();
  return rows.map((r) => r.user_id);
}

export async function listGroupIdsOfUser(db: Db, userId: string): Promise<string[]> {
  const rows = await db.selectFrom('group_members').select('group_id').where('user_id', '=', userId).execute();
  return rows.map((r) => r.group_id);
}

export async function listGroupsOfUser(db: Db, userId: string): Promise<Group[]> {
  const rows = await db
    .selectFrom('groups')
    .innerJoin('group_members', 'group_members.group_id', 'groups.id')
    .selectAll('groups')
    .where('group_members.user_id', '=', userId)
    .execute();
  return rows.map(toGroup);
}
