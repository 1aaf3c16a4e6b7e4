// buildApp(config, deps) → a Fastify instance, not listening: the HTTP surface of Passless.
import { randomUUID } from 'node:crypto';
import cookie from '@fastify/cookie';
import Fastify, { type FastifyInstance } from 'fastify';
import { PasslessError } from '../core/errors.ts';
import type { Deps } from '../services/deps.ts';
import { registerOidcInteractionRoutes } from './oidc/interaction.routes.ts';
import { mountOidcProvider, type OidcMount } from './oidc/provider.ts';
import { registerBearerChallenges } from './plugins/bearer.ts';
import { newCorrelationId, registerErrorHandling, sendError } from './plugins/errors.ts';
import { applySecurityHeaders, registerSecurityHeaders } from './plugins/security-headers.ts';
import { registerConsentRoutes } from './routes/flows/consents.routes.ts';
import { registerSecurityInfoRoutes } from './routes/flows/security-info.routes.ts';
import { registerSignInRoutes } from './routes/flows/sign-in.routes.ts';
import { registerApplicationRoutes } from './routes/graph/applications.routes.ts';
import { registerAuthenticationRoutes } from './routes/graph/authentication.routes.ts';
import { registerDirectoryRoutes } from './routes/graph/directory.routes.ts';
import { registerOrganizationRoutes } from './routes/graph/organization.routes.ts';
import { registerPolicyRoutes } from './routes/graph/policy-and-logs.routes.ts';
import { registerServicePrincipalRoutes } from './routes/graph/service-principals.routes.ts';
import { registerPageRoutes } from './routes/pages/pages.routes.ts';

declare module 'fastify' {
  interface FastifyRequest {
    correlationId: string;
  }
  interface FastifyInstance {
    /** The OpenID Connect provider mounted at the root (src/server/oidc/provider.ts). */
    oidc: OidcMount;
  }
}

export interface AppOptions {
  logger?: boolean | { level: string };
  /** Serve https with this PEM key and certificate (`passless serve --tls`); the public URL must be https then. */
  https?: { key: string; cert: string };
}

export async function buildApp(deps: Deps, options: AppOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    ...(options.https ? { https: { key: options.https.key, cert: options.https.cert } } : {}),
    logger: options.logger ?? false,
    trustProxy: deps.config.trustProxy,
    bodyLimit: 64 * 1024,
    genReqId: () => randomUUID(),
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: false } },
    routerOptions: { maxParamLength: 400 },
    // Fastify answers a malformed or overlong URL itself, outside the error handler: in Graph's shape too.
    frameworkErrors: (error, request, reply) => {
      request.correlationId = newCorrelationId(request.headers['client-request-id']);
      const detail =
        error.code === 'FST_ERR_BAD_URL'
          ? 'The URL is not valid: check its percent-encoding.'
          : 'The URL is not valid: a part of it is too long.';
      applySecurityHeaders(request, reply, deps.config);
      sendError(request, reply, new PasslessError('badRequest', { detail }));
    },
  });
  app.decorateRequest('correlationId', '');
  app.addHook('onRequest', async (request) => {
    request.correlationId = newCorrelationId(request.headers['client-request-id']);
  });
  await app.register(cookie);
  // Every body is JSON: without Fastify's default text parser a text body gets 415 "send application/json"
  // instead of a schema error about its type.
  app.removeContentTypeParser('text/plain');
  registerErrorHandling(app);
  // PostgreSQL text cannot hold NUL: refuse it in the URL or the body up front, with a message, not a 500.
  app.addHook('preValidation', async (request) => {
    if (/%00/.test(request.url) || containsNul(request.body)) {
      throw new PasslessError('badRequest', { detail: 'The request contains a NUL character (\\u0000); remove it.' });
    }
  });
  registerSecurityHeaders(app, deps.config);
  registerBearerChallenges(app);
  // Before the routes: the provider answers its own paths (discovery, /jwks, /auth, /token …) in onRequest.
  app.decorate('oidc', await mountOidcProvider(app, deps));
  registerOidcInteractionRoutes(app, deps);
  registerSignInRoutes(app, deps);
  registerSecurityInfoRoutes(app, deps);
  registerConsentRoutes(app, deps);
  registerDirectoryRoutes(app, deps);
  registerApplicationRoutes(app, deps);
  registerOrganizationRoutes(app, deps);
  registerAuthenticationRoutes(app, deps);
  registerPolicyRoutes(app, deps);
  registerServicePrincipalRoutes(app, deps);
  registerPageRoutes(app, deps);
  return app;
}

function containsNul(value: unknown): boolean {
  if (typeof value === 'string') return value.includes('\u0000');
  if (Array.isArray(value)) return value.some(containsNul);
  if (value && typeof value === 'object') {
    return Object.entries(value).some(([key, item]) => key.includes('\u0000') || containsNul(item));
  }
  return false;
}
