// /oidc/interaction/{uid}: where the provider sends a browser to sign in and consent (docs/oidc.md, "Login and
// consent"). GET serves a static page; its script POSTs to the same path (so the provider's interaction cookie,
// scoped to this path, comes along, and the SameSite=Strict Passless session cookie too, which the cross-site
// redirect that brought the browser here did not carry). The decision is core/oidc/interaction.ts.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { InteractionResults } from 'oidc-provider';
import { PasslessError } from '../../core/errors.ts';
import { describeScope, splitScopes } from '../../core/oidc/consent.ts';
import { decideInteraction, type InteractionDecision } from '../../core/oidc/interaction.ts';
import type { Deps } from '../../services/deps.ts';
import { rememberConsent } from '../../services/oidc-consents.service.ts';
import { hashSessionToken } from '../../services/session-tokens.ts';
import { getTapPolicy } from '../../services/tap-policy.service.ts';
import { getConsentScopes } from '../../storage/repositories/oidc-consents.repository.ts';
import { type ActiveSession, getActiveSession } from '../../storage/repositories/sessions.repository.ts';
import { assertSameOrigin, requestContext, sessionToken } from '../plugins/session.ts';
import { inPayloadUnit } from './payload-unit.ts';
import { INTERACTION_PATH } from './provider.ts';

const PAGE = readFileSync(join(dirname(fileURLToPath(import.meta.url)), '../../web/pages/interaction.html'));
const OIDC_SCOPES = new Set(['openid', 'profile', 'email', 'offline_access']);
const uidParams = {
  type: 'object',
  required: ['uid'],
  properties: { uid: { type: 'string', minLength: 1, maxLength: 200, pattern: '^[A-Za-z0-9_-]+$' } },
} as const;

type Provider = Awaited<ReturnType<FastifyInstance['oidc']['provider']>>;
type Details = Awaited<ReturnType<Provider['interactionDetails']>>;

export function registerOidcInteractionRoutes(app: FastifyInstance, deps: Deps): void {
  async function currentSession(request: FastifyRequest): Promise<ActiveSession | null> {
    const token = sessionToken(request, deps.config);
    if (!token) return null;
    return getActiveSession(deps.db, hashSessionToken(token), deps.clock(), deps.config.sessionIdleMinutes);
  }

  /** The provider's interaction bound to this browser (its cookie), or a 400 the page can show. */
  async function details(request: FastifyRequest<{ Params: { uid: string } }>, reply: FastifyReply) {
    const provider = await app.oidc.provider();
    let found: Details;
    try {
      found = await provider.interactionDetails(request.raw, reply.raw);
    } catch {
      throw new PasslessError('flowExpired', {
        detail:
          'This sign-in request has expired or was started in another browser. Go back to the application and sign in again.',
      });
    }
    if (found.uid !== request.params.uid) throw new PasslessError('flowExpired');
    return { provider, details: found };
  }

  /** Login (always: the Passless session is the truth) and a grant covering what was asked. */
  async function complete(
    provider: Provider,
    found: Details,
    session: ActiveSession,
    acr: string,
  ): Promise<InteractionResults> {
    const clientId = String(found.params.client_id);
    let grant = found.grantId ? await provider.Grant.find(found.grantId) : undefined;
    if (!grant || grant.accountId !== session.userId || grant.clientId !== clientId) {
      grant = new provider.Grant({ accountId: session.userId, clientId });
    }
    const requested = splitScopes(found.params.scope);
    const oidcScopes = requested.filter((s) => OIDC_SCOPES.has(s));
    if (oidcScopes.length > 0) grant.addOIDCScope(oidcScopes.join(' '));
    const prompt = found.prompt.details as {
      missingOIDCScope?: string[];
      missingOIDCClaims?: string[];
      missingResourceScopes?: Record<string, string[]>;
    };
    if (prompt.missingOIDCScope?.length) grant.addOIDCScope(prompt.missingOIDCScope.join(' '));
    if (prompt.missingOIDCClaims?.length) grant.addOIDCClaims(prompt.missingOIDCClaims);
    for (const [indicator, scopes] of Object.entries(prompt.missingResourceScopes ?? {})) {
      grant.addResourceScope(indicator, scopes.join(' '));
    }
    const grantId = await grant.save();
    return {
      login: {
        accountId: session.userId,
        acr,
        amr: [...session.amr],
        ts: Math.floor(session.authenticatedAt.getTime() / 1000),
        remember: false,
      },
      consent: { grantId },
    };
  }

  async function decide(request: FastifyRequest<{ Params: { uid: string } }>, reply: FastifyReply) {
    assertSameOrigin(request, deps.config);
    const { provider, details: found } = await details(request, reply);
    const client = await provider.Client.find(String(found.params.client_id));
    if (!client) throw new PasslessError('flowExpired', { detail: 'The application is no longer registered.' });
    const session = await currentSession(request);
    const firstParty = (client as unknown as Record<string, unknown>).passless_first_party === true;
    const decision: InteractionDecision = decideInteraction({
      session,
      request: {
        prompt: found.prompt.name,
        params: found.params,
        startedAt: new Date(((found as unknown as { iat?: number }).iat ?? 0) * 1000),
      },
      firstParty,
      rememberedScopes:
        session && !firstParty ? await getConsentScopes(deps.db, session.userId, client.clientId) : null,
      passSessionsMayUseApplications:
        session?.kind === 'bootstrap' && (await getTapPolicy(deps.db, deps.clock())).isUsableForApplications,
      now: deps.clock(),
    });
    return { provider, found, client, session, decision };
  }

  const returnHere = (uid: string) => `${INTERACTION_PATH}/${uid}`;

  /**
   * provider.interactionResult() without reading the interaction again: this request already holds it (one
   * statement fewer per sign-in). The same steps: set the result, save it for the rest of its life, resume.
   */
  async function finish(found: Details, result: InteractionResults): Promise<string> {
    found.result = result;
    await found.save(found.exp - Math.floor(Date.now() / 1000));
    return found.returnTo;
  }

  app.get<{ Params: { uid: string } }>(
    `${INTERACTION_PATH}/:uid`,
    { schema: { params: uidParams } },
    async (_r, reply) => reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').send(PAGE),
  );

  app.post<{ Params: { uid: string } }>(
    `${INTERACTION_PATH}/:uid`,
    { schema: { params: uidParams } },
    async (request, reply) => {
      // A new browser's usual case: the interaction was started here (its signed cookie, which lives as long as
      // the interaction) and there is no Passless session cookie at all. Nothing to read: sign in first.
      assertSameOrigin(request, deps.config);
      if (!sessionToken(request, deps.config) && (await startedInThisBrowser(request, reply))) {
        return signInAnswer(request.params.uid, 'signInRequired', 'Sign in to continue to the application.');
      }
      return inPayloadUnit(deps.db, () => interact(request, reply));
    },
  );

  /** Whether the browser holds the provider's signed interaction cookie for this interaction. */
  async function startedInThisBrowser(request: FastifyRequest<{ Params: { uid: string } }>, reply: FastifyReply) {
    const provider = await app.oidc.provider();
    const cookies = provider.createContext(request.raw, reply.raw).cookies;
    return cookies.get(provider.cookieName('interaction'), { signed: true }) === request.params.uid;
  }

  function signInAnswer(uid: string, reason: 'signInRequired' | 'stepUp', detail: string, application?: object) {
    const more = reason === 'stepUp' ? '&reason=reauthenticate' : '';
    const location = `/signin?returnTo=${encodeURIComponent(returnHere(uid))}${more}`;
    return { action: 'signIn', reason, detail, location, ...(application ? { application } : {}) };
  }

  async function interact(request: FastifyRequest<{ Params: { uid: string } }>, reply: FastifyReply) {
    const { provider, found, client, session, decision } = await decide(request, reply);
    const application = { appId: client.clientId, displayName: client.clientName ?? client.clientId };
    switch (decision.action) {
      case 'signIn':
        return signInAnswer(request.params.uid, decision.reason, decision.detail, application);
      case 'blocked':
        return { action: 'blocked', reason: decision.reason, detail: decision.detail, application };
      case 'consent':
        return {
          action: 'consent',
          application,
          scopes: decision.scopes.map((name) => ({ name, description: describeScope(name) })),
        };
      case 'complete': {
        const result = await complete(provider, found, session!, decision.acr);
        const location = await finish(found, result);
        return { action: 'redirect', location };
      }
    }
  }

  app.post<{ Params: { uid: string }; Body: { decision: 'accept' | 'deny' } }>(
    `${INTERACTION_PATH}/:uid/consent`,
    {
      schema: {
        params: uidParams,
        body: {
          type: 'object',
          required: ['decision'],
          additionalProperties: false,
          properties: { decision: { enum: ['accept', 'deny'] } },
        },
      },
    },
    async (request, reply) =>
      inPayloadUnit(deps.db, async () => {
        const { provider, found, client, session, decision } = await decide(request, reply);
        if (request.body.decision === 'deny') {
          const location = await finish(found, {
            error: 'access_denied',
            error_description: 'The person did not allow the application.',
          });
          return { location };
        }
        // Consent counts only for a session that could complete the sign-in right now.
        if (decision.action !== 'consent' && decision.action !== 'complete') {
          throw new PasslessError('badRequest', { detail: 'Sign in first, then allow the application.' });
        }
        await rememberConsent(deps, requestContext(request), {
          userId: session!.userId,
          actor: {
            kind: 'user',
            id: session!.userId,
            userPrincipalName: session!.user.userPrincipalName,
            displayName: session!.user.displayName,
            ipAddress: request.ip,
          },
          application: { appId: client.clientId, displayName: client.clientName ?? client.clientId },
          scopes: splitScopes(found.params.scope),
        });
        const result = await complete(provider, found, session!, decision.acr);
        const location = await finish(found, result);
        return { location };
      }),
  );

  app.post<{ Params: { uid: string } }>(
    `${INTERACTION_PATH}/:uid/abort`,
    { schema: { params: uidParams } },
    async (request, reply) =>
      inPayloadUnit(deps.db, async () => {
        assertSameOrigin(request, deps.config);
        const { details: found } = await details(request, reply);
        const location = await finish(found, {
          error: 'access_denied',
          error_description: 'The sign-in was cancelled.',
        });
        return { location };
      }),
  );
}
