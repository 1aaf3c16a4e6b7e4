// `passless login`, `passless whoami`, `passless logout`: the CLI as an OAuth client of a Passless deployment.
// login runs the device authorization grant (RFC 8628) with the built-in public client `passless-cli`; the tokens
// are kept per deployment in $XDG_CONFIG_HOME/passless/credentials.json (0600, directory 0700) and refreshed
// when the access token has expired. These commands only talk HTTP to the deployment: they never open its
// database, so they work from any machine.
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir, hostname } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as oidc from 'openid-client';
import { CLI_CLIENT_ID } from '../core/oidc/protocol.ts';

/** A failure the person can act on: printed without a stack or an "error:" prefix. */
export class CliError extends Error {}

export interface CliIo {
  env: NodeJS.ProcessEnv;
  out(text: string): void;
  err(text: string): void;
  /** Replaces the global fetch (tests reach an in-process server this way). */
  fetch?: typeof fetch;
}

const defaultIo = (): CliIo => ({
  env: process.env,
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
});

// ---------------------------------------------------------------------------
// Where credentials live

export interface StoredCredentials {
  issuer: string;
  clientId: string;
  scope: string;
  tokenType: string;
  accessToken: string;
  /** ISO time after which the access token is no longer accepted. */
  expiresAt: string;
  refreshToken?: string;
  idToken?: string;
  savedAt: string;
}

interface CredentialsFile {
  version: 1;
  /** Keyed by the deployment's URL (its origin). */
  deployments: Record<string, StoredCredentials>;
}

export function configDir(env: NodeJS.ProcessEnv): string {
  const base = env.XDG_CONFIG_HOME?.startsWith('/') ? env.XDG_CONFIG_HOME : join(homedir(), '.config');
  return join(base, 'passless');
}

export function credentialsPath(env: NodeJS.ProcessEnv): string {
  return join(configDir(env), 'credentials.json');
}

function readCredentialsFile(env: NodeJS.ProcessEnv): CredentialsFile {
  let text: string;
  try {
    text = readFileSync(credentialsPath(env), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, deployments: {} };
    throw error;
  }
  try {
    const parsed = JSON.parse(text) as CredentialsFile;
    if (parsed?.version === 1 && parsed.deployments && typeof parsed.deployments === 'object') return parsed;
  } catch {}
  throw new CliError(
    `${credentialsPath(env)} is not a credentials file this version understands: delete it and sign in again.`,
  );
}

/** Written to a fresh 0600 file and renamed over the old one, so a crash never leaves half a file. */
function writeCredentialsFile(env: NodeJS.ProcessEnv, file: CredentialsFile): void {
  const dir = configDir(env);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  // mkdir's mode only applies when it creates the directory (and goes through the umask).
  chmodSync(dir, 0o700);
  const path = credentialsPath(env);
  const temporary = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  chmodSync(temporary, 0o600);
  renameSync(temporary, path);
}

function updateCredentials(env: NodeJS.ProcessEnv, url: string, entry: StoredCredentials | null): void {
  const file = readCredentialsFile(env);
  if (entry) file.deployments[url] = entry;
  else delete file.deployments[url];
  writeCredentialsFile(env, file);
}

const LOCK_STALE_MS = 30_000;
const LOCK_WAIT_MS = 15_000;

/**
 * Refresh tokens rotate and a reused one revokes the whole grant, so two commands refreshing at once would sign
 * the person out. One lock file in the config directory serialises refreshes (and writes) across processes.
 */
async function withCredentialsLock<T>(env: NodeJS.ProcessEnv, work: () => Promise<T>): Promise<T> {
  const dir = configDir(env);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const lock = join(dir, 'credentials.lock');
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      const fd = openSync(lock, 'wx', 0o600);
      writeFileSync(fd, String(process.pid));
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      try {
        if (Date.now() - statSync(lock).mtimeMs > LOCK_STALE_MS) rmSync(lock, { force: true });
      } catch {}
      if (Date.now() > deadline) throw new CliError(`another passless command holds ${lock}; try again in a moment.`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  try {
    return await work();
  } finally {
    rmSync(lock, { force: true });
  }
}

// ---------------------------------------------------------------------------
// The deployment

/** --url, else PASSLESS_PUBLIC_URL, else the default local server; always an origin. */
export function deploymentUrl(flag: string | undefined, env: NodeJS.ProcessEnv): string {
  const raw = flag || env.PASSLESS_PUBLIC_URL || 'http://localhost:8080';
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new CliError(
      `${raw} is not a URL: use the address people open Passless at, e.g. https://passless.example.com`,
    );
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new CliError(`${raw}: use an http or https URL`);
  if (url.pathname !== '/' || url.search || url.hash) {
    throw new CliError(`${raw}: use the deployment's origin, without a path (e.g. ${url.origin})`);
  }
  return url.origin;
}

/**
 * What the server sends (codes, URLs, names, error texts) reaches a terminal: control characters are dropped so
 * a hostile or broken deployment cannot move the cursor or rewrite what the person reads.
 */
export function printable(text: string): string {
  return text.replace(/(?!\n)\p{Cc}/gu, '');
}

function describeError(error: unknown): string {
  return printable(describeErrorText(error));
}

function describeErrorText(error: unknown): string {
  if (error instanceof oidc.ResponseBodyError) {
    return error.error_description ? `${error.error}: ${error.error_description}` : error.error;
  }
  const err = error as Error & { cause?: unknown };
  const cause = err?.cause as (Error & { code?: string }) | undefined;
  if (cause?.code === 'ECONNREFUSED') return 'connection refused';
  if (cause?.code && /SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER/.test(cause.code)) {
    // A development deployment's self-signed certificate (`passless serve --tls self-signed`) is trusted by
    // pointing Node.js at it, never by turning verification off.
    return `the server's TLS certificate is not trusted (${cause.code}): if it is a development certificate, run with NODE_EXTRA_CA_CERTS=<its .pem file>`;
  }
  if (cause?.message) return `${err.message} (${cause.message})`;
  return err?.message ?? String(error);
}

/**
 * The device flow's confirm page shows the requesting device's user agent: naming the CLI and this machine
 * there helps a person recognise their own request (or notice one that is not).
 */
function cliFetch(io: CliIo): NonNullable<oidc.DiscoveryRequestOptions[typeof oidc.customFetch]> {
  const doFetch = io.fetch ?? fetch;
  const userAgent = `passless-cli on ${hostname()} (${process.platform}; Node.js ${process.version})`;
  return (url, options) => {
    const headers = new Headers(options.headers);
    headers.set('user-agent', userAgent);
    return doFetch(url, { ...options, headers } as RequestInit);
  };
}

async function connect(url: string, io: CliIo): Promise<oidc.Configuration> {
  const execute = url.startsWith('http:') ? [oidc.allowInsecureRequests] : [];
  try {
    const options: oidc.DiscoveryRequestOptions = { execute, [oidc.customFetch]: cliFetch(io) };
    return await oidc.discovery(new URL(url), CLI_CLIENT_ID, undefined, oidc.None(), options);
  } catch (error) {
    throw new CliError(`could not read ${url}/.well-known/openid-configuration: ${describeError(error)}`);
  }
}

/**
 * Resource scope for the Passless API (docs/oidc.md): `{resource}/.default`, the resource being the issuer.
 */
function apiScope(config: oidc.Configuration): string {
  return `${config.serverMetadata().issuer.replace(/\/$/, '')}/.default`;
}

function decodeJwtPayload(jwt: string | undefined): Record<string, unknown> | null {
  const payload = jwt?.split('.')[1];
  if (!payload) return null;
  try {
    return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
  } catch {
    return null;
  }
}

function toStored(
  config: oidc.Configuration,
  tokens: oidc.TokenEndpointResponse,
  requestedScope: string,
  previous?: StoredCredentials,
): StoredCredentials {
  const now = Date.now();
  // Without expires_in the token's own lifetime is unknown: treat it as the documented hour.
  const lifetime = typeof tokens.expires_in === 'number' ? tokens.expires_in : 3600;
  return {
    issuer: config.serverMetadata().issuer,
    clientId: CLI_CLIENT_ID,
    scope: tokens.scope ?? previous?.scope ?? requestedScope,
    tokenType: tokens.token_type ?? 'bearer',
    accessToken: tokens.access_token,
    expiresAt: new Date(now + lifetime * 1000).toISOString(),
    ...((tokens.refresh_token ?? previous?.refreshToken)
      ? { refreshToken: tokens.refresh_token ?? previous?.refreshToken }
      : {}),
    ...((tokens.id_token ?? previous?.idToken) ? { idToken: tokens.id_token ?? previous?.idToken } : {}),
    savedAt: new Date(now).toISOString(),
  };
}

// ---------------------------------------------------------------------------
// login

const BASE_SCOPE = 'openid profile offline_access';

export async function login(args: string[], io: CliIo = defaultIo()): Promise<void> {
  const { values } = parseArgs({ args, options: { url: { type: 'string' } } });
  const url = deploymentUrl(values.url, io.env);
  const config = await connect(url, io);
  if (!config.serverMetadata().device_authorization_endpoint) {
    throw new CliError(`${url} does not offer device sign-in (no device_authorization_endpoint)`);
  }

  let scope = `${BASE_SCOPE} ${apiScope(config)}`;
  let started: oidc.DeviceAuthorizationResponse;
  try {
    started = await oidc.initiateDeviceAuthorization(config, { scope });
  } catch (error) {
    if (!(error instanceof oidc.ResponseBodyError) || !['invalid_scope', 'invalid_target'].includes(error.error)) {
      throw new CliError(`${url} refused to start a device sign-in: ${describeError(error)}`);
    }
    // An older deployment without the API resource: sign in anyway; whoami then shows the ID token.
    io.err(`passless: ${url} does not grant access to its API (${describeError(error)}); signing in without it.\n`);
    scope = BASE_SCOPE;
    try {
      started = await oidc.initiateDeviceAuthorization(config, { scope });
    } catch (retryError) {
      throw new CliError(`${url} refused to start a device sign-in: ${describeError(retryError)}`);
    }
  }

  const minutes = Math.max(1, Math.round(started.expires_in / 60));
  io.out(
    printable(
      [
        '',
        `  To sign in to ${url}, open this page in a browser:`,
        '',
        `    ${started.verification_uri}`,
        '',
        `  and enter the code:  ${started.user_code}`,
        '',
        ...(started.verification_uri_complete
          ? [
              '  Or open this link, which fills in the code for you:',
              '',
              `    ${started.verification_uri_complete}`,
              '',
            ]
          : []),
        `  The code expires in ${minutes} minute${minutes === 1 ? '' : 's'}. Waiting for you to confirm…`,
        '',
      ].join('\n'),
    ),
  );

  let tokens: oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers;
  try {
    tokens = await oidc.pollDeviceAuthorizationGrant(config, started);
  } catch (error) {
    if (error instanceof oidc.ResponseBodyError) {
      if (error.error === 'expired_token') {
        throw new CliError(
          'expired_token: the code expired before the sign-in was confirmed. Run `passless login` again.',
        );
      }
      if (error.error === 'access_denied') {
        throw new CliError('access_denied: the sign-in was cancelled or declined in the browser.');
      }
    }
    if (error instanceof oidc.ClientError && error.code === 'OAUTH_TIMEOUT') {
      throw new CliError(
        'expired_token: the code expired before the sign-in was confirmed. Run `passless login` again.',
      );
    }
    throw new CliError(`the sign-in did not complete: ${describeError(error)}`);
  }

  const stored = toStored(config, tokens, scope);
  await withCredentialsLock(io.env, async () => updateCredentials(io.env, url, stored));
  const claims = tokens.claims();
  const who = claims?.preferred_username ?? claims?.sub;
  io.out(
    printable(
      `  Signed in to ${url}${who ? ` as ${who}` : ''}${claims?.name ? ` (${claims.name})` : ''}.\n` +
        `  Credentials saved in ${credentialsPath(io.env)}.\n`,
    ),
  );
}

// ---------------------------------------------------------------------------
// Using the stored tokens

const EXPIRY_MARGIN_MS = 60_000;

function storedFor(env: NodeJS.ProcessEnv, url: string): StoredCredentials {
  const entry = readCredentialsFile(env).deployments[url];
  if (!entry) throw new CliError(`not signed in to ${url}: run \`passless login --url ${url}\` first.`);
  return entry;
}

/**
 * An access token that is still valid, refreshed (and saved) when the stored one has expired — or, with
 * `refused`, when the API has just refused that token although it had not expired.
 */
export async function currentCredentials(url: string, io: CliIo, refused?: string): Promise<StoredCredentials> {
  const fresh = (entry: StoredCredentials) =>
    entry.accessToken !== refused && Date.parse(entry.expiresAt) - EXPIRY_MARGIN_MS > Date.now();
  const entry = storedFor(io.env, url);
  if (fresh(entry)) return entry;
  return withCredentialsLock(io.env, async () => {
    // Another command may have refreshed while this one waited for the lock.
    const current = storedFor(io.env, url);
    if (fresh(current)) return current;
    if (!current.refreshToken) {
      throw new CliError(`your sign-in to ${url} has expired: run \`passless login --url ${url}\` again.`);
    }
    const config = await connect(url, io);
    let tokens: oidc.TokenEndpointResponse;
    try {
      tokens = await oidc.refreshTokenGrant(config, current.refreshToken);
    } catch (error) {
      if (error instanceof oidc.ResponseBodyError && error.error === 'invalid_grant') {
        // The grant is gone (expired, revoked, or signed out): these tokens will never work again.
        updateCredentials(io.env, url, null);
        throw new CliError(`your sign-in to ${url} has ended: run \`passless login --url ${url}\` again.`);
      }
      throw new CliError(`could not refresh the sign-in to ${url}: ${describeError(error)}`);
    }
    const refreshed = toStored(config, tokens, current.scope, current);
    updateCredentials(io.env, url, refreshed);
    return refreshed;
  });
}

// ---------------------------------------------------------------------------
// whoami

interface Identity {
  url: string;
  /** Where the answer comes from: the API (/v1.0/me) or, when the API refuses the token, the ID token. */
  source: 'api' | 'idToken';
  userPrincipalName: string | null;
  displayName: string | null;
  id: string | null;
  roles: string[] | null;
  groups: string[] | null;
  note?: string;
}

async function getJson(
  io: CliIo,
  url: string,
  path: string,
  token: string,
): Promise<{ status: number; json: Record<string, unknown> | null }> {
  const doFetch = io.fetch ?? fetch;
  let answer: Response;
  try {
    answer = await doFetch(`${url}${path}`, {
      headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
      signal: AbortSignal.timeout(30_000),
    });
  } catch (error) {
    throw new CliError(`could not reach ${url}${path}: ${describeError(error)}`);
  }
  const text = await answer.text();
  let json: Record<string, unknown> | null = null;
  try {
    json = text ? (JSON.parse(text) as Record<string, unknown>) : null;
  } catch {}
  return { status: answer.status, json };
}

function graphErrorCode(json: Record<string, unknown> | null): string {
  const error = json?.error as { code?: unknown } | undefined;
  return typeof error?.code === 'string' ? ` ${printable(error.code)}` : '';
}

export async function whoami(args: string[], io: CliIo = defaultIo()): Promise<Identity> {
  const { values } = parseArgs({ args, options: { url: { type: 'string' }, json: { type: 'boolean' } } });
  const url = deploymentUrl(values.url, io.env);
  let credentials = await currentCredentials(url, io);
  let me = await getJson(io, url, '/v1.0/me', credentials.accessToken);
  if (me.status === 401 && credentials.refreshToken) {
    // A token the API no longer takes (its grant revoked, the person disabled): the refresh says whether the
    // sign-in still stands, and ends it here if not.
    credentials = await currentCredentials(url, io, credentials.accessToken);
    me = await getJson(io, url, '/v1.0/me', credentials.accessToken);
  }
  let identity: Identity;
  if (me.status === 200 && me.json) {
    const memberOf = await getJson(io, url, '/v1.0/me/memberOf', credentials.accessToken);
    const members = memberOf.status === 200 && Array.isArray(memberOf.json?.value) ? memberOf.json.value : null;
    const named = (type: string) =>
      members
        ?.filter((m: { '@odata.type'?: unknown }) => m['@odata.type'] === type)
        .map((m: { displayName?: unknown }) => String(m.displayName)) ?? null;
    identity = {
      url,
      source: 'api',
      userPrincipalName: (me.json.userPrincipalName as string | undefined) ?? null,
      displayName: (me.json.displayName as string | undefined) ?? null,
      id: (me.json.id as string | undefined) ?? null,
      roles: named('#microsoft.graph.directoryRole'),
      groups: named('#microsoft.graph.group'),
      ...(members ? {} : { note: `GET /v1.0/me/memberOf answered ${memberOf.status}${graphErrorCode(memberOf.json)}` }),
    };
  } else {
    // The API does not take this token (a deployment without bearer support, or a token without the API
    // scope): the ID token still says who signed in.
    const claims = decodeJwtPayload(credentials.idToken);
    if (!claims) {
      throw new CliError(
        `GET ${url}/v1.0/me answered ${me.status}${graphErrorCode(me.json)}, and no ID token is stored.`,
      );
    }
    identity = {
      url,
      source: 'idToken',
      userPrincipalName: typeof claims.preferred_username === 'string' ? claims.preferred_username : null,
      displayName: typeof claims.name === 'string' ? claims.name : null,
      id: typeof claims.sub === 'string' ? claims.sub : null,
      roles: null,
      groups: null,
      note: `GET /v1.0/me answered ${me.status}${graphErrorCode(me.json)}: showing the claims of the ID token instead`,
    };
  }

  if (values.json) {
    io.out(`${JSON.stringify(identity)}\n`);
    return identity;
  }
  const list = (items: string[] | null) => (items === null ? '(unknown)' : items.length ? items.join(', ') : 'none');
  io.out(
    printable(
      [
        `Signed in to ${url}`,
        `  User:          ${identity.userPrincipalName ?? '(unknown)'}`,
        `  Display name:  ${identity.displayName ?? '(unknown)'}`,
        `  Object id:     ${identity.id ?? '(unknown)'}`,
        `  Roles:         ${list(identity.roles)}`,
        ...(identity.groups?.length ? [`  Groups:        ${list(identity.groups)}`] : []),
        ...(identity.note ? [`  Note:          ${identity.note}`] : []),
        '',
      ].join('\n'),
    ),
  );
  return identity;
}

// ---------------------------------------------------------------------------
// logout

export async function logout(args: string[], io: CliIo = defaultIo()): Promise<void> {
  const { values } = parseArgs({ args, options: { url: { type: 'string' } } });
  const url = deploymentUrl(values.url, io.env);
  const entry = readCredentialsFile(io.env).deployments[url];
  if (!entry) {
    io.out(`Not signed in to ${url}; nothing to do.\n`);
    return;
  }
  let revoked = false;
  const token = entry.refreshToken ?? entry.accessToken;
  try {
    const config = await connect(url, io);
    if (config.serverMetadata().revocation_endpoint) {
      await oidc.tokenRevocation(config, token, {
        token_type_hint: entry.refreshToken ? 'refresh_token' : 'access_token',
      });
      revoked = true;
    }
  } catch (error) {
    io.err(`passless: could not revoke the token at ${url} (${describeError(error)}); removing it here anyway.\n`);
  }
  await withCredentialsLock(io.env, async () => updateCredentials(io.env, url, null));
  io.out(`Signed out of ${url}${revoked ? '' : ' on this machine'}. Stored credentials removed.\n`);
}

/** For main.ts: runs one of the client commands, or returns false when `command` is not one of them. */
export async function runClientCommand(command: string | undefined, args: string[]): Promise<boolean> {
  if (command === 'login') await login(args);
  else if (command === 'whoami') await whoami(args);
  else if (command === 'logout') await logout(args);
  else return false;
  return true;
}
