// /v1.0/users/{id}/authentication/* (admins) and /v1.0/me/authentication/* (the signed-in person).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { canManageMethodsOf } from '../../../core/directory/roles.ts';
import type { User } from '../../../core/directory/users.ts';
import { PasslessError } from '../../../core/errors.ts';
import {
  getPasskey,
  issueTap,
  listMethodsOfUser,
  listTapsOfUser,
  removePasskey,
  removeTap,
  renderPasskey,
  updatePasskeyName,
} from '../../../services/authentication-methods.service.ts';
import type { Deps } from '../../../services/deps.ts';
import { findUser } from '../../../services/directory.service.ts';
import { assertRecentAuthentication } from '../../../services/passkey-registration.service.ts';
import { listPasskeysOfUser } from '../../../storage/repositories/passkeys.repository.ts';
import { listRoleKeysOfUser } from '../../../storage/repositories/roles.repository.ts';
import { type Authenticated, authenticate, authorize, requestContext } from '../../plugins/session.ts';
import { passkeyNameBody } from '../flows/security-info.routes.ts';
import { collection, entity } from './odata.ts';

type Params = { user: string; id: string };
// Method ids are UUIDs (the database column type): anything else is refused by the schema, not by the database.
const idParam = { type: 'string', format: 'uuid' } as const;
const userParam = { type: 'string', minLength: 1, maxLength: 320 } as const;

export function registerAuthenticationRoutes(app: FastifyInstance, deps: Deps): void {
  const origin = deps.config.origin;

  /** The target user and the actor, with Entra's rule for who may manage whose methods (graph-entra.md §3). */
  async function adminOver(
    request: FastifyRequest<{ Params: Partial<Params> }>,
    capability: 'methods.read' | 'methods.write',
  ): Promise<{ auth: Authenticated; target: User }> {
    const auth = await authorize(request, deps, capability);
    const target = await findUser(deps.db, request.params.user!);
    const decision = canManageMethodsOf(
      { id: auth.session.userId, roles: auth.roles },
      { id: target.id, roles: await listRoleKeysOfUser(deps.db, target.id) },
      capability,
    );
    if (!decision.allowed) throw new PasslessError('accessDenied', { detail: decision.reason });
    return { auth, target };
  }

  async function me(request: FastifyRequest): Promise<{ auth: Authenticated; target: User }> {
    const auth = await authenticate(request, deps, { allowBootstrap: true });
    return { auth, target: await findUser(deps.db, auth.session.userId) };
  }

  const userBase = '/v1.0/users/:user/authentication';
  const params = { type: 'object', properties: { user: userParam, id: idParam } } as const;
  const ctxOf = (request: FastifyRequest) => requestContext(request);

  // --- reads, for admins and for the person ---
  for (const [base, resolve] of [
    [userBase, (r: FastifyRequest) => adminOver(r as FastifyRequest<{ Params: Partial<Params> }>, 'methods.read')],
    ['/v1.0/me/authentication', me],
  ] as const) {
    const label = base === userBase ? 'users' : 'me';
    app.get(`${base}/methods`, { schema: { params } }, async (request) => {
      const { target } = await resolve(request);
      return collection(
        request,
        origin,
        `${label}('${target.id}')/authentication/methods`,
        await listMethodsOfUser(deps.db, target.id, deps.clock()),
      );
    });
    app.get(`${base}/temporaryAccessPassMethods`, { schema: { params } }, async (request) => {
      const { target } = await resolve(request);
      return collection(
        request,
        origin,
        `${label}('${target.id}')/authentication/temporaryAccessPassMethods`,
        await listTapsOfUser(deps.db, target.id, deps.clock()),
      );
    });
    app.get<{ Params: Params }>(`${base}/temporaryAccessPassMethods/:id`, { schema: { params } }, async (request) => {
      const { target } = await resolve(request);
      const tap = (await listTapsOfUser(deps.db, target.id, deps.clock())).find((t) => t.id === request.params.id);
      if (!tap)
        throw new PasslessError('itemNotFound', {
          detail: 'No Temporary Access Pass with this id exists for this user.',
        });
      return entity(origin, `${label}('${target.id}')/authentication/temporaryAccessPassMethods`, tap);
    });
    app.get(`${base}/fido2Methods`, { schema: { params } }, async (request) => {
      const { target } = await resolve(request);
      const passkeys = (await listPasskeysOfUser(deps.db, target.id)).map(renderPasskey);
      return collection(request, origin, `${label}('${target.id}')/authentication/fido2Methods`, passkeys);
    });
    app.get<{ Params: Params }>(`${base}/fido2Methods/:id`, { schema: { params } }, async (request) => {
      const { target } = await resolve(request);
      const passkey = await getPasskey(deps.db, target.id, request.params.id);
      return entity(origin, `${label}('${target.id}')/authentication/fido2Methods`, renderPasskey(passkey));
    });
  }

  // --- admin writes ---
  app.post<{ Params: Params; Body: { startDateTime?: string; lifetimeInMinutes?: number; isUsableOnce?: boolean } }>(
    `${userBase}/temporaryAccessPassMethods`,
    {
      schema: {
        params,
        body: {
          type: 'object',
          additionalProperties: false,
          properties: {
            '@odata.type': { const: '#microsoft.graph.temporaryAccessPassAuthenticationMethod' },
            startDateTime: { type: 'string', maxLength: 40 },
            lifetimeInMinutes: { type: 'integer' },
            isUsableOnce: { type: 'boolean' },
          },
        },
      },
    },
    async (request, reply) => {
      const { auth, target } = await adminOver(request, 'methods.write');
      const created = await issueTap(deps, ctxOf(request), auth.actor, target, request.body ?? {});
      return reply
        .status(201)
        .send(entity(origin, `users('${target.id}')/authentication/temporaryAccessPassMethods`, created));
    },
  );
  app.delete<{ Params: Params }>(
    `${userBase}/temporaryAccessPassMethods/:id`,
    { schema: { params } },
    async (request, reply) => {
      const { auth, target } = await adminOver(request, 'methods.write');
      await removeTap(deps, ctxOf(request), auth.actor, target, request.params.id, 'admin');
      return reply.status(204).send();
    },
  );
  app.delete<{ Params: Params }>(`${userBase}/fido2Methods/:id`, { schema: { params } }, async (request, reply) => {
    const { auth, target } = await adminOver(request, 'methods.write');
    await removePasskey(deps, ctxOf(request), auth.actor, target, request.params.id, 'admin');
    return reply.status(204).send();
  });

  // --- the person's own writes ---
  app.delete<{ Params: Params }>(
    '/v1.0/me/authentication/temporaryAccessPassMethods/:id',
    { schema: { params } },
    async (request, reply) => {
      const { auth, target } = await me(request);
      await removeTap(deps, ctxOf(request), auth.actor, target, request.params.id, 'user');
      return reply.status(204).send();
    },
  );
  app.delete<{ Params: Params }>(
    '/v1.0/me/authentication/fido2Methods/:id',
    { schema: { params } },
    async (request, reply) => {
      const { auth, target } = await me(request);
      // ASVS 7.5.1: removing a factor needs a recent sign-in.
      assertRecentAuthentication(deps, auth.session);
      await removePasskey(deps, ctxOf(request), auth.actor, target, request.params.id, 'user');
      return reply.status(204).send();
    },
  );
  app.patch<{ Params: Params; Body: { displayName: string } }>(
    '/v1.0/me/authentication/fido2Methods/:id',
    { schema: { params, body: passkeyNameBody } },
    async (request) => {
      const { auth, target } = await me(request);
      const renamed = await updatePasskeyName(
        deps,
        ctxOf(request),
        auth.actor,
        target,
        request.params.id,
        request.body.displayName,
      );
      return entity(origin, `me/authentication/fido2Methods`, renderPasskey(renamed));
    },
  );
}
