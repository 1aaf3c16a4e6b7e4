import { sql } from 'kysely';
import type { PublicJwk, SigningAlgorithm, SigningKeyRecord } from '../../core/keys/signing-keys.ts';
import type { Db } from '../database.ts';

export interface StoredSigningKey extends SigningKeyRecord {
  sealedPrivateKey: string;
}

// Different from the migration lock: key creation runs after migrations, on every start.
const SIGNING_KEYS_LOCK = 727_272;

/** Serialises key creation and rotation across instances for the rest of the transaction. */
export async function lockSigningKeys(trx: Db): Promise<void> {
  await sql`SELECT pg_advisory_xact_lock(${SIGNING_KEYS_LOCK})`.execute(trx);
}

export async function listSigningKeys(db: Db): Promise<StoredSigningKey[]> {
  const rows = await db.selectFrom('signing_keys').selectAll().orderBy('created_at', 'desc').execute();
  return rows.map((r) => ({
    kid: r.kid,
    alg: r.alg,
    publicJwk: r.public_jwk as unknown as PublicJwk,
    sealedPrivateKey: r.sealed_private_key,
    createdAt: new Date(r.created_at),
    retiredAt: r.retired_at === null ? null : new Date(r.retired_at),
    notAfter: r.not_after === null ? null : new Date(r.not_after),
  }));
}

/** Algorithms that have a current (not retired) key. */
export async function currentAlgorithms(db: Db): Promise<Set<SigningAlgorithm>> {
  const rows = await db.selectFrom('signing_keys').select('alg').where('retired_at', 'is', null).execute();
  return new Set(rows.map((r) => r.alg));
}

export async function insertSigningKey(
  db: Db,
  key: { kid: string; alg: SigningAlgorithm; publicJwk: PublicJwk; sealedPrivateKey: string; createdAt: Date },
): Promise<void> {
  await db
    .insertInto('signing_keys')
    .values({
      kid: key.kid,
      alg: key.alg,
      public_jwk: JSON.stringify(key.publicJwk),
      sealed_private_key: key.sealedPrivateKey,
      created_at: key.createdAt,
      retired_at: null,
      not_after: null,
    })
    .execute();
}

/** Retires the current keys of `alg`; they stay published until `notAfter`. Returns their kids. */
export async function retireCurrentKeys(db: Db, alg: SigningAlgorithm, now: Date, notAfter: Date): Promise<string[]> {
  const rows = await db
    .updateTable('signing_keys')
    .set({ retired_at: now, not_after: notAfter })
    .where('alg', '=', alg)
    .where('retired_at', 'is', null)
    .returning('kid')
    .execute();
  return rows.map((r) => r.kid);
}
