// /v1.0/applications with Graph's shapes: application registrations and their client secrets (addPassword /
// removePassword), `$search` on the display name. Reads need any directory role; changes need applications.write.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import {
  type Application,
  renderApplication,
  renderPasswordCredential,
} from '../../../core/applications/applications.ts';
import { PasslessError } from '../../../core/errors.ts';
import { isUuid } from '../../../core/ids.ts';
import * as applications from '../../../services/applications.service.ts';
import type { Deps } from '../../../services/deps.ts';
import { listApplications } from '../../../storage/repositories/applications.repository.ts';
import { authorize, requestContext } from '../../plugins/session.ts';
import { collection, decodeSkipToken, encodeSkipToken, entity, parseTop } from './odata.ts';

const jsonObject = { type: 'object' } as const;
const idParams = { type: 'object', properties: { id: { type: 'string', minLength: 1, maxLength: 200 } } } as const;
const appIdParams = { type: 'object', properties: { key: { type: 'string', minLength: 1, maxLength: 200 } } } as const;

type ById = { Params: { id: string } };

/** Graph's `$search="displayName:pay"` on applications: a case-insensitive substring of the display name. */
function parseSearch(raw: unknown, consistencyLevel: unknown): string | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string') throw new PasslessError('badRequest', { detail: '$search may be given only once.' });
  // Graph requires ConsistencyLevel: eventual for $search on directory objects.
  if (String(consistencyLevel).toLowerCase() !== 'eventual') {
    throw new PasslessError('badRequest', { detail: "$search requires the header 'ConsistencyLevel: eventual'." });
  }
  const match = /^"(?:displayName:)?([^"]{1,100})"$/.exec(raw.trim());
  if (!match) {
    throw new PasslessError('badRequest', {
      detail: '$search must look like "displayName:payroll" (with the double quotes).',
    });
  }
  return match[1];
}
type ByAppId = { Params: { key: string } };

export function registerApplicationRoutes(app: FastifyInstance, deps: Deps): void {
  const origin = deps.config.origin;

  async function render(application: Application) {
    const credentials = await applications.credentialsOf(deps.db, [application]);
    return entity(origin, 'applications', renderApplication(application, credentials.get(application.id) ?? []));
  }

  /** `/v1.0/applications/{id}` or Graph's alternate key `/v1.0/applications(appId='{appId}')`. */
  function find(request: FastifyRequest): Promise<Application> {
    const params = request.params as Partial<ById['Params'] & ByAppId['Params']>;
    if (params.id !== undefined) return applications.findApplication(deps.db, params.id);
    // The router hands over everything after "appId=" up to the next slash: `'{appId}')`.
    const match = /^'([^']{1,100})'\)$/.exec(params.key ?? '');
    if (!match) {
      throw new PasslessError('badRequest', {
        detail: "Address an application by appId as /v1.0/applications(appId='{appId}').",
      });
    }
    return applications.findApplication(deps.db, match[1]!, 'appId');
  }

  app.get<{ Querystring: Record<string, string> }>('/v1.0/applications', async (request) => {
    await authorize(request, deps, 'applications.read');
    const top = parseTop(request.query.$top, 999, 100);
    const after = decodeSkipToken(request.query.$skiptoken, (v): v is string => typeof v === 'string' && isUuid(v));
    const search = parseSearch(request.query.$search, request.headers.consistencylevel);
    const rows = await listApplications(deps.db, top + 1, after, search);
    const page = rows.slice(0, top);
    const next = rows.length > top ? encodeSkipToken(page[page.length - 1]!.id) : null;
    const credentials = await applications.credentialsOf(deps.db, page);
    return collection(
      request,
      origin,
      'applications',
      page.map((a) => renderApplication(a, credentials.get(a.id) ?? [])),
      next,
    );
  });

  app.post<{ Body: Record<string, unknown> }>(
    '/v1.0/applications',
    { schema: { body: jsonObject } },
    async (request, reply) => {
      const admin = await authorize(request, deps, 'applications.write');
      const created = await applications.createApplication(deps, requestContext(request), admin.actor, request.body);
      return reply.status(201).send(await render(created));
    },
  );

  for (const [path, schema] of [
    ['/v1.0/applications/:id', idParams],
    ['/v1.0/applications(appId=:key', appIdParams],
  ] as const) {
    app.get(path, { schema: { params: schema } }, async (request) => {
      await authorize(request, deps, 'applications.read');
      return render(await find(request));
    });

    app.patch<{ Body: Record<string, unknown> }>(
      path,
      { schema: { params: schema, body: jsonObject } },
      async (request, reply) => {
        const admin = await authorize(request, deps, 'applications.write');
        const target = await find(request);
        await applications.updateApplication(deps, requestContext(request), admin.actor, target.id, request.body);
        return reply.status(204).send();
      },
    );

    app.delete(path, { schema: { params: schema } }, async (request, reply) => {
      const admin = await authorize(request, deps, 'applications.write');
      const target = await find(request);
      await applications.deleteApplication(deps, requestContext(request), admin.actor, target);
      return reply.status(204).send();
    });

    app.post<{ Body: Record<string, unknown> | undefined }>(
      `${path}/addPassword`,
      { schema: { params: schema, body: jsonObject } },
      async (request) => {
        const admin = await authorize(request, deps, 'applications.write');
        const target = await find(request);
        const { credential, secretText } = await applications.addPassword(
          deps,
          requestContext(request),
          admin.actor,
          target.id,
          request.body ?? {},
        );
        // The only response that ever carries the secret.
        return {
          '@odata.context': `${origin}/v1.0/$metadata#microsoft.graph.passwordCredential`,
          ...renderPasswordCredential(credential, secretText),
        };
      },
    );

    app.post<{ Body: Record<string, unknown> }>(
      `${path}/removePassword`,
      { schema: { params: schema, body: jsonObject } },
      async (request, reply) => {
        const admin = await authorize(request, deps, 'applications.write');
        const target = await find(request);
        await applications.removePassword(deps, requestContext(request), admin.actor, target.id, request.body);
        return reply.status(204).send();
      },
    );
  }
}
