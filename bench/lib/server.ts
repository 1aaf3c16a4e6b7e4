// Starts the real Passless server (`node bin/passless.mjs serve`) as a child process on a free loopback port and
// reads the bootstrap administrator's Temporary Access Pass from its first-start banner.
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../bin/passless.mjs', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface RunningServer {
  pid: number;
  /** Loopback address to connect to. */
  baseUrl: string;
  /** PASSLESS_PUBLIC_URL (http://localhost:<port>): the Origin and the WebAuthn origin, RP ID `localhost`. */
  origin: string;
  adminUpn: string;
  adminPass: string;
  /** Last lines the server wrote (for error messages), and how it ended if it did. */
  output(): string;
  stop(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export async function startServer(options: {
  /** Embedded: a data directory; PostgreSQL: a connection string. */
  dataDir?: string;
  databaseUrl?: string;
  /** Extra node flags for the server process (e.g. --cpu-prof, which Node refuses in NODE_OPTIONS). */
  nodeArgs?: string[];
  adminUpn?: string;
  /** PASSLESS_TRUST_PROXY: take the client address from X-Forwarded-For, as behind a reverse proxy. */
  trustProxy?: boolean;
  /**
   * Another instance on a database a first server already set up (--servers): the same public origin as that one
   * (so passkeys and the provider's issuer match), and no bootstrap banner to wait for.
   */
  instanceOf?: RunningServer;
}): Promise<RunningServer> {
  const port = await freePort();
  const origin = options.instanceOf?.origin ?? `http://localhost:${port}`;
  const adminUpn = options.adminUpn ?? 'bench-admin@passless.localhost';
  const env: NodeJS.ProcessEnv = { ...process.env };
  // The bench may itself run with DATABASE_URL set (as the PostgreSQL source): never let it leak into the
  // embedded run.
  delete env.DATABASE_URL;
  delete env.PASSLESS_CONFIG;
  delete env.NODE_OPTIONS;
  Object.assign(env, {
    PASSLESS_PORT: String(port),
    PASSLESS_HOST: '127.0.0.1',
    PASSLESS_PUBLIC_URL: origin,
    PASSLESS_LOG_LEVEL: 'warn',
    PASSLESS_BOOTSTRAP_ADMIN: adminUpn,
    PASSLESS_TRUST_PROXY: options.trustProxy ? 'true' : 'false',
    // Each client loop starts far more sign-ins a minute than a person could; the bench measures sign-ins,
    // not the per-address flood guard.
    PASSLESS_SIGN_IN_STARTS_PER_MINUTE: '1000000',
  });
  if (options.databaseUrl) env.DATABASE_URL = options.databaseUrl;
  if (options.dataDir) env.PASSLESS_DATA_DIR = options.dataDir;

  const child: ChildProcess = spawn(process.execPath, [...(options.nodeArgs ?? []), BIN, 'serve'], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let tail = '';
  const keep = (chunk: Buffer) => {
    tail = (tail + chunk.toString('utf8')).slice(-8000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let alive = true;
  let ended = '';
  child.once('exit', (code, signal) => {
    alive = false;
    ended = `\n[server exited: code ${code}, signal ${signal}]`;
  });

  const stop = async () => {
    if (!alive) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  };

  try {
    const deadline = Date.now() + 90_000;
    let adminPass: string | null = options.instanceOf?.adminPass ?? null;
    let healthy = false;
    while (!(adminPass && healthy)) {
      if (!alive) throw new Error(`the server exited during start:\n${tail}`);
      if (Date.now() > deadline) throw new Error(`the server did not start within 90 s:\n${tail}`);
      adminPass ??= /Temporary Access Pass:\s+(\S+)/.exec(tail)?.[1] ?? null;
      if (!healthy) {
        healthy = await fetch(`http://127.0.0.1:${port}/healthz`).then(
          (r) => r.ok,
          () => false,
        );
      }
      if (!(adminPass && healthy)) await new Promise((r) => setTimeout(r, 100));
    }
    return {
      pid: child.pid!,
      baseUrl: `http://127.0.0.1:${port}`,
      origin,
      adminUpn,
      adminPass,
      output: () => tail + ended,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
