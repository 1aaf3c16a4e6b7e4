// PostgreSQL for the benchmark: a fresh database in the server named by PASSLESS_BENCH_DATABASE_URL / DATABASE_URL,
// or a throwaway cluster started from Debian's /usr/lib/postgresql/<version>/bin and removed afterwards.
import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from './server.ts';

export interface BenchPostgres {
  /** Connection string of the fresh database the server uses. */
  url: string;
  /** What it is, for the report. */
  description: string;
  version: string;
  /** True when pg_stat_statements is loaded and created in the database (throwaway cluster with --profile). */
  statements: boolean;
  /** The throwaway cluster's postmaster (its children are the backends), for CPU accounting. */
  postmasterPid: number | null;
  stop(): Promise<void>;
}

export type PostgresChoice = { ok: true; pg: BenchPostgres } | { ok: false; reason: string };

const INSTALL_HINT =
  'install it with `apt-get install -y postgresql` (the bench then starts a throwaway cluster by itself), ' +
  'or point PASSLESS_BENCH_DATABASE_URL=postgres://user:pass@host:port/db at a server where it may create a database';

export async function providePostgres(options: { profile: boolean; unixSocket?: boolean }): Promise<PostgresChoice> {
  const external = process.env.PASSLESS_BENCH_DATABASE_URL || process.env.DATABASE_URL;
  if (external) return { ok: true, pg: await freshDatabaseIn(external) };
  const bin = findPostgresBin();
  if (!bin) return { ok: false, reason: `no PostgreSQL found in /usr/lib/postgresql/*/bin: ${INSTALL_HINT}` };
  return { ok: true, pg: await throwawayCluster(bin, options) };
}

function findPostgresBin(): string | null {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, 'bin', 'initdb')) && existsSync(join(root, v, 'bin', 'pg_ctl')))
    .sort((a, b) => Number.parseFloat(b) - Number.parseFloat(a));
  return versions[0] ? join(root, versions[0], 'bin') : null;
}

async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

async function serverVersion(url: string): Promise<string> {
  return withClient(
    url,
    async (c) => (await c.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0]!.v,
  );
}

async function freshDatabaseIn(baseUrl: string): Promise<BenchPostgres> {
  const name = `passless_bench_${process.pid}_${Date.now()}`;
  await withClient(baseUrl, (c) => c.query(`CREATE DATABASE ${name}`));
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  const redacted = new URL(url);
  if (redacted.password) redacted.password = '***';
  return {
    url: url.toString(),
    description: `database ${name} created in ${redacted.host} (from ${process.env.PASSLESS_BENCH_DATABASE_URL ? 'PASSLESS_BENCH_DATABASE_URL' : 'DATABASE_URL'}), dropped afterwards`,
    version: await serverVersion(url.toString()),
    statements: false,
    postmasterPid: null,
    async stop() {
      await withClient(baseUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).catch((error: Error) =>
        process.stderr.write(`could not drop ${name}: ${error.message}\n`),
      );
    },
  };
}

async function throwawayCluster(
  bin: string,
  options: { profile: boolean; unixSocket?: boolean },
): Promise<BenchPostgres> {
  const dir = mkdtempSync(join(tmpdir(), 'passless-bench-pg-'));
  const data = join(dir, 'data');
  const asRoot = process.getuid?.() === 0;
  // initdb and postgres refuse to run as root: run them as the `postgres` user, which must own the directory.
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    chownSync(dir, uid, gid);
  }
  const run = (command: string) => {
    if (asRoot) execFileSync('su', ['postgres', '-s', '/bin/sh', '-c', command], { stdio: 'pipe' });
    else execFileSync('/bin/sh', ['-c', command], { stdio: 'pipe' });
  };
  const port = await freePort();
  const settings = [
    `-p ${port}`,
    `-k ${dir}`,
    '-c listen_addresses=127.0.0.1',
    '-c fsync=off',
    '-c max_connections=100',
    ...(options.profile ? ['-c shared_preload_libraries=pg_stat_statements', '-c pg_stat_statements.track=top'] : []),
  ].join(' ');
  let started = false;
  const stop = async () => {
    if (started) {
      try {
        run(`${bin}/pg_ctl -D ${data} -m fast -w stop`);
      } catch (error) {
        process.stderr.write(`pg_ctl stop failed: ${(error as Error).message}\n`);
      }
      started = false;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    run(`${bin}/initdb -D ${data} -U postgres --auth=trust -E UTF8 --no-sync >/dev/null`);
    run(`${bin}/pg_ctl -D ${data} -l ${dir}/postgres.log -w -o "${settings}" start >/dev/null`);
    started = true;
    const admin = `postgres://postgres@127.0.0.1:${port}/postgres`;
    await withClient(admin, (c) => c.query('CREATE DATABASE passless_bench'));
    const tcpUrl = `postgres://postgres@127.0.0.1:${port}/passless_bench`;
    // The same database over the cluster's Unix socket (in `dir`) instead of loopback TCP.
    const url = options.unixSocket ? `postgres://postgres@localhost:${port}/passless_bench?host=${dir}` : tcpUrl;
    if (options.profile) await withClient(url, (c) => c.query('CREATE EXTENSION pg_stat_statements'));
    return {
      url,
      description:
        `throwaway cluster from ${bin} on ${options.unixSocket ? `Unix socket ${dir}/.s.PGSQL.${port}` : `127.0.0.1:${port}`} ` +
        '(fsync=off), removed afterwards',
      version: await serverVersion(url),
      statements: options.profile,
      postmasterPid: Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]),
      stop,
    };
  } catch (error) {
    const log = existsSync(join(dir, 'postgres.log'))
      ? readFileSync(join(dir, 'postgres.log'), 'utf8').slice(-2000)
      : '';
    const stderr = (error as { stderr?: Buffer }).stderr?.toString() ?? '';
    await stop();
    throw new Error(`could not start a throwaway PostgreSQL from ${bin}: ${(error as Error).message}\n${stderr}${log}`);
  }
}

export interface StatementStat {
  calls: number;
  totalMs: number;
  meanMs: number;
  rows: number;
  query: string;
}

/**
 * Refreshes the planner's statistics, as autovacuum does within a minute or so in a running deployment. A phase
 * starts on nearly empty tables (oidc_payloads, flows) that grow by thousands of rows in seconds; without this, each
 * connection keeps plans made while they were empty (a sequential scan is the cheapest way through a one-page
 * table) for the whole phase, and an index lookup turns into a scan of everything written so far.
 */
export async function analyze(url: string): Promise<void> {
  await withClient(url, (c) => c.query('ANALYZE'));
}

export async function resetStatements(url: string): Promise<void> {
  await withClient(url, (c) => c.query('SELECT pg_stat_statements_reset()'));
}

export async function readStatements(url: string): Promise<StatementStat[]> {
  return withClient(url, async (c) => {
    const { rows } = await c.query<{ calls: string; total: number; mean: number; rows: string; query: string }>(
      `SELECT calls, total_exec_time AS total, mean_exec_time AS mean, rows, query
         FROM pg_stat_statements
        WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
          AND query NOT ILIKE '%pg_stat%'
        ORDER BY calls DESC, total_exec_time DESC`,
    );
    return rows.map((r) => ({
      calls: Number(r.calls),
      totalMs: r.total,
      meanMs: r.mean,
      rows: Number(r.rows),
      query: r.query.replace(/\s+/g, ' ').trim(),
    }));
  });
}

/** Rows of the tables a sign-in or a grant writes to, oidc_payloads by model: what each unit leaves behind. */
export async function countRows(url: string): Promise<Record<string, number>> {
  return withClient(url, async (c) => {
    const out: Record<string, number> = {};
    const payloads = await c.query<{ model: string; n: string }>(
      'SELECT model, count(*) AS n FROM oidc_payloads GROUP BY model',
    );
    for (const r of payloads.rows) out[`oidc_payloads ${r.model}`] = Number(r.n);
    for (const table of ['sign_in_events', 'sessions', 'flows']) {
      const r = await c.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`);
      out[table] = Number(r.rows[0]!.n);
    }
    return out;
  });
}
