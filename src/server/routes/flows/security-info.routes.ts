// Session info and passkey registration for /security-info (contract: docs/http-contract.md).

import type { RegistrationResponseJSON } from '@simplewebauthn/server';
import type { FastifyInstance } from 'fastify';
import { ROLES } from '../../../core/directory/roles.ts';
import { renderPasskey } from '../../../services/authentication-methods.service.ts';
import type { Deps } from '../../../services/deps.ts';
import { finishPasskeyRegistration, startPasskeyRegistration } from '../../../services/passkey-registration.service.ts';
import { csrfTokenFor } from '../../../services/session-tokens.ts';
import { listRoleKeysOfUser } from '../../../storage/repositories/roles.repository.ts';
import { authenticate, requestContext } from '../../plugins/session.ts';
import { credentialSchema } from './sign-in.routes.ts';

// Naming and renaming a passkey take the same body; the schema only bounds its size, validatePasskeyName
// gives the person the 1-64 character rule.
export const passkeyNameBody = {
  type: 'object',
  required: ['displayName'],
  additionalProperties: false,
  properties: { displayName: { type: 'string', maxLength: 200 } },
} as const;

export function registerSecurityInfoRoutes(app: FastifyInstance, deps: Deps): void {
  app.get('/api/session', async (request) => {
    const { session, token } = await authenticate(request, deps, { allowBootstrap: true });
    const roles = await listRoleKeysOfUser(deps.db, session.userId);
    const ageMs = deps.clock().getTime() - session.authenticatedAt.getTime();
    return {
      user: session.user,
      roles: roles.map((r) => ROLES[r].displayName),
      session: {
        kind: session.kind,
        authenticationMethods: session.amr,
        authenticatedDateTime: session.authenticatedAt.toISOString(),
        expiresDateTime: session.expiresAt.toISOString(),
        reauthenticationRequired: session.kind === 'full' && ageMs > deps.config.reauthenticationWindowMinutes * 60_000,
      },
      csrfToken: csrfTokenFor(token),
    };
  });

  app.get('/api/deployment', async () => ({
    signInUrl: `${deps.config.origin}/signin`,
    organizationName: 'Passless',
  }));

  app.post<{ Body: { displayName: string } }>(
    '/api/security-info/passkeys/options',
    { schema: { body: passkeyNameBody } },
    async (request) => {
      const { session } = await authenticate(request, deps, { allowBootstrap: true });
      return startPasskeyRegistration(deps, session, request.body);
    },
  );

  app.post<{ Body: { flowId: string; credential: RegistrationResponseJSON } }>(
    '/api/security-info/passkeys/verify',
    {
      schema: {
        body: {
          type: 'object',
          required: ['flowId', 'credential'],
          additionalProperties: false,
          properties: { flowId: { type: 'string', format: 'uuid' }, credential: credentialSchema },
        },
      },
    },
    async (request, reply) => {
      const { session, actor } = await authenticate(request, deps, { allowBootstrap: true });
      const passkey = await finishPasskeyRegistration(deps, requestContext(request), session, actor, request.body);
      return reply.status(201).send(renderPasskey(passkey));
    },
  );
}
