// node --import tsx bench/micro/prepared-statements.ts [--n 5000]
// What a statement costs PostgreSQL and the Node.js client when it is sent the way Kysely sends it (unnamed: parsed
// and planned every time) and as a named prepared statement (parsed once per connection, plan cached): the three
// statements an OpenID Connect flow repeats most (the oidc_payloads lookup and upsert, and the client lookup),
// compiled by Kysely from the real schema, on a throwaway PostgreSQL (or PASSLESS_BENCH_DATABASE_URL).
// CPU of the database backend is read from /proc; run it on a quiet machine.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { type CompiledQuery, Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import type { Database } from '../../src/storage/database.ts';
import { migrate } from '../../src/storage/migrate.ts';
import { providePostgres } from '../lib/postgres.ts';

const { values } = parseArgs({ options: { n: { type: 'string', default: '5000' } } });
const N = Number(values.n);

const choice = await providePostgres({ profile: false });
if (!choice.ok) throw new Error(choice.reason);
const pool = new pg.Pool({ connectionString: choice.pg.url, max: 1 });
const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
const client = new pg.Client({ connectionString: choice.pg.url });
try {
  await migrate(db);
  // Realistic table sizes: 20,000 payloads, 50 applications.
  const now = new Date();
  const ids: string[] = [];
  for (let i = 0; i < 20_000; i++) {
    const id = randomUUID();
    ids.push(id);
    await db
      .insertInto('oidc_payloads')
      .values({
        model: i % 4 === 0 ? 'Session' : 'Interaction',
        id,
        consumed_at: null,
        payload: JSON.stringify({ uid: randomUUID(), kind: 'Interaction', exp: 0 }),
        grant_id: null,
        user_code: null,
        uid: randomUUID(),
        expires_at: new Date(now.getTime() + 3_600_000),
      })
      .execute();
  }
  const find = db
    .selectFrom('oidc_payloads')
    .select(['payload', 'consumed_at'])
    .where('model', '=', 'Interaction')
    .where('id', '=', ids[1]!)
    .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
    .limit(1)
    .compile();
  const upsertValues = {
    payload: JSON.stringify({ kind: 'Interaction', uid: 'x', exp: 0 }),
    grant_id: null,
    user_code: null,
    uid: 'x',
    expires_at: new Date(now.getTime() + 3_600_000),
  };
  const upsert = db
    .insertInto('oidc_payloads')
    .values({ model: 'Interaction', id: ids[1]!, consumed_at: null, ...upsertValues })
    .onConflict((oc) => oc.columns(['model', 'id']).doUpdateSet(upsertValues))
    .compile();
  // The client lookup of src/storage/repositories/oidc-clients.repository.ts (same shape; no application needed:
  // planning is what is measured, and it does not depend on a match).
  const clientLookup = db
    .selectFrom('applications as a')
    .select([
      'a.app_id',
      'a.display_name',
      'a.web_redirect_uris',
      'a.is_first_party',
      sql<unknown>`(SELECT coalesce(jsonb_agg(jsonb_build_object('verifier', c.secret_verifier,
        'endsAt', floor(extract(epoch FROM c.end_date_time)))), '[]'::jsonb)
        FROM application_password_credentials c
        WHERE c.application_id = a.id AND c.end_date_time > ${now} AND c.start_date_time <= ${now})`.as('secrets'),
    ])
    .where('a.app_id', '=', randomUUID())
    .compile();

  await client.connect();
  const backend = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
  const backendCpuMs = () => {
    const stat = readFileSync(`/proc/${backend}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * 10;
  };
  const measure = async (label: string, q: CompiledQuery, named: boolean) => {
    const config = named
      ? { name: label, text: q.sql, values: [...q.parameters] }
      : { text: q.sql, values: [...q.parameters] };
    for (let i = 0; i < 200; i++) await client.query(config);
    const b0 = backendCpuMs();
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    for (let i = 0; i < N; i++) await client.query(config);
    const wall = performance.now() - t0;
    const c = process.cpuUsage(c0);
    const b = backendCpuMs() - b0;
    const us = (ms: number) => `${((1000 * ms) / N).toFixed(0).padStart(4)} µs`;
    process.stdout.write(
      `  ${label.padEnd(14)} ${named ? 'named  ' : 'unnamed'}  round trip ${us(wall)}  PostgreSQL backend CPU ${us(b)}  ` +
        `Node.js client CPU ${us((c.user + c.system) / 1000)}\n`,
    );
  };
  process.stdout.write(`PostgreSQL ${choice.pg.version}, ${N} sequential executions each, one connection:\n`);
  for (const [label, q] of [
    ['payload find', find],
    ['payload upsert', upsert],
    ['client lookup', clientLookup],
  ] as const) {
    await measure(label, q, false);
    await measure(label, q, true);
  }
} finally {
  await client.end().catch(() => {});
  await db.destroy();
  await choice.pg.stop();
}
