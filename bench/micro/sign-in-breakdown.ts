// node --import tsx bench/micro/sign-in-breakdown.ts [--db embedded|memory|postgres] [--n 2000]
// Where one passkey sign-in's server time goes, without HTTP sockets or concurrency: the real app (buildApp) driven
// by app.inject(), one sign-in at a time, with a Kysely whose log hook times every SQL statement.
//   embedded: PGlite on disk, as `passless serve` opens it;  memory: PGlite in memory (no file I/O);
//   postgres: PASSLESS_BENCH_DATABASE_URL / DATABASE_URL, or a throwaway cluster as in bench/run.ts.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { PGlite } from '@electric-sql/pglite';
import type {
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
} from '@simplewebauthn/server';
import { CompiledQuery, Kysely, type LogEvent, PostgresDialect } from 'kysely';
import { PGliteDialect } from 'kysely-pglite-dialect';
import pg from 'pg';
import { loadConfig } from '../../src/core/config/config.ts';
import { buildApp } from '../../src/server/app.ts';
import { bootstrapAdmin } from '../../src/services/bootstrap.service.ts';
import type { Database } from '../../src/storage/database.ts';
import { migrate } from '../../src/storage/migrate.ts';
import {
  createAuthenticationResponse,
  createRegistrationResponse,
  createSoftwareAuthenticator,
} from '../../test/kit/software-authenticator.ts';
import { providePostgres } from '../lib/postgres.ts';

const { values } = parseArgs({
  options: { db: { type: 'string', default: 'embedded' }, n: { type: 'string', default: '2000' } },
});
const N = Number(values.n);
const ORIGIN = 'http://localhost:8080';

let recording = false;
const statements = new Map<string, { calls: number; ms: number }>();
const lastQuery = new Map<string, { sql: string; parameters: readonly unknown[] }>();
const log = (event: LogEvent) => {
  if (!recording) return;
  const key = event.query.sql.replace(/\s+/g, ' ').trim().slice(0, 70);
  const s = statements.get(key) ?? { calls: 0, ms: 0 };
  s.calls++;
  s.ms += event.queryDurationMillis;
  statements.set(key, s);
  lastQuery.set(key, { sql: event.query.sql, parameters: event.query.parameters });
};

let cleanup = async () => {};
let db: Kysely<Database>;
if (values.db === 'postgres') {
  pg.types.setTypeParser(20, (v) => Number(v));
  const choice = await providePostgres({ profile: false });
  if (!choice.ok) throw new Error(choice.reason);
  db = new Kysely<Database>({
    dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: choice.pg.url, max: 4 }) }),
    log,
  });
  cleanup = async () => {
    await db.destroy();
    await choice.pg.stop();
  };
} else {
  const dir = values.db === 'memory' ? null : mkdtempSync(join(tmpdir(), 'passless-micro-'));
  const client = dir ? await PGlite.create(join(dir, 'pglite')) : await PGlite.create();
  db = new Kysely<Database>({ dialect: new PGliteDialect(client), log });
  cleanup = async () => {
    await db.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  };
}

// Never leave a throwaway cluster behind: on a signal, or when stdout goes away (`| head`), clean up first.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(signal, () => void cleanup().finally(() => process.exit(130)));
}
process.stdout.on('error', () => void cleanup().finally(() => process.exit(1)));

try {
  await migrate(db);
  const config = loadConfig({ PASSLESS_PUBLIC_URL: ORIGIN, PASSLESS_LOG_LEVEL: 'silent' });
  const deps = { db, config, clock: () => new Date() };
  const app = await buildApp(deps);
  await app.ready();

  const call = async (url: string, body: unknown, cookie?: string, csrf?: string) => {
    const res = await app.inject({
      method: 'POST',
      url,
      headers: {
        origin: ORIGIN,
        'content-type': 'application/json',
        ...(cookie ? { cookie } : {}),
        ...(csrf ? { 'x-csrf-token': csrf } : {}),
      },
      payload: JSON.stringify(body),
    });
    const setCookie = res.headers['set-cookie'];
    const line = Array.isArray(setCookie) ? setCookie[0] : setCookie;
    return { status: res.statusCode, json: res.json(), cookie: line?.split(';')[0] };
  };

  // One user with a passkey: bootstrap pass → TAP sign-in → passkey registration.
  const boot = (await bootstrapAdmin(deps, {
    userPrincipalName: 'a@example.com',
    onlyIfEmpty: false,
    source: 'micro',
  }))!;
  const flow = await call('/api/signin/identify', { identifier: 'a@example.com' });
  const tap = await call('/api/signin/tap', {
    flowId: flow.json.flowId,
    temporaryAccessPass: boot.temporaryAccessPass,
  });
  const session = await app.inject({ method: 'GET', url: '/api/session', headers: { cookie: tap.cookie! } });
  const csrf = session.json().csrfToken as string;
  const options = await call('/api/security-info/passkeys/options', { displayName: 'k' }, tap.cookie, csrf);
  const authenticator = createSoftwareAuthenticator();
  const credential = createRegistrationResponse(authenticator, {
    optionsJSON: options.json.options as PublicKeyCredentialCreationOptionsJSON,
    origin: ORIGIN,
  });
  const reg = await call(
    '/api/security-info/passkeys/verify',
    { flowId: options.json.flowId, credential },
    tap.cookie,
    csrf,
  );
  if (reg.status !== 201) throw new Error(`registration: ${reg.status} ${JSON.stringify(reg.json)}`);

  const signIn = async () => {
    const t0 = performance.now();
    const started = await call('/api/signin/passkey/options', {});
    const t1 = performance.now();
    const assertion = createAuthenticationResponse(authenticator, {
      optionsJSON: started.json.options as PublicKeyCredentialRequestOptionsJSON,
      origin: ORIGIN,
    });
    const t2 = performance.now();
    const done = await call('/api/signin/passkey/verify', { flowId: started.json.flowId, credential: assertion });
    if (done.status !== 200) throw new Error(`sign-in: ${done.status} ${JSON.stringify(done.json)}`);
    return { options: t1 - t0, verify: performance.now() - t2 };
  };
  for (let i = 0; i < 300; i++) await signIn(); // warm-up (JIT, plans, caches)
  recording = true;
  let options_ = 0;
  let verify_ = 0;
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < N; i++) {
    const t = await signIn();
    options_ += t.options;
    verify_ += t.verify;
  }
  const cpu = process.cpuUsage(cpu0);
  recording = false;
  const per = (ms: number) => `${((1000 * ms) / N).toFixed(0).padStart(5)} µs`;
  process.stdout.write(`${values.db}: ${N} sequential passkey sign-ins through app.inject (no sockets)\n`);
  process.stdout.write(`  options request  ${per(options_)}   verify request ${per(verify_)}   (wall, server side)\n`);
  process.stdout.write(
    `  process CPU (this process: app + ${values.db === 'postgres' ? 'pg client' : 'PGlite'} + client signing) ${per((cpu.user + cpu.system) / 1000)}\n`,
  );
  let sqlMs = 0;
  for (const [sqlText, s] of [...statements].sort((a, b) => b[1].ms - a[1].ms)) {
    sqlMs += s.ms;
    process.stdout.write(`  ${(s.calls / N).toFixed(2)}×/sign-in ${per(s.ms)}  ${sqlText}\n`);
  }
  process.stdout.write(`  SQL total ${per(sqlMs)} per sign-in (time awaiting each statement, as the app sees it)\n`);
  // Planning vs execution of each statement (its last parameters, in a transaction that is rolled back).
  await db.connection().execute(async (conn) => {
    for (const [key, q] of lastQuery) {
      await conn.executeQuery(CompiledQuery.raw('BEGIN'));
      try {
        const plan = await conn.executeQuery<{ 'QUERY PLAN': string }>(
          CompiledQuery.raw(`EXPLAIN (ANALYZE, SUMMARY) ${q.sql}`, [...q.parameters]),
        );
        const lines = plan.rows.map((r) => r['QUERY PLAN']);
        const times = lines.filter((l) => /Planning Time|Execution Time/.test(l)).map((l) => l.trim());
        process.stdout.write(`  EXPLAIN ${key.slice(0, 40)}…: ${times.join(', ')}\n`);
      } catch (error) {
        process.stdout.write(
          `  EXPLAIN ${key.slice(0, 40)}…: ${(error as Error).message} (parameters of an earlier run)\n`,
        );
      } finally {
        await conn.executeQuery(CompiledQuery.raw('ROLLBACK'));
      }
    }
  });
  await app.close();
} finally {
  await cleanup();
}
