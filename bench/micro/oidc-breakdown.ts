// node --import tsx bench/micro/oidc-breakdown.ts [--db embedded|memory|postgres] [--n 300]
// Where one OpenID Connect code-flow sign-in and one client-credentials grant spend their server time, step by step,
// without sockets or concurrency: the real app (buildApp) driven by app.inject(), one flow at a time, with a Kysely
// whose log hook records every SQL statement against the step that ran it (oidc_payloads statements by model).
// The same steps as bench/lib/oidc.ts: GET /auth → POST /oidc/interaction → passkey options → verify →
// POST /oidc/interaction → GET /auth/{uid} → POST /token; then POST /token grant_type=client_credentials.
//   embedded: PGlite on disk, as `passless serve` opens it;  memory: PGlite in memory;
//   postgres: PASSLESS_BENCH_DATABASE_URL / DATABASE_URL, or a throwaway cluster as in bench/run.ts.
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { PGlite } from '@electric-sql/pglite';
import type {
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
} from '@simplewebauthn/server';
import { Kysely, type LogEvent, PostgresDialect } from 'kysely';
import { PGliteDialect } from 'kysely-pglite-dialect';
import pg from 'pg';
import { loadConfig } from '../../src/core/config/config.ts';
import { buildApp } from '../../src/server/app.ts';
import { bootstrapAdmin } from '../../src/services/bootstrap.service.ts';
import { ensureSigningKeys } from '../../src/services/signing-keys.service.ts';
import type { Database } from '../../src/storage/database.ts';
import { migrate } from '../../src/storage/migrate.ts';
import {
  createAuthenticationResponse,
  createRegistrationResponse,
  createSoftwareAuthenticator,
} from '../../test/kit/software-authenticator.ts';
import { providePostgres } from '../lib/postgres.ts';

const { values } = parseArgs({
  options: { db: { type: 'string', default: 'embedded' }, n: { type: 'string', default: '300' } },
});
const N = Number(values.n);
const ORIGIN = 'http://localhost:8080';
const HOST = new URL(ORIGIN).host;
const REDIRECT_URI = 'http://localhost:3000/bench/callback';

let step: string | null = null;
/** Per step: statements by kind ("upsert oidc_payloads Interaction", "select applications"…), calls and ms. */
const statements = new Map<string, Map<string, { calls: number; ms: number }>>();
const steps = new Map<string, { n: number; wallMs: number; cpuMs: number }>();

/** The statement's verb and table, and for oidc_payloads the provider model it is about (its first parameter). */
function kindOf(event: LogEvent): string {
  const q = event.query.sql.replace(/\s+/g, ' ').trim().toLowerCase();
  // A request's unit (src/server/oidc/payload-unit.ts): a find with its related rows, and the one write statement.
  if (q.startsWith('with p as (')) return `find oidc_payloads ${String(event.query.parameters[0])} with related`;
  if (/^(with (alongside0|deleted|consumed) as|insert into oidc_payloads .* values \(\$1::text)/.test(q)) {
    const models = event.query.parameters.filter((p) => typeof p === 'string' && /^[A-Z][A-Za-z]+$/.test(p));
    const withLog = q.includes('sign_in_events') ? ' + sign-in log' : '';
    return `write oidc_payloads ${[...new Set(models)].join('+')}${withLog} (one statement)`;
  }
  let verb = /^(\w+)/.exec(q)?.[1] ?? '?';
  if (verb === 'insert' && q.includes(' on conflict')) verb = 'upsert';
  let outer = q;
  if (verb !== 'with')
    for (let prev = ''; prev !== outer; ) [prev, outer] = [outer, outer.replace(/\([^()]*\)/g, ' _ ')];
  const table = /\b(?:into|from|update)\s+"?([a-z_][a-z0-9_]*)"?/.exec(outer)?.[1] ?? '';
  if (table !== 'oidc_payloads') return `${verb} ${table}`.trim();
  const params = event.query.parameters;
  // update … set consumed_at = $1 where model = $2: the model is the first string parameter that names one.
  const model = params.find((p) => typeof p === 'string' && /^[A-Z][A-Za-z]+$/.test(p)) ?? '?';
  const by = verb === 'select' && / "uid" = /.test(q) ? ' by uid' : '';
  return `${verb} oidc_payloads ${model}${by}`;
}

const log = (event: LogEvent) => {
  if (!step) return;
  const perStep = statements.get(step) ?? new Map<string, { calls: number; ms: number }>();
  statements.set(step, perStep);
  const key = kindOf(event);
  const s = perStep.get(key) ?? { calls: 0, ms: 0 };
  s.calls++;
  s.ms += event.queryDurationMillis;
  perStep.set(key, s);
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
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(signal, () => void cleanup().finally(() => process.exit(130)));
}
process.stdout.on('error', () => void cleanup().finally(() => process.exit(1)));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

try {
  await migrate(db);
  const config = loadConfig({ PASSLESS_PUBLIC_URL: ORIGIN, PASSLESS_LOG_LEVEL: 'silent' });
  const deps = { db, config, clock: () => new Date() };
  await ensureSigningKeys(deps);
  const app = await buildApp(deps);
  await app.ready();

  interface Res {
    status: number;
    body: string;
    location?: string;
    setCookie: string[];
  }
  const inject = async (
    method: 'GET' | 'POST',
    url: string,
    headers: Record<string, string>,
    payload?: string,
  ): Promise<Res> => {
    const res = await app.inject({ method, url, headers: { host: HOST, ...headers }, payload });
    const sc = res.headers['set-cookie'];
    return {
      status: res.statusCode,
      body: res.body,
      location: res.headers.location as string | undefined,
      setCookie: Array.isArray(sc) ? sc : sc ? [sc] : [],
    };
  };
  /** A step, timed (wall and process CPU) and with its statements; then a pause for fire-and-forget writes. */
  const timed = async (name: string, run: () => Promise<Res>): Promise<Res> => {
    step = name;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const res = await run();
    const wall = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    // The provider's grant events write the sign-in log row after answering: let it land in this step.
    await sleep(values.db === 'postgres' ? 3 : 1);
    step = null;
    const s = steps.get(name) ?? { n: 0, wallMs: 0, cpuMs: 0 };
    s.n++;
    s.wallMs += wall;
    s.cpuMs += (cpu.user + cpu.system) / 1000;
    steps.set(name, s);
    return res;
  };
  const json = (origin = true) => ({ 'content-type': 'application/json', ...(origin ? { origin: ORIGIN } : {}) });
  const cookieOf = (res: Res, name: RegExp) =>
    res.setCookie.map((l) => l.split(';', 1)[0]!).find((p) => name.test(p.split('=', 1)[0]!));

  // Admin: bootstrap pass → TAP sign-in → passkey → passkey sign-in (a full session) → CSRF token.
  const boot = (await bootstrapAdmin(deps, {
    userPrincipalName: 'a@example.com',
    onlyIfEmpty: false,
    source: 'micro',
  }))!;
  const post = (url: string, body: unknown, cookie?: string, csrf?: string) =>
    inject(
      'POST',
      url,
      { ...json(), ...(cookie ? { cookie } : {}), ...(csrf ? { 'x-csrf-token': csrf } : {}) },
      JSON.stringify(body),
    );
  const csrfOf = async (cookie: string) =>
    JSON.parse((await inject('GET', '/api/session', { cookie })).body).csrfToken as string;
  const flow = JSON.parse((await post('/api/signin/identify', { identifier: 'a@example.com' })).body);
  const tap = await post('/api/signin/tap', { flowId: flow.flowId, temporaryAccessPass: boot.temporaryAccessPass });
  const tapCookie = cookieOf(tap, /passless_session$/)!;
  const tapCsrf = await csrfOf(tapCookie);
  const regOptions = JSON.parse(
    (await post('/api/security-info/passkeys/options', { displayName: 'k' }, tapCookie, tapCsrf)).body,
  );
  const authenticator = createSoftwareAuthenticator();
  const registration = createRegistrationResponse(authenticator, {
    optionsJSON: regOptions.options as PublicKeyCredentialCreationOptionsJSON,
    origin: ORIGIN,
  });
  const reg = await post(
    '/api/security-info/passkeys/verify',
    { flowId: regOptions.flowId, credential: registration },
    tapCookie,
    tapCsrf,
  );
  if (reg.status !== 201) throw new Error(`registration: ${reg.status} ${reg.body}`);
  const passkeySignIn = async (record: boolean) => {
    const run = async (name: string, f: () => Promise<Res>) => (record ? timed(name, f) : f());
    const started = await run('POST /api/signin/passkey/options', () => post('/api/signin/passkey/options', {}));
    const parsed = JSON.parse(started.body) as { flowId: string; options: PublicKeyCredentialRequestOptionsJSON };
    const credential = createAuthenticationResponse(authenticator, { optionsJSON: parsed.options, origin: ORIGIN });
    const done = await run('POST /api/signin/passkey/verify', () =>
      post('/api/signin/passkey/verify', { flowId: parsed.flowId, credential }),
    );
    if (done.status !== 200) throw new Error(`passkey sign-in: ${done.status} ${done.body}`);
    return cookieOf(done, /passless_session$/)!;
  };
  const adminCookie = await passkeySignIn(false);
  const adminCsrf = await csrfOf(adminCookie);

  // The application: first-party, web redirect URI, a secret, User.Read.All granted.
  const created = JSON.parse(
    (
      await post(
        '/v1.0/applications',
        { displayName: 'Micro app', isFirstParty: true, web: { redirectUris: [REDIRECT_URI] } },
        adminCookie,
        adminCsrf,
      )
    ).body,
  );
  const secret = JSON.parse(
    (
      await post(
        `/v1.0/applications/${created.id}/addPassword`,
        { passwordCredential: { displayName: 'm' } },
        adminCookie,
        adminCsrf,
      )
    ).body,
  ).secretText as string;
  const principal = async (appId: string) =>
    JSON.parse(
      (
        await inject('GET', `/v1.0/servicePrincipals?$filter=${encodeURIComponent(`appId eq '${appId}'`)}`, {
          cookie: adminCookie,
        })
      ).body,
    ).value?.[0]?.id as string | undefined;
  const principalId = await principal(created.appId);
  const resourceId = await principal('00000003-0000-0000-c000-000000000000');
  const granted = await post(
    `/v1.0/servicePrincipals/${principalId}/appRoleAssignments`,
    { principalId, resourceId, appRoleId: 'df021288-bdef-4463-88db-98f22de89214' },
    adminCookie,
    adminCsrf,
  );
  const basic = `Basic ${Buffer.from(`${encodeURIComponent(created.appId)}:${encodeURIComponent(secret)}`).toString('base64')}`;
  const form = { 'content-type': 'application/x-www-form-urlencoded', authorization: basic };

  const b64url = (b: Buffer) => b.toString('base64url');
  const codeFlow = async (record: boolean) => {
    const run = async (name: string, f: () => Promise<Res>) => (record ? timed(name, f) : f());
    const jar = new Map<string, string>();
    const take = (res: Res) => {
      for (const line of res.setCookie) {
        const pair = line.split(';', 1)[0]!;
        const eq = pair.indexOf('=');
        if (pair.slice(eq + 1) === '' || /expires=thu, 01 jan 1970/i.test(line)) jar.delete(pair.slice(0, eq));
        else jar.set(pair.slice(0, eq), pair.slice(eq + 1));
      }
      return res;
    };
    const cookie = () => [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
    const verifier = b64url(randomBytes(32));
    const query = new URLSearchParams({
      client_id: created.appId,
      redirect_uri: REDIRECT_URI,
      response_type: 'code',
      scope: 'openid profile email',
      code_challenge: b64url(createHash('sha256').update(verifier).digest()),
      code_challenge_method: 'S256',
      state: b64url(randomBytes(16)),
      nonce: b64url(randomBytes(16)),
    });
    const auth = take(await run('GET /auth', () => inject('GET', `/auth?${query}`, {})));
    const interaction = new URL(auth.location!, ORIGIN).pathname;
    const first = take(
      await run('POST /oidc/interaction (no session)', () =>
        inject('POST', interaction, { ...json(), cookie: cookie() }, '{}'),
      ),
    );
    if (JSON.parse(first.body).action !== 'signIn') throw new Error(`interaction: ${first.body}`);
    const [name, value] = (await passkeySignIn(record)).split('=');
    jar.set(name!, value!);
    const second = take(
      await run('POST /oidc/interaction (signed in)', () =>
        inject('POST', interaction, { ...json(), cookie: cookie() }, '{}'),
      ),
    );
    const answer = JSON.parse(second.body) as { action: string; location: string };
    if (answer.action !== 'redirect') throw new Error(`interaction after sign-in: ${second.body}`);
    const resumeUrl = new URL(answer.location, ORIGIN);
    const resumed = take(
      await run('GET /auth/{uid} (resume)', () =>
        inject('GET', resumeUrl.pathname + resumeUrl.search, { cookie: cookie() }),
      ),
    );
    if (!resumed.location?.startsWith(REDIRECT_URI)) throw new Error(`resume: ${resumed.status} ${resumed.location}`);
    const code = new URL(resumed.location).searchParams.get('code')!;
    const token = await run('POST /token (authorization_code)', () =>
      inject(
        'POST',
        '/token',
        form,
        new URLSearchParams({
          grant_type: 'authorization_code',
          code,
          redirect_uri: REDIRECT_URI,
          code_verifier: verifier,
        }).toString(),
      ),
    );
    if (token.status !== 200 || !JSON.parse(token.body).id_token)
      throw new Error(`token: ${token.status} ${token.body}`);
  };
  const clientCredentials = async (record: boolean) => {
    const f = () =>
      inject('POST', '/token', form, `grant_type=client_credentials&scope=${encodeURIComponent(`${ORIGIN}/.default`)}`);
    const res = record ? await timed('POST /token (client_credentials)', f) : await f();
    if (res.status !== 200) throw new Error(`client credentials: ${res.status} ${res.body}`);
  };

  for (let i = 0; i < 100; i++) {
    await codeFlow(false);
    await clientCredentials(false);
  }
  for (let i = 0; i < N; i++) await codeFlow(true);
  for (let i = 0; i < N; i++) await clientCredentials(true);

  const out = (line: string) => process.stdout.write(`${line}\n`);
  out(
    `${values.db}: ${N} sequential code-flow sign-ins and ${N} client-credentials grants through app.inject (no sockets)` +
      `${granted.status === 201 ? '' : ' (User.Read.All NOT granted)'}`,
  );
  out("per step: wall (server side) and this process's CPU (app + database client or PGlite + the test client), µs;");
  out('then the SQL statements the step ran, per flow, with the time the app awaited them');
  const us = (ms: number, n: number) => `${((1000 * ms) / n).toFixed(0).padStart(6)} µs`;
  let flowWall = 0;
  let flowCpu = 0;
  let flowStatements = 0;
  for (const [name, s] of steps) {
    const perStep = [...(statements.get(name) ?? new Map())].sort((a, b) => b[1].calls - a[1].calls);
    const count = perStep.reduce((n, [, v]) => n + v.calls, 0) / s.n;
    const sqlMs = perStep.reduce((n, [, v]) => n + v.ms, 0);
    if (!name.includes('client_credentials')) {
      flowWall += s.wallMs / s.n;
      flowCpu += s.cpuMs / s.n;
      flowStatements += count;
    }
    out(
      `\n${name}: wall ${us(s.wallMs, s.n)}, CPU ${us(s.cpuMs, s.n)}, ${count.toFixed(2)} statements awaited for ${us(sqlMs, s.n)}`,
    );
    for (const [kind, v] of perStep)
      out(`  ${(v.calls / s.n).toFixed(2).padStart(5)}×  ${us(v.ms, v.calls)} each  ${kind}`);
  }
  out(
    `\ncode flow total: wall ${(flowWall * 1000).toFixed(0)} µs, CPU ${(flowCpu * 1000).toFixed(0)} µs, ${flowStatements.toFixed(2)} statements per sign-in`,
  );
  const all = new Map<string, number>();
  for (const [name, perStep] of statements) {
    if (name.includes('client_credentials')) continue;
    for (const [kind, v] of perStep) all.set(kind, (all.get(kind) ?? 0) + v.calls / N);
  }
  out('statements per code-flow sign-in, all steps:');
  for (const [kind, n] of [...all].sort((a, b) => b[1] - a[1])) out(`  ${n.toFixed(2).padStart(5)}×  ${kind}`);
  await app.close();
} finally {
  await cleanup();
}
