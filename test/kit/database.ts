// Fresh, migrated databases for tests: one per createTestDatabase() call, cheap enough to use one per test.
//
// Embedded (default): the migrated PGlite data directory is built once per process (or read from a
// cache file in .tmp/, keyed by the migrations and the PGlite version) and every call loads a copy of it
// into a new in-memory PGlite.
//
// PostgreSQL (PASSLESS_TEST_DATABASE_URL set): a template database passless_template_<hash> is migrated
// once (race-safe across test processes through an advisory lock), and every call creates
// passless_t_<random> from it; close() drops that database.
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { sql } from 'kysely';
import pg from 'pg';
import { type DatabaseHandle, fromPGlite, openPostgres, redact } from '../../src/storage/connection.ts';
import { migrate } from '../../src/storage/migrate.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CACHE_DIR = join(ROOT, '.tmp');
// Any fixed number; scoped to the database named in PASSLESS_TEST_DATABASE_URL.
const TEMPLATE_LOCK = 727_272;

export function testDatabaseKind(): 'embedded' | 'postgres' {
  return process.env.PASSLESS_TEST_DATABASE_URL ? 'postgres' : 'embedded';
}

export async function createTestDatabase(): Promise<DatabaseHandle> {
  const url = process.env.PASSLESS_TEST_DATABASE_URL;
  return url ? createPostgresDatabase(url) : createEmbeddedDatabase();
}

/** Hash of everything that shapes the migrated schema: migrate.ts and the migration files. */
function schemaHash(extra = ''): string {
  const storage = join(ROOT, 'src', 'storage');
  const hash = createHash('sha256').update(extra);
  const files = [
    join(storage, 'migrate.ts'),
    ...readdirSync(join(storage, 'migrations'))
      .sort()
      .map((name) => join(storage, 'migrations', name)),
  ];
  for (const file of files)
    hash.update(file.slice(storage.length)).update('\0').update(readFileSync(file)).update('\0');
  return hash.digest('hex').slice(0, 16);
}

// ---- embedded ---------------------------------------------------------------------------------------------

interface EmbeddedTemplate {
  image: Blob;
  /** The cache file it was read from, if it was. */
  cachedIn?: string;
}

let embeddedTemplate: Promise<EmbeddedTemplate> | undefined;

function embeddedTemplateOnce(): Promise<EmbeddedTemplate> {
  if (!embeddedTemplate) {
    embeddedTemplate = loadOrBuildEmbeddedTemplate();
    embeddedTemplate.catch(() => {
      embeddedTemplate = undefined;
    });
  }
  return embeddedTemplate;
}

async function createEmbeddedDatabase(): Promise<DatabaseHandle> {
  const template = await embeddedTemplateOnce();
  let client: PGlite;
  try {
    client = await PGlite.create({ loadDataDir: template.image });
  } catch (error) {
    if (!template.cachedIn) throw error;
    // An unusable cache file (another PGlite build, a damaged disk): drop it and build the template here.
    rmSync(template.cachedIn, { force: true });
    embeddedTemplate = undefined;
    client = await PGlite.create({ loadDataDir: (await embeddedTemplateOnce()).image });
  }
  return fromPGlite(client);
}

function pgliteVersion(): string {
  const packageJson = join(ROOT, 'node_modules', '@electric-sql', 'pglite', 'package.json');
  return (JSON.parse(readFileSync(packageJson, 'utf8')) as { version: string }).version;
}

async function loadOrBuildEmbeddedTemplate(): Promise<EmbeddedTemplate> {
  // The data directory format belongs to the PGlite version, so that is part of the key.
  const file = join(CACHE_DIR, `pglite-template-${schemaHash(`pglite ${pgliteVersion()}`)}.tar`);
  try {
    // Written whole or not at all (see saveTemplate), so a file that exists is complete.
    return { image: new Blob([readFileSync(file)]), cachedIn: file };
  } catch {
    // not cached yet
  }
  const client = await PGlite.create();
  const handle = fromPGlite(client);
  try {
    await migrate(handle.db);
    const image = new Blob([await (await client.dumpDataDir('none')).arrayBuffer()]);
    await saveTemplate(file, image).catch(() => {}); // a read-only checkout still works, only slower
    return { image };
  } finally {
    await handle.close();
  }
}

async function saveTemplate(file: string, blob: Blob): Promise<void> {
  mkdirSync(CACHE_DIR, { recursive: true });
  const partial = `${file}.${process.pid}.partial`;
  writeFileSync(partial, new Uint8Array(await blob.arrayBuffer()));
  renameSync(partial, file);
  // Templates of older migrations are dead weight (40 MB each).
  const name = file.slice(CACHE_DIR.length + 1);
  for (const other of readdirSync(CACHE_DIR)) {
    if (other.startsWith('pglite-template-') && other.endsWith('.tar') && other !== name) {
      rmSync(join(CACHE_DIR, other), { force: true });
    }
  }
}

// ---- PostgreSQL -------------------------------------------------------------------------------------------

let adminPool: pg.Pool | undefined;
let postgresTemplate: Promise<string> | undefined;

function admin(url: string): pg.Pool {
  // allowExitOnIdle: an idle pool must not keep the test process alive after its tests end.
  if (!adminPool) {
    adminPool = new pg.Pool({ connectionString: url, max: 2, idleTimeoutMillis: 1000, allowExitOnIdle: true });
    // An idle connection that dies (server stopped) is simply discarded; unhandled, it would crash the process.
    adminPool.on('error', () => {});
  }
  return adminPool;
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

async function createPostgresDatabase(url: string): Promise<DatabaseHandle> {
  postgresTemplate ??= ensurePostgresTemplate(url);
  postgresTemplate.catch(() => {
    postgresTemplate = undefined;
  });
  const template = await postgresTemplate;
  const name = `passless_t_${randomBytes(8).toString('hex')}`;
  const pool = admin(url);
  await pool.query(`CREATE DATABASE ${name} TEMPLATE ${template}`);
  const drop = async () => {
    // The handle's pool.end() resolves before its backends have gone. Killing one that is still exiting
    // (FORCE) would surface as an 'error' event on that pool's client and crash the test process, so wait
    // for them first; FORCE is then only for connections a test leaked.
    for (let waited = 0; waited < 2000; waited += 5) {
      const busy = await pool.query('SELECT 1 FROM pg_stat_activity WHERE datname = $1 LIMIT 1', [name]);
      if (busy.rowCount === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await pool.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  };
  let handle: DatabaseHandle;
  try {
    handle = await openPostgres(withDatabase(url, name), { max: 4 });
    // Kysely's destroy() skips pool.end() on a Kysely that never ran a query, which would leave the pool's
    // first connection open (keeping the test process alive and the database undroppable): run one.
    await sql`SELECT 1`.execute(handle.db);
  } catch (error) {
    await drop().catch(() => {});
    throw error;
  }
  let closed: Promise<void> | undefined;
  return {
    ...handle,
    close: () => {
      closed ??= handle.close().finally(drop);
      return closed;
    },
  };
}

/**
 * Creates passless_template_<hash> unless it exists. Several test processes start at once: an advisory lock
 * serialises them, and the template is built under a scratch name and renamed when complete, so a process
 * that died half-way never leaves a template that looks finished.
 */
async function ensurePostgresTemplate(url: string): Promise<string> {
  const template = `passless_template_${schemaHash()}`;
  const building = `${template}_building`;
  const client = new pg.Client({ connectionString: url });
  await client.connect().catch((error: Error) => {
    throw new Error(`PASSLESS_TEST_DATABASE_URL (${redact(url)}): cannot connect: ${error.message}`, { cause: error });
  });
  try {
    await client.query('SELECT pg_advisory_lock($1)', [TEMPLATE_LOCK]);
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [template]);
    if (exists.rowCount === 0) {
      await client.query(`DROP DATABASE IF EXISTS ${building} WITH (FORCE)`);
      await client.query(`CREATE DATABASE ${building}`);
      const handle = await openPostgres(withDatabase(url, building), { max: 1 });
      try {
        await migrate(handle.db);
      } finally {
        await handle.close();
      }
      await client.query(`ALTER DATABASE ${building} RENAME TO ${template}`);
      // Nobody may connect to it: CREATE DATABASE … TEMPLATE fails while the template has sessions.
      await client.query(`ALTER DATABASE ${template} WITH IS_TEMPLATE true ALLOW_CONNECTIONS false`);
    }
    return template;
  } finally {
    await client.end();
  }
}
