import type { Selectable } from 'kysely';
import { sql } from 'kysely';
import type { User, UserChanges } from '../../core/directory/users.ts';
import { upnKey } from '../../core/directory/users.ts';
import type { Db, UsersTable } from '../database.ts';

type Row = Selectable<UsersTable>;

function toUser(row: Row): User {
  return {
    id: row.id,
    userPrincipalName: row.user_principal_name,
    displayName: row.display_name,
    mailNickname: row.mail_nickname,
    mail: row.mail,
    accountEnabled: row.account_enabled,
    employeeHireDate: row.employee_hire_date ? new Date(row.employee_hire_date) : null,
    createdAt: new Date(row.created_at),
  };
}

/** A users row read as JSON (`to_jsonb`), e.g. together with another table's row in one statement. */
export function userFromJsonRow(row: Record<string, unknown>): User {
  return toUser(row as unknown as Row);
}

export async function createUser(db: Db, user: User): Promise<User | null> {
  const row = await db
    .insertInto('users')
    .values({
      id: user.id,
      user_principal_name: user.userPrincipalName,
      upn_key: upnKey(user.userPrincipalName),
      display_name: user.displayName,
      mail_nickname: user.mailNickname,
      mail: user.mail,
      account_enabled: user.accountEnabled,
      employee_hire_date: user.employeeHireDate,
      created_at: user.createdAt,
      updated_at: user.createdAt,
    })
    .onConflict((oc) => oc.column('upn_key').doNothing())
    .returningAll()
    .executeTakeFirst();
  return row ? toUser(row as Row) : null;
}

export async function getUserById(db: Db, id: string): Promise<User | null> {
  const row = await db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? toUser(row as Row) : null;
}

export async function getUserByUpn(db: Db, upn: string): Promise<User | null> {
  const row = await db.selectFrom('users').selectAll().where('upn_key', '=', upnKey(upn)).executeTakeFirst();
  return row ? toUser(row as Row) : null;
}

export async function countUsers(db: Db): Promise<number> {
  const row = await db.selectFrom('users').select(sql<number>`count(*)::int`.as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

export interface UserListQuery {
  top: number;
  /** Case-insensitive prefix on displayName or userPrincipalName. */
  prefix?: { field: 'displayName' | 'userPrincipalName'; value: string };
  /** Case-insensitive substring on displayName, userPrincipalName or mail ($search). */
  search?: string;
  upnEquals?: string;
  after?: { displayName: string; id: string };
}

/** Keyset-paged by (lower(display_name), id), the index users_display_name_key. */
export async function listUsers(db: Db, query: UserListQuery): Promise<User[]> {
  let q = db.selectFrom('users').selectAll();
  if (query.prefix) {
    const column = query.prefix.field === 'displayName' ? 'display_name' : 'user_principal_name';
    const pattern = `${escapeLike(query.prefix.value.toLowerCase())}%`;
    q = q.where(sql`lower(${sql.ref(column)})`, 'like', pattern);
  }
  if (query.search) {
    const pattern = `%${escapeLike(query.search.toLowerCase())}%`;
    q = q.where((eb) =>
      eb.or([
        eb(sql`lower(display_name)`, 'like', pattern),
        eb('upn_key', 'like', pattern),
        eb(sql`lower(coalesce(mail, ''))`, 'like', pattern),
      ]),
    );
  }
  if (query.upnEquals !== undefined) q = q.where('upn_key', '=', upnKey(query.upnEquals));
  if (query.after) {
    const after = query.after;
    q = q.where(sql<boolean>`(lower(display_name), id) > (${after.displayName.toLowerCase()}, ${after.id}::uuid)`);
  }
  const rows = await q.orderBy(sql`lower(display_name)`).orderBy('id').limit(query.top).execute();
  return rows.map((r) => toUser(r as Row));
}

function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (c) => `\\${c}`);
}

export async function updateUser(db: Db, id: string, changes: UserChanges, now: Date): Promise<User | null> {
  const values: Record<string, unknown> = { updated_at: now };
  if (changes.userPrincipalName !== undefined) {
    values.user_principal_name = changes.userPrincipalName;
    values.upn_key = upnKey(changes.userPrincipalName);
  }
  if (changes.displayName !== undefined) values.display_name = changes.displayName;
  if (changes.mailNickname !== undefined) values.mail_nickname = changes.mailNickname;
  if (changes.mail !== undefined) values.mail = changes.mail;
  if (changes.accountEnabled !== undefined) values.account_enabled = changes.accountEnabled;
  if (changes.employeeHireDate !== undefined) values.employee_hire_date = changes.employeeHireDate;
  const row = await db.updateTable('users').set(values).where('id', '=', id).returningAll().executeTakeFirst();
  return row ? toUser(row as Row) : null;
}

export async function deleteUser(db: Db, id: string): Promise<boolean> {
  const result = await db.deleteFrom('users').where('id', '=', id).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}
