// The pages (static shells + ES modules from src/web) and their server-side gate: a bootstrap (pass)
// session reaches only /security-info; everything else asks for a passkey sign-in first.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Deps } from '../../../services/deps.ts';
import { hashSessionToken } from '../../../services/session-tokens.ts';
import { getActiveSession } from '../../../storage/repositories/sessions.repository.ts';
import { sessionToken } from '../../plugins/session.ts';

const WEB = join(dirname(fileURLToPath(import.meta.url)), '../../../web');
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

function loadAssets(): Map<string, { body: Buffer; type: string }> {
  const assets = new Map<string, { body: Buffer; type: string }>();
  const dir = join(WEB, 'assets');
  const walk = (folder: string, prefix: string) => {
    if (!existsSync(folder)) return;
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const path = join(folder, entry.name);
      if (entry.isDirectory()) walk(path, `${prefix}${entry.name}/`);
      else if (TYPES[extname(entry.name)])
        assets.set(`${prefix}${entry.name}`, { body: readFileSync(path), type: TYPES[extname(entry.name)]! });
    }
  };
  walk(dir, '');
  const require = createRequire(import.meta.url);
  const browserEntry = require.resolve('@simplewebauthn/browser');
  let root = dirname(browserEntry);
  // The package hides dist/ behind its exports; walk up from the entry to the package root.
  while (!existsSync(join(root, 'dist/bundle/index.umd.min.js')) && dirname(root) !== root) root = dirname(root);
  assets.set('vendor/simplewebauthn-browser.js', {
    body: readFileSync(join(root, 'dist/bundle/index.umd.min.js')),
    type: TYPES['.js']!,
  });
  return assets;
}

export function registerPageRoutes(app: FastifyInstance, deps: Deps): void {
  const assets = loadAssets();
  const page = (name: string) => {
    const path = join(WEB, 'pages', `${name}.html`);
    return existsSync(path)
      ? readFileSync(path)
      : Buffer.from(`<!doctype html><title>Passless</title><p>Page ${name} is missing.</p>`);
  };
  const pages = { signin: page('signin'), securityInfo: page('security-info'), admin: page('admin') };

  async function sessionKind(request: FastifyRequest): Promise<'bootstrap' | 'full' | null> {
    const token = sessionToken(request, deps.config);
    if (!token) return null;
    const session = await getActiveSession(
      deps.db,
      hashSessionToken(token),
      deps.clock(),
      deps.config.sessionIdleMinutes,
    );
    return session?.kind ?? null;
  }
  const html = (reply: FastifyReply, body: Buffer) => reply.type('text/html; charset=utf-8').send(body);

  // Passkeys are bound to the public URL's host: a page opened in development as http://127.0.0.1:8080 instead
  // of http://localhost:8080 would fail at the first ceremony with a cryptic browser error, so send the person to
  // the public URL (same path). Only for loopback literals: behind a proxy that rewrites Host, a general
  // "wrong host" redirect could loop.
  const publicHost = new URL(deps.config.origin).host;
  const loopbackLiteral = /^(?:127\.0\.0\.1|\[::1\])(?::\d+)?$/;
  const pagePaths = /^\/(?:$|\?|signin|security-info|admin)/;
  app.addHook('onRequest', async (request, reply) => {
    if (request.method !== 'GET' || !pagePaths.test(request.url) || request.host === publicHost) return;
    if (!loopbackLiteral.test(request.host)) return;
    return reply.redirect(`${deps.config.origin}${request.url}`, 308);
  });

  app.get('/', async (request, reply) =>
    reply.redirect((await sessionKind(request)) ? '/security-info' : '/signin', 303),
  );
  app.get('/signin', async (_request, reply) => html(reply, pages.signin));
  app.get('/security-info', async (request, reply) => {
    if (!(await sessionKind(request))) return reply.redirect('/signin?returnTo=%2Fsecurity-info', 303);
    return html(reply, pages.securityInfo);
  });
  const admin = async (request: FastifyRequest, reply: FastifyReply) => {
    const kind = await sessionKind(request);
    const returnTo = encodeURIComponent(request.url.split('?')[0]!);
    if (kind === null) return reply.redirect(`/signin?returnTo=${returnTo}`, 303);
    if (kind === 'bootstrap') return reply.redirect(`/signin?reason=reauthenticate&returnTo=${returnTo}`, 303);
    return html(reply, pages.admin);
  };
  app.get('/admin', admin);
  app.get('/admin/*', admin);
  app.get<{ Params: { '*': string } }>('/assets/*', async (request, reply) => {
    const asset = assets.get(request.params['*']);
    if (!asset) return reply.status(404).type('text/plain').send('Not found');
    return reply.type(asset.type).header('cache-control', 'no-cache').send(asset.body);
  });
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/favicon.ico', async (_request, reply) => reply.redirect('/assets/favicon.svg', 301));
}
