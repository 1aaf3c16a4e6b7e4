// One request's work on the provider's rows (oidc_payloads), as a unit: the writes are held and sent together in
// one statement when the request's handling ends, before its response leaves; a row found by id comes with the
// rows the provider reads next (its grant, its provider session, its account), so those reads cost nothing more.
// Outside a unit the adapter reads and writes at once, as before. Why: a code-flow sign-in made 22 round trips to
// the database, 15 of them here, and on a small machine each round trip also wakes a database process that takes
// the CPU from the server (bench/README.md, "Where a code-flow sign-in's time goes").
//
// Inside a unit the adapter reads its own writes: a held upsert is what a later find returns, a held destroy
// makes it find nothing. A failed flush fails the request (a 500 with nothing half-written: one statement).
import { AsyncLocalStorage } from 'node:async_hooks';
import type { CompiledQuery } from 'kysely';
import type { User } from '../../core/directory/users.ts';
import type { Db } from '../../storage/database.ts';
import {
  findOidcPayloadWithRelated,
  lookupColumns,
  type OidcPayload,
  type OidcPayloadChanges,
  writeOidcPayloadChanges,
} from '../../storage/repositories/oidc-payloads.repository.ts';
import { userFromJsonRow } from '../../storage/repositories/users.repository.ts';

type Held =
  | {
      kind: 'upsert';
      /** The payload as it was saved (a later change to the provider's object must not change what is held). */
      json: string;
      lookup: ReturnType<typeof lookupColumns>;
      expiresAt: Date | null;
      consumedAt: Date | null;
    }
  | { kind: 'consume'; at: Date }
  | { kind: 'delete' };

const keyOf = (model: string, id: string) => `${model}\u0000${id}`;

export class OidcPayloadUnit {
  /** Held writes, by (model, id), in the order they were first made. */
  private readonly held = new Map<string, { model: string; id: string; write: Held }>();
  /** Rows read in this unit (found or fetched along), by (model, id): null for "not there". */
  private readonly read = new Map<string, OidcPayload | null>();
  /** Session rows read along, by uid (the provider finds sessions by uid). */
  private readonly sessionsByUid = new Map<string, { id: string; payload: OidcPayload }>();
  private readonly accounts = new Map<string, User>();
  /** Other writes of the request sent in the same statement (see alongside()). */
  private readonly attached: CompiledQuery[] = [];

  constructor(private readonly db: Db) {}

  async upsert(model: string, id: string, payload: OidcPayload, expiresAt: Date | null): Promise<void> {
    const key = keyOf(model, id);
    // A row saved again after being destroyed in this unit is a new row (no consumption carried over): the
    // deletion goes first, since one statement cannot delete and insert the same row.
    if (this.held.get(key)?.write.kind === 'delete') await this.flush();
    const before = this.held.get(key)?.write;
    const consumedAt = before?.kind === 'consume' ? before.at : before?.kind === 'upsert' ? before.consumedAt : null;
    this.hold(model, id, {
      kind: 'upsert',
      json: JSON.stringify(payload),
      lookup: lookupColumns(payload),
      expiresAt,
      consumedAt,
    });
  }

  consume(model: string, id: string, at: Date): void {
    const before = this.held.get(keyOf(model, id))?.write;
    if (before?.kind === 'delete' || before?.kind === 'consume') return;
    if (before?.kind === 'upsert') before.consumedAt ??= at;
    else this.hold(model, id, { kind: 'consume', at });
  }

  destroy(model: string, id: string): void {
    this.hold(model, id, { kind: 'delete' });
  }

  /** The row as this unit knows it (held write over what was read), or `unknown` when it must be read. */
  private known(model: string, id: string): OidcPayload | null | 'unknown' {
    const key = keyOf(model, id);
    const write = this.held.get(key)?.write;
    if (write?.kind === 'delete') return null;
    if (write?.kind === 'upsert') return withConsumed(JSON.parse(write.json) as OidcPayload, write.consumedAt);
    const read = this.read.get(key);
    if (read === undefined) return 'unknown';
    if (read === null) return null;
    return withConsumed(structuredClone(read), write?.kind === 'consume' ? write.at : null);
  }

  /** A row by id: from this unit if it knows it, else read with its related rows (kept for the next finds). */
  async find(model: string, id: string, now: Date): Promise<OidcPayload | undefined> {
    const known = this.known(model, id);
    if (known !== 'unknown') return known ?? undefined;
    const found = await findOidcPayloadWithRelated(this.db, model, id, now);
    this.remember(model, id, found?.payload ?? null);
    if (found?.grant) this.remember('Grant', found.grant.id, found.grant.payload);
    if (found?.session) {
      this.remember('Session', found.session.id, found.session.payload);
      const uid = found.session.payload.uid;
      if (typeof uid === 'string') this.sessionsByUid.set(uid, found.session);
    }
    if (found?.account) {
      const user = userFromJsonRow(found.account);
      this.accounts.set(user.id, user);
    }
    return this.payloadOf(model, id);
  }

  private payloadOf(model: string, id: string): OidcPayload | undefined {
    const known = this.known(model, id);
    return known === 'unknown' || known === null ? undefined : known;
  }

  /**
   * A row by one of its lookup columns: a held upsert that matches, else a session read along, else the row the
   * database has (unless this unit changed it since).
   */
  async findBy(
    model: string,
    column: 'uid' | 'userCode',
    value: string,
    read: () => Promise<{ id: string; payload: OidcPayload } | undefined>,
  ): Promise<OidcPayload | undefined> {
    for (const { model: m, id, write } of this.held.values()) {
      if (m !== model || write.kind !== 'upsert') continue;
      if ((column === 'uid' ? write.lookup.uid : write.lookup.user_code) === value) return this.payloadOf(model, id);
    }
    const along = model === 'Session' && column === 'uid' ? this.sessionsByUid.get(value) : undefined;
    if (along) return this.payloadOf(model, along.id);
    const found = await read();
    if (!found) return undefined;
    const write = this.held.get(keyOf(model, found.id))?.write;
    if (write?.kind === 'delete') return undefined;
    return withConsumed(found.payload, write?.kind === 'consume' ? write.at : null);
  }

  /** The account read along with a row in this unit, if any. */
  account(id: string): User | undefined {
    return this.accounts.get(id);
  }

  /**
   * Sends `query` with the held writes, in the same statement, when the unit holds some (true); false when it holds
   * none, and the caller writes it its own way.
   */
  alongside(query: CompiledQuery): boolean {
    if (this.held.size === 0) return false;
    this.attached.push(query);
    return true;
  }

  /** Sends the held writes (one statement); afterwards the unit reads from the database again. */
  async flush(): Promise<void> {
    if (this.held.size === 0 && this.attached.length === 0) return;
    const changes: OidcPayloadChanges = { upserts: [], consumes: [], deletes: [] };
    for (const { model, id, write } of this.held.values()) {
      if (write.kind === 'delete') changes.deletes.push({ model, id });
      else if (write.kind === 'consume') changes.consumes.push({ model, id, at: write.at });
      else {
        const { json, lookup, expiresAt, consumedAt } = write;
        changes.upserts.push({ model, id, json, lookup, expiresAt, consumedAt });
      }
    }
    await writeOidcPayloadChanges(this.db, changes, this.attached);
    this.held.clear();
    this.attached.length = 0;
    this.forgetReads();
  }

  /** Forgets what was read (after a change this unit cannot follow, such as deleting all rows of a grant). */
  forgetReads(): void {
    this.read.clear();
    this.sessionsByUid.clear();
  }

  private hold(model: string, id: string, write: Held): void {
    const key = keyOf(model, id);
    const entry = this.held.get(key);
    if (entry) entry.write = write;
    else this.held.set(key, { model, id, write });
  }

  private remember(model: string, id: string, payload: OidcPayload | null): void {
    const key = keyOf(model, id);
    if (!this.read.has(key)) this.read.set(key, payload);
  }
}

function withConsumed(payload: OidcPayload, at: Date | null): OidcPayload {
  if (at && payload.consumed === undefined) payload.consumed = Math.floor(at.getTime() / 1000);
  return payload;
}

const scope = new AsyncLocalStorage<OidcPayloadUnit>();

/** The unit of the request being handled, if it runs in one. */
export function currentPayloadUnit(): OidcPayloadUnit | undefined {
  return scope.getStore();
}

/**
 * Runs `work` as one unit and sends its writes when it ends, whether it succeeded or threw (the writes it made
 * before throwing would have been made at once outside a unit). A unit inside a unit is the outer one.
 */
export async function inPayloadUnit<T>(db: Db, work: () => Promise<T>): Promise<T> {
  if (scope.getStore()) return work();
  const unit = new OidcPayloadUnit(db);
  let result: T;
  try {
    result = await scope.run(unit, work);
  } catch (error) {
    await unit.flush().catch(() => {});
    throw error;
  }
  await unit.flush();
  return result;
}
