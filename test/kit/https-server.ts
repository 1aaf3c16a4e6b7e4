// A real Passless server on https, for clients that refuse anything else (the Microsoft Graph SDK, MSAL): the
// app as `passless serve --tls self-signed` builds it, on a fresh test database, with a freshly generated
// self-signed certificate, listening on 127.0.0.1 at a free port and reached as https://localhost:<port>.
//
// Trust the certificate, never turn verification off: pass `caPem` as `ca` (node:https), or use `fetch` below
// (MSAL 7 takes it as `system.networkClient`, see test/api/msal.test.ts), a fetch() that trusts it (Node 20's global fetch takes no
// CA; NODE_EXTRA_CA_CERTS works only for child processes, as it is read at start).
import { request as httpsRequest } from 'node:https';
import { createServer } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { certificateNames, generateSelfSignedCertificate } from '../../src/cli/tls.ts';
import { loadConfig, type PasslessConfig } from '../../src/core/config/config.ts';
import { buildApp } from '../../src/server/app.ts';
import type { Deps } from '../../src/services/deps.ts';
import { ensureSigningKeys } from '../../src/services/signing-keys.service.ts';
import type { DatabaseHandle } from '../../src/storage/connection.ts';
import { createTestDatabase } from './database.ts';

export interface HttpsPassless {
  /** https://localhost:<port>: the public URL, OIDC issuer and WebAuthn origin. */
  origin: string;
  port: number;
  /** The server's self-signed certificate (PEM): the only thing a client needs to trust. */
  caPem: string;
  app: FastifyInstance;
  deps: Deps;
  config: PasslessConfig;
  handle: DatabaseHandle;
  /** fetch() that trusts caPem for https URLs; cookies are not kept. */
  fetch: typeof fetch;
  close(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts the server. `env` adds settings (PASSLESS_PUBLIC_URL is the kit's: it must name the port listened on).
 * The signing keys exist, as after a real start; no administrator is created (use bootstrapAdmin with `deps`).
 */
export async function startHttpsPassless(env: Record<string, string> = {}): Promise<HttpsPassless> {
  const tls = await generateSelfSignedCertificate(certificateNames('localhost'));
  const handle = await createTestDatabase();
  try {
    // The issuer must name the port, so the port is chosen before the app is built; another process may take it
    // in between, hence a few tries.
    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      const origin = `https://localhost:${port}`;
      const config = loadConfig(
        {
          PASSLESS_LOG_LEVEL: 'silent',
          PASSLESS_SIGN_IN_STARTS_PER_MINUTE: '1000000',
          ...env,
          PASSLESS_PORT: String(port),
          PASSLESS_PUBLIC_URL: origin,
        },
        { https: true },
      );
      const deps: Deps = { db: handle.db, config, clock: () => new Date() };
      await ensureSigningKeys(deps);
      const app = await buildApp(deps, { https: { key: tls.key, cert: tls.cert } });
      try {
        await app.listen({ port, host: '127.0.0.1' });
      } catch (error) {
        await app.close();
        if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE' && attempt < 5) continue;
        throw error;
      }
      return {
        origin,
        port,
        caPem: tls.cert,
        app,
        deps,
        config,
        handle,
        fetch: fetchTrusting(tls.cert),
        async close() {
          await app.close();
          await handle.close();
        },
      };
    }
  } catch (error) {
    await handle.close();
    throw error;
  }
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const NULL_BODY = new Set([101, 204, 205, 304]);

/** A fetch() for https URLs whose server certificate is `ca` (plain http goes to the global fetch). */
export function fetchTrusting(ca: string): typeof fetch {
  const trustingFetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const first = new Request(input, init);
    if (new URL(first.url).protocol !== 'https:') return fetch(first);
    let url = new URL(first.url);
    let method = first.method;
    let headers = new Headers(first.headers);
    let body = first.body ? Buffer.from(await first.arrayBuffer()) : null;
    for (let hop = 0; hop <= 20; hop++) {
      if (url.protocol !== 'https:') return fetch(url, { method, headers, body, redirect: first.redirect });
      const response = await send({ url, method, headers, body, signal: first.signal }, ca);
      const location = response.headers.get('location');
      if (!REDIRECTS.has(response.status) || !location || first.redirect === 'manual') return response;
      if (first.redirect === 'error') throw new TypeError(`fetch: redirected to ${location}`);
      url = new URL(location, url);
      if (response.status === 303 || ((response.status === 301 || response.status === 302) && method === 'POST')) {
        method = 'GET';
        body = null;
        headers = new Headers(headers);
        for (const name of ['content-type', 'content-length', 'content-encoding']) headers.delete(name);
      }
    }
    throw new TypeError('fetch: too many redirects');
  };
  return trustingFetch as typeof fetch;
}

interface Outgoing {
  url: URL;
  method: string;
  headers: Headers;
  body: Buffer | null;
  signal: AbortSignal;
}

async function send({ url, method, headers: requestHeaders, body, signal }: Outgoing, ca: string): Promise<Response> {
  const headers: Record<string, string> = Object.fromEntries(requestHeaders);
  if (body) headers['content-length'] = String(body.length);
  return new Promise((resolve, reject) => {
    const req = httpsRequest(url, { method, headers, ca, signal }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        const responseHeaders = new Headers();
        for (let i = 0; i < res.rawHeaders.length; i += 2) {
          responseHeaders.append(res.rawHeaders[i]!, res.rawHeaders[i + 1]!);
        }
        const status = res.statusCode ?? 0;
        const empty = NULL_BODY.has(status) || method === 'HEAD';
        resolve(
          new Response(empty ? null : Buffer.concat(chunks), {
            status,
            statusText: res.statusMessage ?? '',
            headers: responseHeaders,
          }),
        );
      });
    });
    req.on('error', reject);
    req.end(body ?? undefined);
  });
}
