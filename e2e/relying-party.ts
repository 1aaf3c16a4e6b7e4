// A real relying party for browser tests: a small web app on its own port that signs people in with
// openid-client (authorization code + PKCE) against the Passless server and checks the ID token with jose.
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as jose from 'jose';
import * as oidc from 'openid-client';

export interface SignedIn {
  claims: jose.JWTPayload & Record<string, unknown>;
  tokens: oidc.TokenEndpointResponse;
}

export interface RelyingParty {
  /** http://localhost:<port> */
  url: string;
  redirectUri: string;
  /** Every completed sign-in, latest last. */
  signIns: SignedIn[];
  /** Every error the application received at its callback. */
  errors: string[];
  configure(appId: string, secret: string | undefined): Promise<void>;
  close(): Promise<void>;
}

const escapeHtml = (value: unknown) => String(value).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export async function startRelyingParty(issuer: string): Promise<RelyingParty> {
  let config: oidc.Configuration | undefined;
  const pending = new Map<string, { verifier: string; nonce: string }>();
  const signIns: SignedIn[] = [];
  const errors: string[] = [];
  const jwks = jose.createRemoteJWKSet(new URL(`${issuer}/jwks`));
  let base = '';

  const page = (title: string, body = '') =>
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head><body><h1>${escapeHtml(title)}</h1>${body}</body></html>`;

  const server: HttpServer = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', base);
    const send = (status: number, html: string, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', ...headers });
      res.end(html);
    };
    try {
      if (!config) return send(503, page('Not configured'));
      if (url.pathname === '/login') {
        const verifier = oidc.randomPKCECodeVerifier();
        const state = oidc.randomState();
        const nonce = oidc.randomNonce();
        pending.set(state, { verifier, nonce });
        const target = oidc.buildAuthorizationUrl(config, {
          redirect_uri: `${base}/callback`,
          scope: url.searchParams.get('scope') ?? 'openid profile email offline_access',
          code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
          code_challenge_method: 'S256',
          state,
          nonce,
          ...(url.searchParams.get('acr_values') ? { acr_values: url.searchParams.get('acr_values')! } : {}),
        });
        return send(302, '', { location: target.href });
      }
      if (url.pathname === '/callback') {
        const error = url.searchParams.get('error');
        if (error) {
          errors.push(error);
          return send(
            200,
            page(`Sign-in failed: ${error}`, `<p>${escapeHtml(url.searchParams.get('error_description'))}</p>`),
          );
        }
        const state = url.searchParams.get('state');
        if (!state) return send(200, page('Signed out of Contoso'));
        const request = pending.get(state);
        if (!request) return send(400, page('Unknown state'));
        pending.delete(state);
        const tokens = await oidc.authorizationCodeGrant(config, url, {
          pkceCodeVerifier: request.verifier,
          expectedState: state,
          expectedNonce: request.nonce,
        });
        // openid-client validated the ID token's claims; jose checks its signature against the published keys.
        const { payload } = await jose.jwtVerify(tokens.id_token!, jwks, {
          issuer,
          audience: config.clientMetadata().client_id,
        });
        signIns.push({ claims: payload as SignedIn['claims'], tokens });
        return send(
          200,
          page(
            `Signed in as ${payload.preferred_username}`,
            `<p id="amr">${escapeHtml((payload.amr as string[]).join(' '))}</p>`,
          ),
        );
      }
      if (url.pathname === '/logout') {
        const last = signIns.at(-1);
        const target = oidc.buildEndSessionUrl(config, {
          ...(last?.tokens.id_token ? { id_token_hint: last.tokens.id_token } : {}),
          post_logout_redirect_uri: `${base}/callback`,
        });
        return send(302, '', { location: target.href });
      }
      return send(404, page('Not found'));
    } catch (error) {
      errors.push(String(error));
      return send(500, page('Relying party error', `<pre>${escapeHtml(error)}</pre>`));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://localhost:${(server.address() as AddressInfo).port}`;
  return {
    url: base,
    redirectUri: `${base}/callback`,
    signIns,
    errors,
    async configure(appId, secret) {
      config = await oidc.discovery(
        new URL(issuer),
        appId,
        undefined,
        secret ? oidc.ClientSecretPost(secret) : oidc.None(),
        { execute: [oidc.allowInsecureRequests] },
      );
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Chromium keeps connections open (and may open one it never uses); without this, close() waits for the
        // server's 60-second headers timeout to end them.
        server.closeAllConnections();
      }),
  };
}
