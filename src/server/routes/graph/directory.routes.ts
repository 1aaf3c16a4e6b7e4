// /v1.0/users, /v1.0/me, /v1.0/directoryRoles and /v1.0/groups with Graph's shapes.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { canManageUser, describeRole, ROLE_LIST } from '../../../core/directory/roles.ts';
import { renderUser } from '../../../core/directory/users.ts';
import { PasslessError } from '../../../core/errors.ts';
import { isUuid } from '../../../core/ids.ts';
import type { Deps } from '../../../services/deps.ts';
import * as directory from '../../../services/directory.service.ts';
import * as groupsRepo from '../../../storage/repositories/groups.repository.ts';
import { listRoleKeysOfUser, listRoleMemberIds } from '../../../storage/repositories/roles.repository.ts';
import { getUserById, listUsers } from '../../../storage/repositories/users.repository.ts';
import { type Admin, authenticate, authorize, requestContext } from '../../plugins/session.ts';
import { collection, decodeSkipToken, encodeSkipToken, entity, parseTop } from './odata.ts';

const jsonObject = { type: 'object' } as const;
const userParams = { type: 'object', properties: { user: { type: 'string', minLength: 1, maxLength: 320 } } } as const;

function parseUserQuery(query: Record<string, string | undefined>, consistencyLevel: unknown) {
  const result: {
    prefix?: { field: 'displayName' | 'userPrincipalName'; value: string };
    upnEquals?: string;
    search?: string;
  } = {};
  // A repeated option arrives as an array: refuse it rather than guess which one was meant.
  for (const option of ['$filter', '$search']) {
    if (query[option] !== undefined && typeof query[option] !== 'string') {
      throw new PasslessError('badRequest', { detail: `${option} may be given only once.` });
    }
  }
  const filter = query.$filter;
  if (filter !== undefined) {
    const startsWith = /^startswith\((displayName|userPrincipalName),\s*'((?:[^']|'')*)'\)$/.exec(filter.trim());
    const equals = /^userPrincipalName eq '((?:[^']|'')*)'$/.exec(filter.trim());
    if (startsWith)
      result.prefix = { field: startsWith[1] as 'displayName', value: startsWith[2]!.replace(/''/g, "'") };
    else if (equals) result.upnEquals = equals[1]!.replace(/''/g, "'");
    else {
      throw new PasslessError('badRequest', {
        detail:
          "Unsupported $filter. Supported: startswith(displayName,'x'), startswith(userPrincipalName,'x'), userPrincipalName eq 'x'.",
      });
    }
  }
  if (query.$search !== undefined) {
    // Graph requires ConsistencyLevel: eventual for $search on directory objects.
    if (String(consistencyLevel).toLowerCase() !== 'eventual') {
      throw new PasslessError('badRequest', { detail: "$search requires the header 'ConsistencyLevel: eventual'." });
    }
    const match = /^"(?:(displayName|userPrincipalName|mail):)?([^"]{1,100})"$/.exec(query.$search.trim());
    if (!match)
      throw new PasslessError('badRequest', {
        detail: '$search must look like "displayName:jan" (with the double quotes).',
      });
    result.search = match[2]!;
  }
  return result;
}

export function registerDirectoryRoutes(app: FastifyInstance, deps: Deps): void {
  const origin = deps.config.origin;
  const ctxOf = (r: FastifyRequest) => requestContext(r);

  async function manageable(request: FastifyRequest<{ Params: { user: string } }>, admin: Admin) {
    const target = await directory.findUser(deps.db, request.params.user);
    const targetRoles = await listRoleKeysOfUser(deps.db, target.id);
    if (!canManageUser({ id: admin.session.userId, roles: admin.roles }, { roles: targetRoles })) {
      throw new PasslessError('accessDenied', {
        detail: 'This user holds an admin role: only a Global Administrator can change or delete them.',
      });
    }
    return target;
  }

  app.get<{ Querystring: Record<string, string> }>('/v1.0/users', async (request) => {
    await authorize(request, deps, 'directory.read');
    const top = parseTop(request.query.$top, 999, 100);
    const filters = parseUserQuery(request.query, request.headers.consistencylevel);
    const after = decodeSkipToken(
      request.query.$skiptoken,
      (v): v is { displayName: string; id: string } =>
        typeof v === 'object' &&
        v !== null &&
        typeof (v as { id?: unknown }).id === 'string' &&
        typeof (v as { displayName?: unknown }).displayName === 'string' &&
        isUuid((v as { id: string }).id),
    );
    const users = await listUsers(deps.db, { top: top + 1, ...filters, after });
    const page = users.slice(0, top);
    const last = page[page.length - 1];
    const next = users.length > top && last ? encodeSkipToken({ displayName: last.displayName, id: last.id }) : null;
    return collection(request, origin, 'users', page.map(renderUser), next);
  });

  app.post<{ Body: Record<string, unknown> }>(
    '/v1.0/users',
    { schema: { body: jsonObject } },
    async (request, reply) => {
      const admin = await authorize(request, deps, 'users.write');
      const user = await directory.createUser(deps, ctxOf(request), admin.actor, request.body);
      return reply.status(201).send(entity(origin, 'users', renderUser(user)));
    },
  );

  app.get('/v1.0/me', async (request) => {
    const auth = await authenticate(request, deps, { allowBootstrap: true });
    return entity(origin, 'users', renderUser(await directory.findUser(deps.db, auth.session.userId)));
  });

  app.get<{ Params: { user: string } }>('/v1.0/users/:user', { schema: { params: userParams } }, async (request) => {
    await authorize(request, deps, 'directory.read');
    return entity(origin, 'users', renderUser(await directory.findUser(deps.db, request.params.user)));
  });

  app.patch<{ Params: { user: string }; Body: Record<string, unknown> }>(
    '/v1.0/users/:user',
    { schema: { params: userParams, body: jsonObject } },
    async (request, reply) => {
      const admin = await authorize(request, deps, 'users.write');
      const target = await manageable(request, admin);
      await directory.updateUser(deps, ctxOf(request), admin.actor, target, request.body);
      return reply.status(204).send();
    },
  );

  app.delete<{ Params: { user: string } }>(
    '/v1.0/users/:user',
    { schema: { params: userParams } },
    async (request, reply) => {
      const admin = await authorize(request, deps, 'users.write');
      const target = await manageable(request, admin);
      await directory.deleteUser(deps, ctxOf(request), admin.actor, target);
      return reply.status(204).send();
    },
  );

  async function memberOf(request: FastifyRequest, userId: string) {
    const target = await directory.findUser(deps.db, userId);
    const roleKeys = await listRoleKeysOfUser(deps.db, target.id);
    const groups = await groupsRepo.listGroupsOfUser(deps.db, target.id);
    const value = [
      ...roleKeys.map((key) => renderRole(ROLE_LIST.find((r) => r.key === key)!)),
      ...groups.map(renderGroup),
    ];
    return collection(request, origin, 'directoryObjects', value);
  }

  app.get<{ Params: { user: string } }>(
    '/v1.0/users/:user/memberOf',
    { schema: { params: userParams } },
    async (request) => {
      await authorize(request, deps, 'directory.read');
      return memberOf(request, request.params.user);
    },
  );

  // The person's own roles and groups (what `passless whoami` shows); no directory role needed.
  app.get('/v1.0/me/memberOf', async (request) => {
    const auth = await authenticate(request, deps, { allowBootstrap: true });
    return memberOf(request, auth.session.userId);
  });

  // --- directory roles (every built-in role is activated) ---
  app.get('/v1.0/directoryRoles', async (request) => {
    await authorize(request, deps, 'directory.read');
    return collection(request, origin, 'directoryRoles', ROLE_LIST.map(renderRole));
  });
  app.get<{ Params: { role: string } }>('/v1.0/directoryRoles/:role/members', async (request) => {
    await authorize(request, deps, 'directory.read');
    const role = directory.findRole(request.params.role);
    const users = await Promise.all((await listRoleMemberIds(deps.db, role.id)).map((id) => getUserById(deps.db, id)));
    return collection(request, origin, 'directoryObjects', users.filter((u) => u !== null).map(renderUser));
  });
  app.post<{ Params: { role: string }; Body: { '@odata.id': string } }>(
    '/v1.0/directoryRoles/:role/members/$ref',
    { schema: { body: refBody } },
    async (request, reply) => {
      const admin = await authorize(request, deps, 'roles.write');
      const role = directory.findRole(request.params.role);
      const target = await directory.findUser(deps.db, userIdOfRef(request.body['@odata.id']));
      await directory.assignRole(deps, ctxOf(request), admin.actor, role, target);
      return reply.status(204).send();
    },
  );
  app.delete<{ Params: { role: string; user: string } }>(
    '/v1.0/directoryRoles/:role/members/:user/$ref',
    async (request, reply) => {
      const admin = await authorize(request, deps, 'roles.write');
      const role = directory.findRole(request.params.role);
      const target = await directory.findUser(deps.db, request.params.user);
      await directory.unassignRole(deps, ctxOf(request), admin.actor, role, target);
      return reply.status(204).send();
    },
  );

  // --- groups ---
  async function findGroup(id: string) {
    const group = isUuid(id) ? await groupsRepo.getGroup(deps.db, id.toLowerCase()) : null;
    if (!group) throw new PasslessError('itemNotFound', { detail: `No group with id ${id.slice(0, 64)}.` });
    return group;
  }
  app.get<{ Querystring: Record<string, string> }>('/v1.0/groups', async (request) => {
    await authorize(request, deps, 'directory.read');
    const top = parseTop(request.query.$top, 999, 100);
    const after = decodeSkipToken(request.query.$skiptoken, (v): v is string => typeof v === 'string' && isUuid(v));
    const groups = await groupsRepo.listGroups(deps.db, top + 1, after);
    const page = groups.slice(0, top);
    const next = groups.length > top ? encodeSkipToken(page[page.length - 1]!.id) : null;
    return collection(request, origin, 'groups', page.map(renderGroup), next);
  });
  app.post<{ Body: Record<string, unknown> }>(
    '/v1.0/groups',
    { schema: { body: jsonObject } },
    async (request, reply) => {
      const admin = await authorize(request, deps, 'groups.write');
      const group = await directory.createGroup(deps, ctxOf(request), admin.actor, request.body);
      return reply.status(201).send(entity(origin, 'groups', renderGroup(group)));
    },
  );
  app.get<{ Params: { group: string } }>('/v1.0/groups/:group', async (request) => {
    await authorize(request, deps, 'directory.read');
    return entity(origin, 'groups', renderGroup(await findGroup(request.params.group)));
  });
  app.delete<{ Params: { group: string } }>('/v1.0/groups/:group', async (request, reply) => {
    const admin = await authorize(request, deps, 'groups.write');
    await directory.deleteGroup(deps, ctxOf(request), admin.actor, await findGroup(request.params.group));
    return reply.status(204).send();
  });
  app.get<{ Params: { group: string } }>('/v1.0/groups/:group/members', async (request) => {
    await authorize(request, deps, 'directory.read');
    const group = await findGroup(request.params.group);
    const users = await Promise.all(
      (await groupsRepo.listGroupMemberIds(deps.db, group.id)).map((id) => getUserById(deps.db, id)),
    );
    return collection(request, origin, 'directoryObjects', users.filter((u) => u !== null).map(renderUser));
  });
  app.post<{ Params: { group: string }; Body: { '@odata.id': string } }>(
    '/v1.0/groups/:group/members/$ref',
    { schema: { body: refBody } },
    async (request, reply) => {
      const admin = await authorize(request, deps, 'groups.write');
      const group = await findGroup(request.params.group);
      const user = await directory.findUser(deps.db, userIdOfRef(request.body['@odata.id']));
      await directory.changeGroupMember(deps, ctxOf(request), admin.actor, { group, user, add: true });
      return reply.status(204).send();
    },
  );
  app.delete<{ Params: { group: string; user: string } }>(
    '/v1.0/groups/:group/members/:user/$ref',
    async (request, reply) => {
      const admin = await authorize(request, deps, 'groups.write');
      const group = await findGroup(request.params.group);
      const user = await directory.findUser(deps.db, request.params.user);
      await directory.changeGroupMember(deps, ctxOf(request), admin.actor, { group, user, add: false });
      return reply.status(204).send();
    },
  );
}

const refBody = {
  type: 'object',
  required: ['@odata.id'],
  properties: { '@odata.id': { type: 'string', maxLength: 600 } },
} as const;

/** `{"@odata.id": "https://graph.microsoft.com/v1.0/directoryObjects/{id}"}` (or …/users/{id}). */
function userIdOfRef(ref: string): string {
  const match = /\/(?:users|directoryObjects)\/([^/?#]+)$/.exec(ref) ?? /^([0-9a-f-]{36})$/i.exec(ref);
  const bad = () =>
    new PasslessError('badRequest', {
      detail: '@odata.id must be a URL ending in /directoryObjects/{id} or /users/{id}.',
    });
  if (!match) throw bad();
  try {
    return decodeURIComponent(match[1]!);
  } catch {
    throw bad(); // malformed percent-encoding
  }
}

function renderRole(role: (typeof ROLE_LIST)[number]) {
  return {
    '@odata.type': '#microsoft.graph.directoryRole',
    id: role.id,
    displayName: role.displayName,
    description: describeRole(role.key),
    roleTemplateId: role.id,
  };
}

function renderGroup(group: groupsRepo.Group) {
  return {
    '@odata.type': '#microsoft.graph.group',
    id: group.id,
    displayName: group.displayName,
    description: group.description,
    mailNickname: group.mailNickname,
    createdDateTime: group.createdAt.toISOString(),
    securityEnabled: true,
    mailEnabled: false,
    groupTypes: [],
  };
}
