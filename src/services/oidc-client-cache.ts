// Application registrations as the OpenID Connect provider reads them, cached for two seconds per process.
// Every request that reaches the provider looks its client up (five times in one code-flow sign-in), and the
// registration rarely changes. A change made through this process is seen at once (the services below forget
// the cache after committing); another instance sees it within CLIENT_CACHE_MS. The API re-checks grants on
// every request regardless (src/server/plugins/bearer.ts).
import { type ClientRecord, findClientRecord } from '../storage/repositories/oidc-clients.repository.ts';
import { type AuditedChange, auditedChange } from './audited-change.ts';
import type { Deps } from './deps.ts';

export const CLIENT_CACHE_MS = 2000;

type Cache = Map<string, { record: ClientRecord | null; at: number }>;
const caches = new WeakMap<object, Cache>();

function cacheOf(deps: Pick<Deps, 'db'>): Cache {
  let cache = caches.get(deps.db);
  if (!cache) {
    cache = new Map();
    caches.set(deps.db, cache);
  }
  return cache;
}

export async function findClient(deps: Pick<Deps, 'db' | 'clock'>, appId: string): Promise<ClientRecord | null> {
  const now = deps.clock();
  const cache = cacheOf(deps);
  const hit = cache.get(appId);
  if (hit && now.getTime() - hit.at < CLIENT_CACHE_MS && now.getTime() >= hit.at) {
    // A cached secret may have expired since it was read.
    return hit.record && { ...hit.record, secrets: hit.record.secrets.filter((s) => s.endsAt * 1000 > now.getTime()) };
  }
  const record = await findClientRecord(deps.db, appId, now);
  // Unknown ids are cached too (briefly): a flood of made-up client ids must not each cost a query.
  if (cache.size > 10_000) cache.clear();
  cache.set(appId, { record, at: now.getTime() });
  return record;
}

/** Called after a registration, its secrets or its granted permissions changed. */
export function forgetClients(deps: Pick<Deps, 'db'>): void {
  caches.get(deps.db)?.clear();
}

/** auditedChange() for a change to what the provider reads about clients: the cache is forgotten after it. */
export function auditedClientChange<T>(
  deps: Deps,
  ctx: Parameters<typeof auditedChange>[1],
  change: (tx: AuditedChange) => Promise<T>,
): Promise<T> {
  return auditedChange(deps, ctx, change).finally(() => forgetClients(deps));
}
