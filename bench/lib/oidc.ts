// OpenID Connect flows for the benchmark, over the real HTTP API of the server the bench started:
//   code flow          = GET /auth (PKCE S256) → POST /oidc/interaction/{uid} (signIn) → passkey sign-in →
//                        POST /oidc/interaction/{uid} (redirect) → GET /auth/{uid} (→ code, or another interaction)
//                        → POST /token (authorization_code, client_secret_basic) → 200 with an id_token
//   client credentials = POST /token grant_type=client_credentials scope={origin}/.default (client_secret_basic)
// Each code-flow sign-in is a new browser: an empty cookie jar, so no provider session or Passless session to reuse.
import { createHash, randomBytes } from 'node:crypto';
import type { PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server';
import { createAuthenticationResponse, type SoftwareAuthenticator } from '../../test/kit/software-authenticator.ts';
import { errorCode, expectStatus, field, type Http, type RawReply, type Session } from './http.ts';

/** The redirect URI registered for the bench application; never contacted (the code is read from the Location). */
export const REDIRECT_URI = 'http://localhost:3000/bench/callback';
/** What a web application asks for at sign-in. No offline_access: no refresh token, as for a plain web sign-in. */
export const CODE_FLOW_SCOPE = 'openid profile email';
/** Microsoft Graph's application id: the Passless API's service principal has it (docs/oidc.md). */
const API_APP_ID = '00000003-0000-0000-c000-000000000000';
/** User.Read.All as an application permission (src/core/applications/permissions.ts). */
const USER_READ_ALL_ROLE = 'df021288-bdef-4463-88db-98f22de89214';

export interface BenchApplication {
  appId: string;
  secret: string;
  /** `Authorization: Basic …` for the token endpoint (RFC 6749 §2.3.1: form-urlencoded id and secret). */
  basic: string;
  /** What client-credentials grants ask for: `{origin}/.default` (the Passless API). */
  clientCredentialsScope: string;
  /** Whether the application permission was granted (client-credentials tokens then carry `roles`). */
  rolesGranted: boolean;
}

/**
 * Registers the first-party confidential web application the OIDC phases use, with a client secret, and grants it
 * User.Read.All on the Passless API so client-credentials tokens carry `roles` as a daemon's would.
 */
export async function registerBenchApplication(http: Http, admin: Session): Promise<BenchApplication> {
  const created = expectStatus(
    await http.request(
      'POST',
      '/v1.0/applications',
      { displayName: 'Bench web app', isFirstParty: true, web: { redirectUris: [REDIRECT_URI] } },
      admin,
    ),
    201,
    'register application',
  );
  const id = field(created.json, 'id');
  const appId = field(created.json, 'appId');
  const added = expectStatus(
    await http.request(
      'POST',
      `/v1.0/applications/${id}/addPassword`,
      { passwordCredential: { displayName: 'bench' } },
      admin,
    ),
    200,
    'addPassword',
  );
  const secret = field(added.json, 'secretText');
  const principalOf = async (forAppId: string) => {
    const filter = encodeURIComponent(`appId eq '${forAppId}'`);
    const res = await http.request('GET', `/v1.0/servicePrincipals?$filter=${filter}`, undefined, admin);
    return res.status === 200 ? (res.json as { value?: { id: string }[] }).value?.[0]?.id : undefined;
  };
  let rolesGranted = false;
  const principalId = await principalOf(appId);
  const resourceId = await principalOf(API_APP_ID);
  if (principalId && resourceId) {
    const granted = await http.request(
      'POST',
      `/v1.0/servicePrincipals/${principalId}/appRoleAssignments`,
      { principalId, resourceId, appRoleId: USER_READ_ALL_ROLE },
      admin,
    );
    rolesGranted = granted.status === 201;
  }
  const form = (s: string) => encodeURIComponent(s).replace(/%20/g, '+');
  return {
    appId,
    secret,
    basic: `Basic ${Buffer.from(`${form(appId)}:${form(secret)}`).toString('base64')}`,
    clientCredentialsScope: `${http.origin}/.default`,
    rolesGranted,
  };
}

/** A browser's cookies for one sign-in. Paths are ignored: every cookie goes with every request, as a superset. */
class Jar {
  private readonly cookies = new Map<string, string>();

  take(setCookie: string[]): void {
    for (const line of setCookie) {
      const pair = line.split(';', 1)[0]!;
      const eq = pair.indexOf('=');
      if (eq <= 0) continue;
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1);
      if (value === '' || /expires=thu, 01 jan 1970/i.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  header(): string {
    let out = '';
    for (const [k, v] of this.cookies) out += `${out ? '; ' : ''}${k}=${v}`;
    return out;
  }
}

const b64url = (bytes: Buffer) => bytes.toString('base64url');

/**
 * Round-trip time of each step of the code flow (as the client sees it: server time plus queueing), summed over
 * the iterations since the last reset: which step a sign-in's latency goes to.
 */
export const stepTimes = new Map<string, { n: number; ms: number }>();

async function timed(step: string, reply: Promise<RawReply>): Promise<RawReply> {
  const t0 = performance.now();
  const res = await reply;
  const entry = stepTimes.get(step) ?? { n: 0, ms: 0 };
  entry.n++;
  entry.ms += performance.now() - t0;
  stepTimes.set(step, entry);
  return res;
}

function describeRaw(step: string, reply: RawReply): string {
  let code: string | undefined;
  try {
    const json = JSON.parse(reply.text) as { error?: unknown };
    code = typeof json.error === 'string' ? json.error : errorCode(json);
  } catch {}
  return `${step} ${reply.status}${code ? ` ${code}` : ''}`;
}

/**
 * Path and query of a Location on this server. The provider builds absolute URLs from the request's Host, which is
 * the loopback address the bench connects to rather than the public origin a browser would have used.
 */
function local(http: Http, location: string): string | null {
  const url = new URL(location, http.origin);
  return url.origin === http.origin || url.origin === new URL(http.baseUrl).origin ? url.pathname + url.search : null;
}

/**
 * One complete sign-in through the authorization code flow with a passkey, as a new browser with an empty jar
 * plus the relying party's back-channel token request. Null on success: a 200 from /token with an id_token
 * whose nonce is the one sent.
 */
export async function codeFlowSignIn(
  http: Http,
  app: BenchApplication,
  authenticator: SoftwareAuthenticator,
): Promise<string | null> {
  const jar = new Jar();
  const verifier = b64url(randomBytes(32));
  const state = b64url(randomBytes(16));
  const nonce = b64url(randomBytes(16));
  const query = new URLSearchParams({
    client_id: app.appId,
    redirect_uri: REDIRECT_URI,
    response_type: 'code',
    scope: CODE_FLOW_SCOPE,
    code_challenge: b64url(createHash('sha256').update(verifier).digest()),
    code_challenge_method: 'S256',
    state,
    nonce,
  });
  let signedIn = false;
  // A navigation: cookies, no Origin.
  const navigate = async (step: string, path: string): Promise<RawReply | { failure: string }> => {
    const res = await timed(
      step === 'authorize' ? 'GET /auth' : 'GET /auth/{uid} (resume)',
      http.send('GET', path, jar.header() ? { cookie: jar.header() } : {}),
    );
    jar.take(res.setCookie);
    return res.status === 303 || res.status === 302 ? res : { failure: describeRaw(step, res) };
  };
  // The interaction page's script: same-origin fetch with the jar's cookies.
  type Turn = { failure: string } | { answer: { action: string; location?: string } };
  const interact = async (path: string): Promise<Turn> => {
    const res = await timed(
      signedIn ? 'POST /oidc/interaction (signed in)' : 'POST /oidc/interaction (no session)',
      http.send('POST', path, { origin: http.origin, 'content-type': 'application/json', cookie: jar.header() }, '{}'),
    );
    jar.take(res.setCookie);
    if (res.status !== 200) return { failure: describeRaw('interaction', res) };
    return { answer: JSON.parse(res.text) as { action: string; location?: string } };
  };

  let step = await navigate('authorize', `/auth?${query}`);
  let callback: URL | null = null;
  for (let hops = 0; hops < 8 && !callback; hops++) {
    if ('failure' in step) return step.failure;
    const location = step.location;
    if (!location) return 'redirect without a Location';
    if (location.startsWith(REDIRECT_URI)) {
      callback = new URL(location);
      break;
    }
    const path = local(http, location);
    if (!path) return `redirect off the server: ${location.slice(0, 80)}`;
    if (!path.startsWith('/oidc/interaction/')) {
      step = await navigate('resume', path);
      continue;
    }
    let turn = await interact(path);
    if ('failure' in turn) return turn.failure;
    if (turn.answer.action === 'signIn' && !signedIn) {
      const failure = await passkeySignIn(http, authenticator, jar);
      if (failure) return failure;
      signedIn = true;
      turn = await interact(path);
      if ('failure' in turn) return `after sign-in: ${turn.failure}`;
    }
    if (turn.answer.action !== 'redirect' || !turn.answer.location) {
      return `interaction answered ${turn.answer.action}${signedIn ? ' after sign-in' : ''}`;
    }
    const next = local(http, turn.answer.location);
    if (!next) return `interaction redirect off the server: ${turn.answer.location.slice(0, 80)}`;
    step = await navigate('resume', next);
  }
  if (!callback) return 'too many redirects';
  const code = callback.searchParams.get('code');
  if (!code) return `callback without a code: ${callback.searchParams.get('error') ?? '?'}`;
  if (callback.searchParams.get('state') !== state) return 'callback with another state';

  // The relying party's back channel: no cookies, no Origin (a confidential client is not a browser).
  const token = await timed(
    'POST /token',
    http.send(
      'POST',
      '/token',
      { 'content-type': 'application/x-www-form-urlencoded', authorization: app.basic },
      new URLSearchParams({
        grant_type: 'authorization_code',
        code,
        redirect_uri: REDIRECT_URI,
        code_verifier: verifier,
      }).toString(),
    ),
  );
  if (token.status !== 200) return describeRaw('token', token);
  const idToken = (JSON.parse(token.text) as { id_token?: string }).id_token;
  if (!idToken) return 'token 200 without an id_token';
  const claims = JSON.parse(Buffer.from(idToken.split('.')[1] ?? '', 'base64url').toString('utf8')) as {
    nonce?: string;
  };
  return claims.nonce === nonce ? null : 'id_token with another nonce';
}

/** The passkey step of the sign-in page (the Passless session cookie lands in the jar). */
async function passkeySignIn(http: Http, authenticator: SoftwareAuthenticator, jar: Jar): Promise<string | null> {
  const json = { origin: http.origin, 'content-type': 'application/json' };
  const options = await timed(
    'POST /api/signin/passkey/options',
    http.send('POST', '/api/signin/passkey/options', json, '{}'),
  );
  if (options.status !== 200) return describeRaw('passkey options', options);
  const started = JSON.parse(options.text) as { flowId: string; options: PublicKeyCredentialRequestOptionsJSON };
  const credential = createAuthenticationResponse(authenticator, { optionsJSON: started.options, origin: http.origin });
  const verified = await timed(
    'POST /api/signin/passkey/verify',
    http.send('POST', '/api/signin/passkey/verify', json, JSON.stringify({ flowId: started.flowId, credential })),
  );
  if (verified.status !== 200) return describeRaw('passkey verify', verified);
  jar.take(verified.setCookie);
  return /(^|; )(__Host-)?passless_session=/.test(jar.header()) ? null : 'passkey verify 200 without a session cookie';
}

/** One client-credentials grant; null on a 200 with an access token. */
export async function clientCredentialsGrant(http: Http, app: BenchApplication): Promise<string | null> {
  const res = await http.send(
    'POST',
    '/token',
    { 'content-type': 'application/x-www-form-urlencoded', authorization: app.basic },
    `grant_type=client_credentials&scope=${encodeURIComponent(app.clientCredentialsScope)}`,
  );
  if (res.status !== 200) return describeRaw('token', res);
  return (JSON.parse(res.text) as { access_token?: string }).access_token ? null : 'token 200 without an access_token';
}
