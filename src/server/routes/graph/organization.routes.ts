// /v1.0/organization with Graph's shape: the one tenant this deployment is, named by its tenant id. Any person
// with a full session may read it, as any member can read the organization's basics in Entra.
import type { FastifyInstance } from 'fastify';
import { PasslessError } from '../../../core/errors.ts';
import type { Deps } from '../../../services/deps.ts';
import { getTenantId } from '../../../services/tenant.service.ts';
import { authenticate } from '../../plugins/session.ts';
import { entity } from './odata.ts';

const ORGANIZATION_NAME = 'Passless';
const idParams = { type: 'object', properties: { id: { type: 'string', minLength: 1, maxLength: 200 } } } as const;

export function registerOrganizationRoutes(app: FastifyInstance, deps: Deps): void {
  const origin = deps.config.origin;

  async function organization() {
    return {
      id: await getTenantId(deps),
      displayName: ORGANIZATION_NAME,
      verifiedDomains: [{ name: deps.config.rpId, isDefault: true, isInitial: true, type: 'Managed' }],
    };
  }

  app.get('/v1.0/organization', async (request) => {
    await authenticate(request, deps, { allowBootstrap: false });
    return { '@odata.context': `${origin}/v1.0/$metadata#organization`, value: [await organization()] };
  });

  app.get<{ Params: { id: string } }>('/v1.0/organization/:id', { schema: { params: idParams } }, async (request) => {
    await authenticate(request, deps, { allowBootstrap: false });
    const org = await organization();
    if (request.params.id.toLowerCase() !== org.id) {
      throw new PasslessError('itemNotFound', {
        detail: `Resource '${request.params.id.slice(0, 200)}' does not exist or one of its queried reference-property objects are not present.`,
      });
    }
    return entity(origin, 'organization', org);
  });
}
