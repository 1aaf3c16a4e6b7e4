// A small JSON-over-HTTP client for the benchmark: keep-alive connections to the server's loopback address, an
// Origin header equal to the server's public origin, and optionally a session cookie + CSRF token like a browser.
// Two transports: node:http with a keep-alive Agent (the default) or the global fetch (undici, `--client fetch`),
// which costs the client about three times more CPU per request — and on a 2-core box the client's CPU is taken
// from the server (code flow: 2.4 ms of bench CPU per sign-in with fetch, 0.8 ms with node:http).
import { Agent, request as httpRequest } from 'node:http';

export type Transport = 'fetch' | 'http';

export interface Reply {
  status: number;
  json: unknown;
  /** `name=value` of the session cookie the response set, if any. */
  sessionCookie: string | null;
}

export interface Session {
  cookie: string;
  csrf: string | null;
}

const agent = new Agent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY });

export class Http {
  /** Requests sent by every client of this process so far: the bench reports requests per sign-in from it. */
  static sent = 0;
  private readonly url: URL;

  constructor(
    /** Where to connect (loopback address and port). */
    readonly baseUrl: string,
    /** The server's public origin (PASSLESS_PUBLIC_URL): sent as Origin, and the WebAuthn origin. */
    readonly origin: string,
    readonly transport: Transport = 'fetch',
    /** Client address presented as X-Forwarded-For (the server trusts it: PASSLESS_TRUST_PROXY=true). */
    readonly clientAddress?: string,
  ) {
    this.url = new URL(baseUrl);
  }

  /** The same server, seen from another client address. */
  from(clientAddress: string | undefined): Http {
    return new Http(this.baseUrl, this.origin, this.transport, clientAddress);
  }

  async request(method: string, path: string, body?: unknown, session?: Session | null): Promise<Reply> {
    const headers: Record<string, string> = { origin: this.origin };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (session) {
      headers.cookie = session.cookie;
      if (session.csrf && method !== 'GET') headers['x-csrf-token'] = session.csrf;
    }
    const { status, text, setCookie } = await this.send(
      method,
      path,
      headers,
      body === undefined ? undefined : JSON.stringify(body),
    );
    let json: unknown = null;
    if (text) {
      try {
        json = JSON.parse(text);
      } catch {
        json = text;
      }
    }
    let sessionCookie: string | null = null;
    for (const line of setCookie) {
      const pair = line.split(';', 1)[0]!;
      if (/^(__Host-)?passless_session=./.test(pair)) sessionCookie = pair;
    }
    return { status, json, sessionCookie };
  }

  /**
   * One request with exactly these headers (plus User-Agent and X-Forwarded-For), redirects not followed: what the
   * OpenID Connect flows need (a browser's navigations carry no Origin; a relying party's token request neither).
   */
  send(method: string, path: string, headers: Record<string, string>, payload?: string): Promise<RawReply> {
    Http.sent++;
    const all: Record<string, string> = { 'user-agent': 'passless-bench', ...headers };
    if (this.clientAddress) all['x-forwarded-for'] = this.clientAddress;
    return this.transport === 'fetch'
      ? this.viaFetch(method, path, all, payload)
      : this.viaHttp(method, path, all, payload);
  }

  private async viaFetch(
    method: string,
    path: string,
    headers: Record<string, string>,
    payload?: string,
  ): Promise<RawReply> {
    const res = await fetch(this.baseUrl + path, { method, headers, body: payload, redirect: 'manual' }).catch(
      (error: Error) => {
        const cause = error.cause as { code?: string; message?: string } | undefined;
        throw new Error(`${method} ${path}: ${error.message} (${cause?.code ?? cause?.message ?? 'no cause'})`, {
          cause,
        });
      },
    );
    return {
      status: res.status,
      text: await res.text(),
      setCookie: res.headers.getSetCookie(),
      location: res.headers.get('location'),
    };
  }

  private viaHttp(method: string, path: string, headers: Record<string, string>, payload?: string) {
    return new Promise<RawReply>((resolve, reject) => {
      if (payload !== undefined) headers['content-length'] = String(Buffer.byteLength(payload));
      const req = httpRequest({ host: this.url.hostname, port: this.url.port, method, path, headers, agent }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          text += chunk;
        });
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            text,
            setCookie: res.headers['set-cookie'] ?? [],
            location: res.headers.location ?? null,
          }),
        );
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(payload);
    });
  }
}

export interface RawReply {
  status: number;
  text: string;
  /** Every Set-Cookie line of the response. */
  setCookie: string[];
  location: string | null;
}

/** `error.code` of a Graph-shaped error body, if any. */
export function errorCode(json: unknown): string | undefined {
  const error = (json as { error?: { code?: unknown } } | null)?.error;
  return typeof error?.code === 'string' ? error.code : undefined;
}

export function field<T = string>(json: unknown, name: string): T {
  const value = (json as Record<string, unknown> | null)?.[name];
  if (value === undefined) throw new Error(`response has no "${name}": ${JSON.stringify(json)?.slice(0, 300)}`);
  return value as T;
}

/** Fails with the response in the message unless the status is the expected one. */
export function expectStatus(reply: Reply, expected: number, what: string): Reply {
  if (reply.status !== expected) {
    throw new Error(`${what}: expected ${expected}, got ${reply.status} ${JSON.stringify(reply.json)?.slice(0, 400)}`);
  }
  return reply;
}
