import { sql } from 'kysely';
import type { Db } from '../database.ts';

export interface PasskeyCredential {
  id: string;
  userId: string;
  credentialId: string;
  publicKey: string;
  signCount: number;
  transports: string[];
  aaguid: string;
  backupEligible: boolean;
  backedUp: boolean;
  displayName: string;
  createdAt: Date;
  lastUsedAt: Date | null;
}

type Row = {
  id: string;
  user_id: string;
  credential_id: string;
  public_key: string;
  sign_count: number | string;
  transports: string[];
  aaguid: string;
  backup_eligible: boolean;
  backed_up: boolean;
  display_name: string;
  created_at: Date | string;
  last_used_at: Date | string | null;
};

export function toPasskey(row: Row): PasskeyCredential {
  return {
    id: row.id,
    userId: row.user_id,
    credentialId: row.credential_id,
    publicKey: row.public_key,
    signCount: Number(row.sign_count),
    transports: row.transports,
    aaguid: row.aaguid,
    backupEligible: row.backup_eligible,
    backedUp: row.backed_up,
    displayName: row.display_name,
    createdAt: new Date(row.created_at),
    lastUsedAt: row.last_used_at ? new Date(row.last_used_at) : null,
  };
}

/** Returns false when the credential id is already registered (WebAuthn: refuse a duplicate credential id). */
export async function createPasskey(db: Db, passkey: PasskeyCredential): Promise<boolean> {
  const result = await db
    .insertInto('passkey_credentials')
    .values({
      id: passkey.id,
      user_id: passkey.userId,
      credential_id: passkey.credentialId,
      public_key: passkey.publicKey,
      sign_count: passkey.signCount,
      transports: JSON.stringify(passkey.transports),
      aaguid: passkey.aaguid,
      backup_eligible: passkey.backupEligible,
      backed_up: passkey.backedUp,
      display_name: passkey.displayName,
      created_at: passkey.createdAt,
      last_used_at: null,
    })
    .onConflict((oc) => oc.column('credential_id').doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
}

export async function listPasskeysOfUser(db: Db, userId: string): Promise<PasskeyCredential[]> {
  const rows = await db
    .selectFrom('passkey_credentials')
    .selectAll()
    .where('user_id', '=', userId)
    .orderBy('created_at')
    .execute();
  return rows.map((r) => toPasskey(r as Row));
}

export async function getPasskeyOfUser(db: Db, userId: string, id: string): Promise<PasskeyCredential | null> {
  const row = await db
    .selectFrom('passkey_credentials')
    .selectAll()
    .where('user_id', '=', userId)
    .where('id', '=', id)
    .executeTakeFirst();
  return row ? toPasskey(row as Row) : null;
}

export async function renamePasskey(
  db: Db,
  userId: string,
  id: string,
  displayName: string,
): Promise<PasskeyCredential | null> {
  const row = await db
    .updateTable('passkey_credentials')
    .set({ display_name: displayName })
    .where('user_id', '=', userId)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst();
  return row ? toPasskey(row as Row) : null;
}

export async function deletePasskey(db: Db, userId: string, id: string): Promise<PasskeyCredential | null> {
  const row = await db
    .deleteFrom('passkey_credentials')
    .where('user_id', '=', userId)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst();
  return row ? toPasskey(row as Row) : null;
}

export async function countPasskeysOfUser(db: Db, userId: string): Promise<number> {
  const row = await db
    .selectFrom('passkey_credentials')
    .select(sql<number>`count(*)::int`.as('n'))
    .where('user_id', '=', userId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function listCredentialIdsOfUser(db: Db, userId: string): Promise<{ id: string; transports: string[] }[]> {
  const rows = await db
    .selectFrom('passkey_credentials')
    .select(['credential_id', 'transports'])
    .where('user_id', '=', userId)
    .execute();
  return rows.map((r) => ({ id: r.credential_id, transports: r.transports }));
}
