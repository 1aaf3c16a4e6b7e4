// The deployment's tenant id: a UUID made on first use and kept in the settings table. Entra-style endpoints
// (/{tenant}/oauth2/v2.0/…) and GET /v1.0/organization name the deployment by it.
import { randomUUID } from 'node:crypto';
import { ensureSetting } from '../storage/repositories/settings.repository.ts';
import type { Deps } from './deps.ts';

let cached: { db: unknown; id: string } | null = null;

export async function getTenantId(deps: Pick<Deps, 'db' | 'clock'>): Promise<string> {
  // The id never changes once stored, so one read per database handle is enough.
  if (cached?.db === deps.db) return cached.id;
  const id = await ensureSetting(deps.db, 'tenantId', randomUUID(), deps.clock());
  cached = { db: deps.db, id };
  return id;
}
