// The `passless` command: serve, migrate, bootstrap-admin, config-doc.
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig, type PasslessConfig, renderConfigurationDoc } from '../core/config/config.ts';
import { type BootstrapResult, bootstrapAdmin } from '../services/bootstrap.service.ts';
import type { Deps } from '../services/deps.ts';
import { ensureSigningKeys, rotateSigningKeys } from '../services/signing-keys.service.ts';
import { getTapPolicy } from '../services/tap-policy.service.ts';
import { type DatabaseHandle, openEmbedded, openPostgres } from '../storage/connection.ts';
import { DataDirLockedError, readLockHolder } from '../storage/data-dir-lock.ts';
import { migrate } from '../storage/migrate.ts';
import { deleteExpired } from '../storage/repositories/sessions.repository.ts';
import { callAdminSocket, listenAdminSocket } from './admin-socket.ts';
import { CliError, runClientCommand } from './login.ts';
import { ensureSelfSignedCertificate, readCertificateFiles, type TlsMaterial } from './tls.ts';

const USAGE = `Usage: passless <command>

  serve [--tls self-signed]             start the server (npm start); --tls serves https itself with a
                                        certificate kept in the data directory (development and tests;
                                        default https://localhost:8443), --tls cert=<file>,key=<file> with yours
  migrate                               apply database migrations and exit
  bootstrap-admin --upn <upn> [--json]  make <upn> a Global Administrator and print a one-time pass (break-glass)
  keys rotate [--json]                  add new token-signing keys; the old ones stay published 24 h
  config-doc                            print docs/configuration.md
  login [--url <url>]                   sign this CLI in to a deployment (device code; default PASSLESS_PUBLIC_URL)
  whoami [--url <url>] [--json]         show who this CLI is signed in as, and their roles
  logout [--url <url>]                  revoke and remove this CLI's stored sign-in
`;

async function openDatabase(config: PasslessConfig): Promise<DatabaseHandle> {
  const handle = config.databaseUrl ? await openPostgres(config.databaseUrl) : await openEmbedded(config.dataDir);
  await migrate(handle.db);
  return handle;
}

function printBootstrap(result: BootstrapResult, json: boolean): void {
  if (json) {
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return;
  }
  const until = new Date(new Date(result.startDateTime).getTime() + result.lifetimeInMinutes * 60_000);
  process.stdout.write(
    [
      '',
      '  ┌─ Passless: Global Administrator ready ─────────────────────────────',
      `  │ Account:                 ${result.userPrincipalName}`,
      `  │ Temporary Access Pass:   ${result.temporaryAccessPass}   (one-time, valid until ${until.toISOString()})`,
      `  │ Open:                    ${result.signInUrl}`,
      '  │ Sign in with the pass, then add a passkey. This pass is shown only once.',
      '  └────────────────────────────────────────────────────────────────────',
      '',
    ].join('\n'),
  );
}

type TlsOption = { kind: 'self-signed' } | { kind: 'files'; cert: string; key: string };

function parseServeArgs(args: string[]): { tls: TlsOption | null } {
  let tls: string | undefined;
  try {
    tls = parseArgs({ args, options: { tls: { type: 'string' } } }).values.tls;
  } catch (error) {
    throw new ConfigError(`serve: ${(error as Error).message}\n${USAGE}`);
  }
  if (tls === undefined) return { tls: null };
  if (tls === 'self-signed') return { tls: { kind: 'self-signed' } };
  const parts = new Map(
    tls.split(',').map((part) => [part.slice(0, part.indexOf('=')), part.slice(part.indexOf('=') + 1)] as const),
  );
  const cert = parts.get('cert');
  const key = parts.get('key');
  if (parts.size !== 2 || !cert || !key) {
    throw new ConfigError(`--tls ${tls}: expected --tls self-signed or --tls cert=<file>,key=<file>`);
  }
  return { tls: { kind: 'files', cert, key } };
}

function printTls(config: PasslessConfig, tls: TlsMaterial & { replaced?: string | null }, selfSigned: boolean): void {
  const certPath = resolve(tls.certPath ?? '');
  const origin = config.origin;
  const lines = [
    '',
    `  ┌─ Passless: HTTPS${selfSigned ? ' with a self-signed development certificate' : ''} ───────────────────`,
    `  │ Serving:       ${origin}`,
    `  │ Certificate:   ${certPath}${selfSigned ? (tls.generated ? ' (new)' : ' (reused)') : ''}`,
    `  │ Valid for:     ${tls.names.join(', ')} until ${tls.notAfter.toISOString()}`,
    `  │ SHA-256:       ${tls.fingerprint256}`,
  ];
  if (tls.replaced) lines.push(`  │ The previous certificate was replaced: ${tls.replaced}.`);
  if (selfSigned) {
    lines.push(
      '  │ Trust it, not a switch that turns verification off:',
      `  │   Node.js clients (Graph SDK, MSAL):  NODE_EXTRA_CA_CERTS=${certPath}`,
      `  │   curl:                               curl --cacert ${certPath} ${origin}/.well-known/openid-configuration`,
      "  │   browsers: import it into the system's or the browser's certificate store (until then they warn).",
      '  │ Development only: in production use a certificate from your CA or a TLS proxy.',
    );
  }
  lines.push('  └────────────────────────────────────────────────────────────────────', '');
  process.stdout.write(lines.join('\n'));
}

async function serve(config: PasslessConfig, tlsOption: TlsOption | null = null): Promise<void> {
  // Own certificate files are checked before anything else starts: a typo should not cost a database open.
  let tls: (TlsMaterial & { replaced?: string | null }) | null =
    tlsOption?.kind === 'files' ? readCertificateFiles(tlsOption.cert, tlsOption.key) : null;
  const handle = await openDatabase(config);
  // After the database: for the embedded one the data directory is now ours (locked), certificate included.
  if (tlsOption?.kind === 'self-signed') tls = await ensureSelfSignedCertificate(config.dataDir, config.rpId);
  const deps: Deps = { db: handle.db, config, clock: () => new Date() };
  await getTapPolicy(deps.db, deps.clock());
  const signingKeys = await ensureSigningKeys(deps);
  const first = await bootstrapAdmin(deps, {
    userPrincipalName: config.bootstrapAdmin,
    onlyIfEmpty: true,
    source: 'first start',
  });
  // Imported here, not at the top: the client commands (login, whoami) need no server, and loading
  // oidc-provider prints a runtime warning on Node 20.
  const { buildApp } = await import('../server/app.ts');
  const app = await buildApp(deps, {
    logger: config.logLevel === 'silent' ? false : { level: config.logLevel },
    ...(tls ? { https: { key: tls.key, cert: tls.cert } } : {}),
  });
  if (config.origin.startsWith('http:')) {
    app.log.warn(
      `PASSLESS_PUBLIC_URL is ${config.origin} (http): fine for development on this machine; use https in production.`,
    );
  }
  if (signingKeys.kek.source === 'generated') {
    app.log.warn(
      'UNSAFE FOR PRODUCTION: PASSLESS_KEY_ENCRYPTION_KEY is not set, so the token-signing keys are encrypted with a generated key stored in the same database. Anyone with the database or a backup can sign tokens. Set PASSLESS_KEY_ENCRYPTION_KEY (32 random bytes, base64url) before real use.',
    );
  }
  await app.listen({ port: config.port, host: config.host });
  const socket =
    handle.kind === 'embedded'
      ? await listenAdminSocket(config.dataDir, async (command, body) => {
          if (command === 'keys-rotate') {
            const rotated = await rotateSigningKeys(deps, { source: 'passless keys rotate (admin socket)' });
            app.oidc.reload();
            return rotated;
          }
          if (command !== 'bootstrap-admin') throw new Error(`unknown command ${command}`);
          return bootstrapAdmin(deps, {
            userPrincipalName: String(body.upn),
            onlyIfEmpty: false,
            source: 'passless bootstrap-admin (admin socket)',
          });
        })
      : null;
  if (tls) printTls(config, tls, tlsOption?.kind === 'self-signed');
  if (first) printBootstrap(first, false);
  const sweeper = setInterval(() => deleteExpired(deps.db, deps.clock()).catch((e) => app.log.warn(e)), 10 * 60_000);
  sweeper.unref();
  const stop = async () => {
    clearInterval(sweeper);
    socket?.close();
    await app.close();
    await handle.close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

async function bootstrapFromHost(config: PasslessConfig, upn: string, json: boolean): Promise<void> {
  // A running embedded server owns its data directory: ask it through its admin socket.
  if (!config.databaseUrl && readLockHolder(config.dataDir) !== null) {
    const result = (await callAdminSocket(config.dataDir, 'bootstrap-admin', { upn })) as BootstrapResult;
    printBootstrap(result, json);
    return;
  }
  const handle = await openDatabase(config);
  try {
    const deps: Deps = { db: handle.db, config, clock: () => new Date() };
    const result = await bootstrapAdmin(deps, {
      userPrincipalName: upn,
      onlyIfEmpty: false,
      source: 'passless bootstrap-admin',
    });
    if (!result) throw new Error('could not create the administrator');
    printBootstrap(result, json);
  } finally {
    await handle.close();
  }
}

type RotationResult = Awaited<ReturnType<typeof rotateSigningKeys>>;

async function rotateFromHost(config: PasslessConfig, json: boolean): Promise<void> {
  let result: RotationResult;
  // Same rule as bootstrap-admin: a running embedded server owns the data directory.
  if (!config.databaseUrl && readLockHolder(config.dataDir) !== null) {
    result = (await callAdminSocket(config.dataDir, 'keys-rotate', {})) as RotationResult;
  } else {
    const handle = await openDatabase(config);
    try {
      const deps: Deps = { db: handle.db, config, clock: () => new Date() };
      // Refuses a wrong key-encryption key before adding keys sealed under it.
      await ensureSigningKeys(deps);
      result = await rotateSigningKeys(deps, { source: 'passless keys rotate' });
    } finally {
      await handle.close();
    }
  }
  if (json) {
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return;
  }
  const lines = result.added.map((k) => `  new ${k.alg} key ${k.kid} is now the current key`);
  lines.push(`  ${result.retired.length} replaced key(s) stay published until ${result.retiredPublishedUntil}`);
  process.stdout.write(`Signing keys rotated.\n${lines.join('\n')}\n`);
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (command === 'config-doc') {
    process.stdout.write(renderConfigurationDoc());
    return;
  }
  // Client commands talk HTTP to a deployment and need none of the server's configuration.
  if (await runClientCommand(command, rest)) return;
  if (command === 'serve' || command === undefined) {
    const { tls } = parseServeArgs(rest);
    return serve(loadConfig(process.env, { https: tls !== null }), tls);
  }
  const config = loadConfig();
  if (command === 'migrate') {
    const handle = await openDatabase(config);
    await handle.close();
    process.stdout.write('Migrations applied.\n');
    return;
  }
  if (command === 'bootstrap-admin') {
    const { values } = parseArgs({ args: rest, options: { upn: { type: 'string' }, json: { type: 'boolean' } } });
    if (!values.upn) throw new ConfigError('bootstrap-admin needs --upn <userPrincipalName>');
    return bootstrapFromHost(config, values.upn, values.json ?? false);
  }
  if (command === 'keys' && rest[0] === 'rotate') {
    const { values } = parseArgs({ args: rest.slice(1), options: { json: { type: 'boolean' } } });
    return rotateFromHost(config, values.json ?? false);
  }
  process.stderr.write(USAGE);
  process.exit(command === 'help' || command === '--help' ? 0 : 2);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  const known = error instanceof ConfigError || error instanceof DataDirLockedError || error instanceof CliError;
  process.stderr.write(`passless: ${known ? '' : 'error: '}${(error as Error).message}\n`);
  process.exit(1);
});
