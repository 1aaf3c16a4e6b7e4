// Sign-in endpoints used by /signin (contract: docs/http-contract.md).

import type { AuthenticationResponseJSON } from '@simplewebauthn/server';
import type { FastifyInstance } from 'fastify';
import type { Deps } from '../../../services/deps.ts';
import { hashSessionToken } from '../../../services/session-tokens.ts';
import { finishPasskeySignIn, identify, signInWithTap, startPasskeySignIn } from '../../../services/sign-in.service.ts';
import { deleteSessionByTokenHash } from '../../../storage/repositories/sessions.repository.ts';
import { createRateLimiter } from '../../plugins/rate-limit.ts';
import {
  assertSameOrigin,
  clearSessionCookie,
  requestContext,
  sessionToken,
  setSessionCookie,
} from '../../plugins/session.ts';

const uuid = { type: 'string', format: 'uuid' } as const;
const returnTo = { type: 'string', maxLength: 512 } as const;

export const credentialSchema = {
  type: 'object',
  required: ['id', 'rawId', 'type', 'response'],
  properties: {
    id: { type: 'string', minLength: 1, maxLength: 1400, pattern: '^[A-Za-z0-9_-]+$' },
    rawId: { type: 'string', minLength: 1, maxLength: 1400 },
    type: { const: 'public-key' },
    response: { type: 'object' },
    authenticatorAttachment: { type: ['string', 'null'] },
    clientExtensionResults: { type: 'object' },
  },
} as const;

export function registerSignInRoutes(app: FastifyInstance, deps: Deps): void {
  const starts = createRateLimiter(deps.config.signInStartsPerMinute);
  const previous = (request: Parameters<typeof sessionToken>[0]) => {
    const token = sessionToken(request, deps.config);
    return token ? hashSessionToken(token) : undefined;
  };

  app.post<{ Body: { identifier: string; returnTo?: string } }>(
    '/api/signin/identify',
    {
      schema: {
        body: {
          type: 'object',
          required: ['identifier'],
          additionalProperties: false,
          properties: { identifier: { type: 'string', minLength: 1, maxLength: 320 }, returnTo },
        },
      },
    },
    async (request) => {
      assertSameOrigin(request, deps.config);
      starts.take(request.ip);
      const result = await identify(deps, request.body);
      return { ...result, expiresAt: undefined, expiresDateTime: result.expiresAt.toISOString() };
    },
  );

  app.post<{ Body: { flowId: string; temporaryAccessPass: string } }>(
    '/api/signin/tap',
    {
      schema: {
        body: {
          type: 'object',
          required: ['flowId', 'temporaryAccessPass'],
          additionalProperties: false,
          properties: { flowId: uuid, temporaryAccessPass: { type: 'string', minLength: 1, maxLength: 128 } },
        },
      },
    },
    async (request, reply) => {
      assertSameOrigin(request, deps.config);
      const result = await signInWithTap(deps, requestContext(request), {
        ...request.body,
        previousSessionTokenHash: previous(request),
      });
      setSessionCookie(reply, deps.config, result.sessionToken, result.expiresAt);
      return { redirectTo: result.redirectTo };
    },
  );

  app.post<{ Body: { flowId?: string; conditional?: boolean; returnTo?: string } }>(
    '/api/signin/passkey/options',
    {
      schema: {
        body: {
          type: 'object',
          additionalProperties: false,
          properties: { flowId: uuid, conditional: { type: 'boolean' }, returnTo },
        },
      },
    },
    async (request) => {
      assertSameOrigin(request, deps.config);
      starts.take(request.ip);
      return startPasskeySignIn(deps, { flowId: request.body?.flowId, returnTo: request.body?.returnTo });
    },
  );

  app.post<{ Body: { flowId: string; credential: AuthenticationResponseJSON } }>(
    '/api/signin/passkey/verify',
    {
      schema: {
        body: {
          type: 'object',
          required: ['flowId', 'credential'],
          additionalProperties: false,
          properties: { flowId: uuid, credential: credentialSchema },
        },
      },
    },
    async (request, reply) => {
      assertSameOrigin(request, deps.config);
      const result = await finishPasskeySignIn(deps, requestContext(request), {
        ...request.body,
        previousSessionTokenHash: previous(request),
      });
      setSessionCookie(reply, deps.config, result.sessionToken, result.expiresAt);
      return { redirectTo: result.redirectTo };
    },
  );

  app.post('/api/signout', async (request, reply) => {
    assertSameOrigin(request, deps.config);
    const hash = previous(request);
    if (hash) await deleteSessionByTokenHash(deps.db, hash);
    clearSessionCookie(reply, deps.config);
    return reply.status(204).send();
  });
}
