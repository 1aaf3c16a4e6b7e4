// One typed configuration schema with documented defaults. Environment variables override the optional
// JSON config file (PASSLESS_CONFIG). docs/configuration.md is generated from SETTINGS; a test keeps it in sync.
import { readFileSync } from 'node:fs';

export interface PasslessConfig {
  port: number;
  host: string;
  publicUrl: string;
  dataDir: string;
  databaseUrl: string | null;
  bootstrapAdmin: string;
  trustProxy: boolean;
  logLevel: string;
  sessionLifetimeMinutes: number;
  sessionIdleMinutes: number;
  reauthenticationWindowMinutes: number;
  signInFlowMinutes: number;
  signInStartsPerMinute: number;
  deviceCodeSeconds: number;
  /** base64url of 32 bytes, or null: then a generated development key kept in the database is used (with a warning). */
  keyEncryptionKey: string | null;
  /** Derived from publicUrl. */
  origin: string;
  rpId: string;
  secureCookies: boolean;
}

type Kind =
  | 'port'
  | 'string'
  | 'url'
  | 'boolean'
  | 'minutes'
  | 'seconds'
  | 'count'
  | 'logLevel'
  | 'upn'
  | 'databaseUrl'
  | 'key256';

interface Setting {
  key: keyof PasslessConfig;
  env: string;
  kind: Kind;
  default: string | null;
  description: string;
  /** Never echoed in error messages (stderr ends up in logs). */
  secret?: boolean;
}

export const SETTINGS: readonly Setting[] = [
  {
    key: 'port',
    env: 'PASSLESS_PORT',
    kind: 'port',
    default: '8080',
    description: 'TCP port the server listens on (`8443` when `passless serve --tls` serves https itself).',
  },
  {
    key: 'host',
    env: 'PASSLESS_HOST',
    kind: 'string',
    default: 'localhost',
    description: 'Interface to listen on. Use `0.0.0.0` (or `::`) behind a load balancer.',
  },
  {
    key: 'publicUrl',
    env: 'PASSLESS_PUBLIC_URL',
    kind: 'url',
    default: null,
    description:
      'Origin people reach Passless at (default `http://localhost:<port>`; with `passless serve --tls`, `https://localhost:<port>`, and it must be https). It is the WebAuthn origin, its host is the RP ID, and it will be the OIDC issuer. Passkeys are bound to it: changing it later makes registered passkeys unusable.',
  },
  {
    key: 'dataDir',
    env: 'PASSLESS_DATA_DIR',
    kind: 'string',
    default: './data',
    description:
      'Directory of the embedded database (PGlite). One server process owns it at a time (a lock file enforces this). `passless serve --tls self-signed` keeps its certificate in `<dir>/tls`, also with `DATABASE_URL`; the database part is ignored when `DATABASE_URL` is set.',
  },
  {
    key: 'databaseUrl',
    env: 'DATABASE_URL',
    kind: 'databaseUrl',
    default: null,
    description:
      '`postgres://user:pass@host:port/db` switches from the embedded database to PostgreSQL (several instances may share it).',
  },
  {
    key: 'bootstrapAdmin',
    env: 'PASSLESS_BOOTSTRAP_ADMIN',
    kind: 'upn',
    default: 'admin@passless.localhost',
    description: 'User principal name of the Global Administrator created on first start with an empty database.',
  },
  {
    key: 'trustProxy',
    env: 'PASSLESS_TRUST_PROXY',
    kind: 'boolean',
    default: 'false',
    description:
      'Trust `X-Forwarded-For` for the client address (throttling, logs). Enable only behind a proxy that sets it.',
  },
  {
    key: 'logLevel',
    env: 'PASSLESS_LOG_LEVEL',
    kind: 'logLevel',
    default: 'info',
    description: 'One of fatal, error, warn, info, debug, trace, silent.',
  },
  {
    key: 'sessionLifetimeMinutes',
    env: 'PASSLESS_SESSION_LIFETIME_MINUTES',
    kind: 'minutes',
    default: '720',
    description: 'Absolute lifetime of a passkey session (NIST 800-63B-4 AAL2 allows at most 24 h).',
  },
  {
    key: 'sessionIdleMinutes',
    env: 'PASSLESS_SESSION_IDLE_MINUTES',
    kind: 'minutes',
    default: '60',
    description: 'A session unused for this long ends (NIST AAL2: at most 1 h).',
  },
  {
    key: 'reauthenticationWindowMinutes',
    env: 'PASSLESS_REAUTHENTICATION_WINDOW_MINUTES',
    kind: 'minutes',
    default: '5',
    description: 'Registering a passkey needs a sign-in at most this many minutes old (Entra uses 5).',
  },
  {
    key: 'signInFlowMinutes',
    env: 'PASSLESS_SIGN_IN_FLOW_MINUTES',
    kind: 'minutes',
    default: '10',
    description: 'How long a sign-in or registration ceremony may take before it must be started again.',
  },
  {
    key: 'deviceCodeSeconds',
    env: 'PASSLESS_DEVICE_CODE_SECONDS',
    kind: 'seconds',
    default: '900',
    description:
      'How long a device sign-in (passless login, TVs, CLIs: the device authorization grant) waits for the person to enter its code (Entra uses 15 minutes).',
  },
  {
    key: 'signInStartsPerMinute',
    env: 'PASSLESS_SIGN_IN_STARTS_PER_MINUTE',
    kind: 'count',
    default: '600',
    description:
      'Sign-in ceremonies one client address may start per minute on one instance (bursts up to the same number); beyond it, 429. Stops an unauthenticated flood of sign-in flows. Raise it behind a proxy that hides many people behind one address.',
  },
  {
    key: 'keyEncryptionKey',
    env: 'PASSLESS_KEY_ENCRYPTION_KEY',
    kind: 'key256',
    default: null,
    secret: true,
    description:
      'Key that encrypts the token-signing private keys in the database (AES-256-GCM): 32 random bytes in base64url, e.g. `node -e "console.log(crypto.randomBytes(32).toString(\'base64url\'))"`. Keep it out of the database and its backups. Unset, Passless generates one and stores it in the database beside the keys it protects, and warns at every start: fine for development only. Changing it makes the stored signing keys unreadable.',
  },
];

export class ConfigError extends Error {}

const LOG_LEVELS = new Set(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

function parseValue(setting: Setting, raw: string): unknown {
  const fail = (why: string): never => {
    const shown = setting.secret ? '(value hidden)' : JSON.stringify(raw);
    throw new ConfigError(`${setting.env}=${shown} is not valid: ${why}`);
  };
  switch (setting.kind) {
    case 'port': {
      const n = Number(raw);
      if (!Number.isInteger(n) || n < 0 || n > 65535) fail('expected a port number 0-65535');
      return n;
    }
    case 'minutes': {
      const n = Number(raw);
      if (!Number.isInteger(n) || n < 1 || n > 43200) fail('expected whole minutes between 1 and 43200');
      return n;
    }
    case 'seconds': {
      const n = Number(raw);
      if (!Number.isInteger(n) || n < 1 || n > 86400) fail('expected whole seconds between 1 and 86400');
      return n;
    }
    case 'count': {
      const n = Number(raw);
      if (!Number.isInteger(n) || n < 1 || n > 1_000_000) fail('expected a whole number between 1 and 1000000');
      return n;
    }
    case 'boolean':
      if (raw === 'true' || raw === '1') return true;
      if (raw === 'false' || raw === '0') return false;
      return fail('expected true or false');
    case 'url': {
      let url: URL;
      try {
        url = new URL(raw);
      } catch {
        return fail('expected an absolute URL such as https://id.example.com');
      }
      if (url.protocol !== 'https:' && url.protocol !== 'http:') fail('expected an http(s) URL');
      if (url.pathname !== '/' || url.search || url.hash) fail('expected an origin without path, query or fragment');
      return url.origin;
    }
    case 'databaseUrl':
      if (!/^postgres(ql)?:\/\//.test(raw)) fail('expected postgres://user:password@host:port/database');
      return raw;
    case 'logLevel':
      if (!LOG_LEVELS.has(raw)) fail(`expected one of ${[...LOG_LEVELS].join(', ')}`);
      return raw;
    case 'upn':
      if (!/^[A-Za-z0-9'._!#^~-]+@[A-Za-z0-9.-]+$/.test(raw))
        fail('expected a user principal name like admin@example.com');
      return raw;
    case 'key256':
      // Strict base64url (no padding) of exactly 32 bytes: a typo must not silently become a different key.
      if (!/^[A-Za-z0-9_-]{43}$/.test(raw) || Buffer.from(raw, 'base64url').length !== 32) {
        fail('expected 32 random bytes in base64url (43 characters)');
      }
      return raw;
    case 'string':
      if (raw.trim() === '') fail('must not be empty');
      return raw;
  }
}

function readConfigFile(env: NodeJS.ProcessEnv): Record<string, string> {
  const path = env.PASSLESS_CONFIG;
  if (!path) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ConfigError(`PASSLESS_CONFIG=${path} could not be read as JSON: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError(`PASSLESS_CONFIG=${path} must hold a JSON object of setting names to values`);
  }
  const known = new Set(SETTINGS.map((s) => s.env));
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(parsed)) {
    if (!known.has(name)) throw new ConfigError(`PASSLESS_CONFIG=${path} names an unknown setting ${name}`);
    out[name] = String(value);
  }
  return out;
}

/** The port when PASSLESS_PORT is unset and the server itself serves https (`passless serve --tls`). */
export const HTTPS_DEFAULT_PORT = 8443;

/**
 * Reads and validates the configuration; throws ConfigError naming the offending setting.
 * `https`: the server terminates TLS itself, so the defaults become port 8443 and https://localhost:<port>, and an
 * http public URL is refused (it would be the wrong issuer and WebAuthn origin, and cookies would not be Secure).
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, options: { https?: boolean } = {}): PasslessConfig {
  const file = readConfigFile(env);
  const values: Record<string, unknown> = {};
  for (const setting of SETTINGS) {
    const fallback = options.https && setting.key === 'port' ? String(HTTPS_DEFAULT_PORT) : setting.default;
    const raw = env[setting.env] ?? file[setting.env] ?? fallback;
    values[setting.key] = raw === null || raw === '' ? null : parseValue(setting, raw);
  }
  const port = values.port as number;
  const publicUrl = (values.publicUrl as string | null) ?? `${options.https ? 'https' : 'http'}://localhost:${port}`;
  const url = new URL(publicUrl);
  if (options.https && url.protocol !== 'https:') {
    throw new ConfigError(
      `PASSLESS_PUBLIC_URL=${publicUrl} is http, but --tls serves https: set it to https://${url.host} or leave it unset (https://localhost:<port>)`,
    );
  }
  if (url.protocol === 'http:' && !['localhost', '127.0.0.1', '[::1]'].includes(url.hostname)) {
    throw new ConfigError(
      `PASSLESS_PUBLIC_URL=${publicUrl} uses http on a host other than localhost: browsers allow passkeys only on https origins (or localhost)`,
    );
  }
  return {
    ...(values as unknown as PasslessConfig),
    publicUrl,
    origin: url.origin,
    rpId: url.hostname,
    secureCookies: url.protocol === 'https:',
  };
}

/** The settings reference in docs/configuration.md, generated so it cannot drift from the schema. */
export function renderConfigurationDoc(): string {
  const rows = SETTINGS.map(
    (s) => `| \`${s.env}\` | ${s.default === null ? '—' : `\`${s.default}\``} | ${s.description} |`,
  ).join('\n');
  return `# Configuration

<!-- Generated from src/core/config/config.ts by \`npx passless config-doc > docs/configuration.md\`; a test fails when it drifts. -->

Every setting is an environment variable. \`PASSLESS_CONFIG=/path/file.json\` may name a JSON file holding the same names
(\`{"PASSLESS_PORT": 9000}\`); environment variables win over the file. A bad value stops the start with a message naming the setting.

| Setting | Default | Meaning |
|---|---|---|
${rows}

Policies that administrators change at run time (the Temporary Access Pass policy, roles) live in the database and are
managed through the admin console or the Graph-compatible API, not here.
`;
}
