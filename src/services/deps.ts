// What every service needs, passed explicitly (never module globals) so time and randomness are testable.
import type { Kysely } from 'kysely';
import type { PasslessConfig } from '../core/config/config.ts';
import type { Database } from '../storage/database.ts';

export interface Deps {
  db: Kysely<Database>;
  config: PasslessConfig;
  clock: () => Date;
}

/** Who is asking and from where: for the audit and sign-in logs and for throttling. */
export interface RequestContext {
  ipAddress: string;
  userAgent: string;
  correlationId: string;
}
