import { SIGN_IN_CODES, type SignInOutcome } from '../core/audit/sign-in-codes.ts';
import type { Db } from '../storage/database.ts';
import { insertSignInEvent } from '../storage/repositories/logs.repository.ts';
import type { RequestContext } from './deps.ts';

export type SignInMethod = 'Temporary Access Pass' | 'Passkey (device-bound)' | 'Passkey (synced)' | 'Passkey';

/** Every attempt, success or failure, goes to the sign-in log (ASVS 16.3.1). */
export async function logSignIn(
  db: Db,
  ctx: RequestContext,
  entry: {
    outcome: SignInOutcome;
    method: SignInMethod;
    user: { id: string; userPrincipalName: string; displayName: string } | null;
    identifier: string | null;
    now: Date;
  },
): Promise<void> {
  const code = SIGN_IN_CODES[entry.outcome];
  await insertSignInEvent(
    db,
    {
      userId: entry.user?.id ?? null,
      userPrincipalName: entry.user?.userPrincipalName ?? (entry.identifier ?? '').slice(0, 256),
      userDisplayName: entry.user?.displayName ?? null,
      ipAddress: ctx.ipAddress,
      userAgent: ctx.userAgent,
      clientAppUsed: 'Browser',
      authenticationMethod: entry.method,
      errorCode: code.errorCode,
      failureReason: code.failureReason,
    },
    entry.now,
    ctx.correlationId,
  );
}
