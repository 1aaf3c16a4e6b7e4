// Rows of node-oidc-provider's models. Expired rows are never returned; `consumed_at` is reported back to the
// provider as the payload's `consumed` member, which is how it recognises a replayed code or refresh token.
import { CompiledQuery, sql } from 'kysely';
import type { Db } from '../database.ts';

export type OidcPayload = Record<string, unknown>;

/** The columns a payload is found by, taken from the payload itself. */
export function lookupColumns(payload: OidcPayload) {
  const text = (key: string) => (typeof payload[key] === 'string' ? (payload[key] as string) : null);
  return { grant_id: text('grantId'), user_code: text('userCode'), uid: text('uid') };
}

export async function upsertOidcPayload(
  db: Db,
  row: { model: string; id: string; payload: OidcPayload; expiresAt: Date | null },
): Promise<void> {
  const values = { payload: JSON.stringify(row.payload), ...lookupColumns(row.payload), expires_at: row.expiresAt };
  await db
    .insertInto('oidc_payloads')
    .values({ model: row.model, id: row.id, consumed_at: null, ...values })
    .onConflict((oc) => oc.columns(['model', 'id']).doUpdateSet(values))
    .execute();
}

type Lookup = { column: 'id' | 'uid' | 'user_code'; value: string };

async function findBy(db: Db, model: string, lookup: Lookup, now: Date): Promise<OidcPayload | undefined> {
  return (await findRowBy(db, model, lookup, now))?.payload;
}

async function findRowBy(
  db: Db,
  model: string,
  lookup: Lookup,
  now: Date,
): Promise<{ id: string; payload: OidcPayload } | undefined> {
  const row = await db
    .selectFrom('oidc_payloads')
    .select(['id', 'payload', 'consumed_at'])
    .where('model', '=', model)
    .where(lookup.column, '=', lookup.value)
    .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
    .limit(1)
    .executeTakeFirst();
  return row ? { id: row.id, payload: toPayload(row) } : undefined;
}

/** A row by its `uid` or `userCode`, with its id. */
export function findOidcPayloadRow(db: Db, model: string, by: 'uid' | 'userCode', value: string, now: Date) {
  return findRowBy(db, model, { column: by === 'uid' ? 'uid' : 'user_code', value }, now);
}

function toPayload(row: { payload: unknown; consumed_at: Date | string | null }): OidcPayload {
  const payload = (typeof row.payload === 'string' ? JSON.parse(row.payload) : row.payload) as OidcPayload;
  if (row.consumed_at !== null) payload.consumed = Math.floor(new Date(row.consumed_at).getTime() / 1000);
  return payload;
}

export function findOidcPayload(db: Db, model: string, id: string, now: Date) {
  return findBy(db, model, { column: 'id', value: id }, now);
}

export function findOidcPayloadByUid(db: Db, model: string, uid: string, now: Date) {
  return findBy(db, model, { column: 'uid', value: uid }, now);
}

export function findOidcPayloadByUserCode(db: Db, model: string, userCode: string, now: Date) {
  return findBy(db, model, { column: 'user_code', value: userCode }, now);
}

/** Marks the row consumed once; a second call keeps the first time. */
export async function consumeOidcPayload(db: Db, model: string, id: string, now: Date): Promise<void> {
  await db
    .updateTable('oidc_payloads')
    .set({ consumed_at: now })
    .where('model', '=', model)
    .where('id', '=', id)
    .where('consumed_at', 'is', null)
    .execute();
}

export async function destroyOidcPayload(db: Db, model: string, id: string): Promise<void> {
  await db.deleteFrom('oidc_payloads').where('model', '=', model).where('id', '=', id).execute();
}

export async function revokeOidcPayloadsByGrantId(db: Db, model: string, grantId: string): Promise<void> {
  await db.deleteFrom('oidc_payloads').where('model', '=', model).where('grant_id', '=', grantId).execute();
}

/** Housekeeping: rows that expired before `before`. */
export async function deleteExpiredOidcPayloads(db: Db, before: Date): Promise<void> {
  await sql`DELETE FROM oidc_payloads WHERE expires_at < ${before}`.execute(db);
}

/** A row found together with the rows the provider reads next in the same request (see findOidcPayloadWithRelated). */
export interface OidcPayloadWithRelated {
  payload: OidcPayload;
  /** The grant the row belongs to (`grantId`, or an interaction result's `consent.grantId`), if it exists. */
  grant?: { id: string; payload: OidcPayload };
  /** The provider session the row was issued in (`sessionUid`), if it still exists. */
  session?: { id: string; payload: OidcPayload };
  /** The users row of the account the row names (`accountId`, or an interaction result's `login.accountId`). */
  account?: Record<string, unknown>;
}

// One round trip instead of up to four: the token endpoint reads a code, then the person, the session the code
// was issued in and the grant; resuming an authorization reads the interaction, then the person and the grant.
// The related rows are read in the same snapshot, a few milliseconds earlier than the provider would have.
const WITH_RELATED = `
WITH p AS (
  SELECT payload, consumed_at FROM oidc_payloads
  WHERE model = $1 AND id = $2 AND (expires_at IS NULL OR expires_at > $3)
), k AS (
  SELECT COALESCE(payload->>'grantId', payload#>>'{result,consent,grantId}') AS grant_id,
         payload->>'sessionUid' AS session_uid,
         COALESCE(payload->>'accountId', payload#>>'{result,login,accountId}') AS account_id
  FROM p
)
SELECT 'self' AS relation, NULL AS id, p.payload, p.consumed_at FROM p
UNION ALL
SELECT 'grant', g.id, g.payload, g.consumed_at FROM k JOIN oidc_payloads g
  ON g.model = 'Grant' AND g.id = k.grant_id AND (g.expires_at IS NULL OR g.expires_at > $3)
UNION ALL
SELECT 'session', s.id, s.payload, s.consumed_at FROM k JOIN oidc_payloads s
  ON s.model = 'Session' AND s.uid = k.session_uid AND (s.expires_at IS NULL OR s.expires_at > $3)
UNION ALL
SELECT 'account', u.id::text, to_jsonb(u), NULL FROM k JOIN users u
  ON k.account_id ~ '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$'
  AND u.id = k.account_id::uuid`;

/** A row by id, with its grant, its provider session and its account when it names them; undefined if absent. */
export async function findOidcPayloadWithRelated(
  db: Db,
  model: string,
  id: string,
  now: Date,
): Promise<OidcPayloadWithRelated | undefined> {
  const { rows } = await db.executeQuery<{
    relation: 'self' | 'grant' | 'session' | 'account';
    id: string | null;
    payload: unknown;
    consumed_at: Date | string | null;
  }>(CompiledQuery.raw(WITH_RELATED, [model, id, now]));
  const self = rows.find((row) => row.relation === 'self');
  if (!self) return undefined;
  const found: OidcPayloadWithRelated = { payload: toPayload(self) };
  for (const row of rows) {
    if (row.relation === 'grant') found.grant = { id: row.id!, payload: toPayload(row) };
    else if (row.relation === 'session') found.session = { id: row.id!, payload: toPayload(row) };
    else if (row.relation === 'account') {
      found.account = (typeof row.payload === 'string' ? JSON.parse(row.payload) : row.payload) as Record<
        string,
        unknown
      >;
    }
  }
  return found;
}

/** What one request changed in the provider's rows, keyed by (model, id); a key appears in one list at most. */
export interface OidcPayloadChanges {
  upserts: {
    model: string;
    id: string;
    json: string;
    lookup: ReturnType<typeof lookupColumns>;
    expiresAt: Date | null;
    consumedAt: Date | null;
  }[];
  consumes: { model: string; id: string; at: Date }[];
  deletes: { model: string; id: string }[];
}

// Every change of one request in one statement (so in one transaction): the deletes, the consumes and the upserts
// touch different rows, so running them side by side in one snapshot is the same as running them in turn. An
// upsert keeps a row's first consumption, as upsertOidcPayload does. The text is made per shape (how many of each)
// with one parameter per value rather than arrays: PostgreSQL then plans each shape once per connection, where an
// array's unknown length made it plan the statement again at every call. A request has a handful of shapes.
const changeStatements = new Map<string, string>();

function changeStatement(deletes: number, consumes: number, upserts: number): string {
  const shape = `${deletes}/${consumes}/${upserts}`;
  let text = changeStatements.get(shape);
  if (text) return text;
  let n = 0;
  const row = (width: number, casts: string[] = []) =>
    `(${Array.from({ length: width }, (_, i) => `$${++n}${casts[i] ?? ''}`).join(', ')})`;
  const rows = (count: number, width: number, casts?: string[]) =>
    Array.from({ length: count }, () => row(width, casts)).join(', ');
  const parts: string[] = [];
  if (deletes) parts.push(`deleted AS (DELETE FROM oidc_payloads WHERE (model, id) IN (${rows(deletes, 2)}))`);
  if (consumes) {
    parts.push(
      `consumed AS (UPDATE oidc_payloads o SET consumed_at = c.at FROM (VALUES ${rows(consumes, 3, ['::text', '::text', '::timestamptz'])}) AS c(model, id, at) ` +
        'WHERE o.model = c.model AND o.id = c.id AND o.consumed_at IS NULL)',
    );
  }
  const casts = ['::text', '::text', '::jsonb', '::text', '::text', '::text', '::timestamptz', '::timestamptz'];
  const main = upserts
    ? `INSERT INTO oidc_payloads (model, id, payload, grant_id, user_code, uid, expires_at, consumed_at) VALUES ${rows(upserts, 8, casts)}
ON CONFLICT (model, id) DO UPDATE SET payload = excluded.payload, grant_id = excluded.grant_id,
  user_code = excluded.user_code, uid = excluded.uid, expires_at = excluded.expires_at,
  consumed_at = COALESCE(oidc_payloads.consumed_at, excluded.consumed_at)`
    : 'SELECT 1';
  text = parts.length ? `WITH ${parts.join(', ')} ${main}` : main;
  if (changeStatements.size < 256) changeStatements.set(shape, text);
  return text;
}

/**
 * Sends the changes in one statement, with `alongside` (other writes of the same request, e.g. its sign-in log row)
 * as further parts of it: all of them land, or none.
 */
export async function writeOidcPayloadChanges(
  db: Db,
  changes: OidcPayloadChanges,
  alongside: CompiledQuery[] = [],
): Promise<void> {
  const { upserts, consumes, deletes } = changes;
  if (upserts.length + consumes.length + deletes.length === 0) {
    for (const query of alongside) await db.executeQuery(query);
    return;
  }
  const values: unknown[] = [];
  for (const d of deletes) values.push(d.model, d.id);
  for (const c of consumes) values.push(c.model, c.id, c.at);
  for (const u of upserts) {
    values.push(u.model, u.id, u.json, u.lookup.grant_id, u.lookup.user_code, u.lookup.uid, u.expiresAt, u.consumedAt);
  }
  let text = changeStatement(deletes.length, consumes.length, upserts.length);
  if (alongside.length > 0) {
    // Each extra statement becomes a data-modifying WITH part, its parameters numbered after the ones above.
    const parts = alongside.map((query, i) => {
      const offset = values.length;
      values.push(...query.parameters);
      return `alongside${i} AS (${query.sql.replace(/\$(\d+)/g, (_, n: string) => `$${Number(n) + offset}`)})`;
    });
    text = text.startsWith('WITH ') ? `WITH ${parts.join(', ')}, ${text.slice(5)}` : `WITH ${parts.join(', ')} ${text}`;
  }
  await db.executeQuery(CompiledQuery.raw(text, values));
}
