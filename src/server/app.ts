// buildApp(config, deps) → a Fastify instance, not listening: the HTTP surface of Passless.
import { randomUUID } from 'node:crypto';
import cookie from '@fastify/cookie';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Deps } from '../services/deps.ts';
import { newCorrelationId, registerErrorHandling } from './plugins/errors.ts';
import { registerSecurityHeaders } from './plugins/security-headers.ts';
import { registerSecurityInfoRoutes } from './routes/flows/security-info.routes.ts';
import { registerSignInRoutes } from './routes/flows/sign-in.routes.ts';
import { registerAuthenticationRoutes } from './routes/graph/authentication.routes.ts';
import { registerDirectoryRoutes } from './routes/graph/directory.routes.ts';
import { registerPolicyRoutes } from './routes/graph/policy-and-logs.routes.ts';
import { registerPageRoutes } from './routes/pages/pages.routes.ts';

declare module 'fastify' {
  interface FastifyRequest {
    correlationId: string;
  }
}

export interface AppOptions {
  logger?: boolean | { level: string };
}

export async function buildApp(deps: Deps, options: AppOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger: options.logger ?? false,
    trustProxy: deps.config.trustProxy,
    bodyLimit: 64 * 1024,
    genReqId: () => randomUUID(),
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: false } },
    routerOptions: { maxParamLength: 400 },
  });
  app.decorateRequest('correlationId', '');
  app.addHook('onRequest', async (request) => {
    request.correlationId = newCorrelationId(request.headers['client-request-id']);
  });
  await app.register(cookie);
  registerErrorHandling(app);
  registerSecurityHeaders(app, deps.config);
  registerSignInRoutes(app, deps);
  registerSecurityInfoRoutes(app, deps);
  registerDirectoryRoutes(app, deps);
  registerAuthenticationRoutes(app, deps);
  registerPolicyRoutes(app, deps);
  registerPageRoutes(app, deps);
  return app;
}
