import type { Db } from '../database.ts';

export interface StoredFlow {
  id: string;
  kind: 'signIn' | 'passkeyRegistration';
  state: string;
  expiresAt: Date;
  userId: string | null;
  sessionId: string | null;
  challenge: string | null;
  internal: Record<string, unknown>;
}

type Row = {
  id: string;
  kind: string;
  state: string;
  expires_at: Date | string;
  user_id: string | null;
  session_id: string | null;
  challenge: string | null;
  internal: Record<string, unknown>;
};

function toFlow(row: Row): StoredFlow {
  return {
    id: row.id,
    kind: row.kind as StoredFlow['kind'],
    state: row.state,
    expiresAt: new Date(row.expires_at),
    userId: row.user_id,
    sessionId: row.session_id,
    challenge: row.challenge,
    internal: row.internal,
  };
}

export async function createFlow(db: Db, flow: StoredFlow, now: Date): Promise<void> {
  await db
    .insertInto('flows')
    .values({
      id: flow.id,
      kind: flow.kind,
      state: flow.state,
      expires_at: flow.expiresAt,
      user_id: flow.userId,
      session_id: flow.sessionId,
      challenge: flow.challenge,
      internal: JSON.stringify(flow.internal),
      created_at: now,
    })
    .execute();
}

export async function getFlow(db: Db, id: string, kind: StoredFlow['kind']): Promise<StoredFlow | null> {
  const row = await db.selectFrom('flows').selectAll().where('id', '=', id).where('kind', '=', kind).executeTakeFirst();
  return row ? toFlow(row as Row) : null;
}

/** Moves a flow on only if it is still in the state the transition started from (compare-and-swap). */
export async function advanceFlow(
  db: Db,
  update: { id: string; expectedState: string; state: string; challenge: string | null; userId?: string | null },
): Promise<boolean> {
  const values: { state: string; challenge: string | null; user_id?: string | null } = {
    state: update.state,
    challenge: update.challenge,
  };
  if (update.userId !== undefined) values.user_id = update.userId;
  const row = await db
    .updateTable('flows')
    .set(values)
    .where('id', '=', update.id)
    .where('state', '=', update.expectedState)
    .returning('id')
    .executeTakeFirst();
  return row !== undefined;
}

/**
 * Consumes a WebAuthn challenge: succeeds once, only for the challenge this flow issued, only before expiry.
 * The flow returns to `restingState` so the person can retry with a new challenge if verification then fails.
 */
export async function consumeFlowChallenge(
  db: Db,
  input: { id: string; kind: StoredFlow['kind']; challenge: string; restingState: string; now: Date },
): Promise<StoredFlow | null> {
  const row = await db
    .updateTable('flows')
    .set({ state: input.restingState, challenge: null })
    .where('id', '=', input.id)
    .where('kind', '=', input.kind)
    .where('challenge', '=', input.challenge)
    .where('expires_at', '>', input.now)
    .returningAll()
    .executeTakeFirst();
  return row ? { ...toFlow(row as Row), challenge: input.challenge } : null;
}
