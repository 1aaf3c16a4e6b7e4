// "Apps you've allowed" in /security-info: the consents a person gave, and revoking one (docs/oidc.md).
import type { FastifyInstance } from 'fastify';
import type { Deps } from '../../../services/deps.ts';
import { listConsents, revokeConsent } from '../../../services/oidc-consents.service.ts';
import { authenticate, requestContext } from '../../plugins/session.ts';

export function registerConsentRoutes(app: FastifyInstance, deps: Deps): void {
  app.get('/api/security-info/consents', async (request) => {
    const { session } = await authenticate(request, deps, { allowBootstrap: false });
    const consents = await listConsents(deps, session.userId);
    return {
      value: consents.map((c) => ({
        appId: c.appId,
        displayName: c.displayName,
        scopes: c.scopes,
        grantedDateTime: c.grantedAt.toISOString(),
      })),
    };
  });

  app.delete<{ Params: { appId: string } }>(
    '/api/security-info/consents/:appId',
    { schema: { params: { type: 'object', properties: { appId: { type: 'string', format: 'uuid' } } } } },
    async (request, reply) => {
      const { actor, session } = await authenticate(request, deps, { allowBootstrap: false });
      await revokeConsent(deps, requestContext(request), {
        userId: session.userId,
        actor,
        appId: request.params.appId,
      });
      return reply.status(204).send();
    },
  );
}
