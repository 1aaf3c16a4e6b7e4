// A change and its audit record commit or roll back together, and every record of one change carries the
// same time and correlation id, so services cannot forget either half.
import type { Transaction } from 'kysely';
import { type Activity, auditEvent } from '../core/audit/audit.ts';
import type { Database } from '../storage/database.ts';
import { insertAuditEvent } from '../storage/repositories/logs.repository.ts';
import type { Deps, RequestContext } from './deps.ts';

export interface AuditedChange {
  trx: Transaction<Database>;
  now: Date;
  audit: (activity: Activity, input: Parameters<typeof auditEvent>[1]) => Promise<void>;
}

/** Pass `now` when the change was prepared before the transaction, so it keeps that same clock reading. */
export function auditedChange<T>(
  deps: Pick<Deps, 'db' | 'clock'>,
  ctx: Pick<RequestContext, 'correlationId'> & { now?: Date },
  change: (tx: AuditedChange) => Promise<T>,
): Promise<T> {
  const now = ctx.now ?? deps.clock();
  return deps.db.transaction().execute((trx) =>
    change({
      trx,
      now,
      audit: (activity, input) => insertAuditEvent(trx, auditEvent(activity, input), now, ctx.correlationId),
    }),
  );
}
