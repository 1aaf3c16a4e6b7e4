// The first Global Administrator, and the break-glass path from the server host: an account with the
// Global Administrator role and a one-time pass valid 60 minutes. Audited like any other change.
import { randomBytes, randomUUID } from 'node:crypto';
import { systemActor, userTarget } from '../core/audit/audit.ts';
import { ROLES } from '../core/directory/roles.ts';
import { validateUpn } from '../core/directory/users.ts';
import { createTapVerifier } from '../core/methods/tap/tap-verifier.ts';
import { generateTapCode } from '../core/methods/tap/temporary-access-pass.ts';
import { addRoleMember } from '../storage/repositories/roles.repository.ts';
import { deleteSessionsOfTap } from '../storage/repositories/sessions.repository.ts';
import { replaceTap } from '../storage/repositories/temporary-access-passes.repository.ts';
import * as users from '../storage/repositories/users.repository.ts';
import { auditedChange } from './audited-change.ts';
import type { Deps } from './deps.ts';
import { getTapPolicy } from './tap-policy.service.ts';

export interface BootstrapResult {
  userPrincipalName: string;
  temporaryAccessPass: string;
  startDateTime: string;
  lifetimeInMinutes: number;
  signInUrl: string;
}

const BOOTSTRAP_LIFETIME_MINUTES = 60;

export async function bootstrapAdmin(
  deps: Deps,
  input: { userPrincipalName: string; onlyIfEmpty: boolean; source: string },
): Promise<BootstrapResult | null> {
  const upn = validateUpn(input.userPrincipalName);
  const now = deps.clock();
  const policy = await getTapPolicy(deps.db, now);
  const code = generateTapCode(Math.max(policy.defaultLength, 12), (n) => randomBytes(n));
  const verifier = await createTapVerifier(code);
  // Not a request: the change gets a correlation id of its own.
  return auditedChange(deps, { correlationId: randomUUID(), now }, async ({ trx, audit }) => {
    // Guard: on automatic first start, only an empty directory gets a bootstrap admin; the unique UPN
    // makes two instances starting at once create it only once.
    if (input.onlyIfEmpty && (await users.countUsers(trx)) > 0) return null;
    let user = await users.getUserByUpn(trx, upn);
    if (!user) {
      user = await users.createUser(trx, {
        id: randomUUID(),
        userPrincipalName: upn,
        displayName: 'Administrator',
        mailNickname: upn.split('@')[0]!,
        mail: null,
        accountEnabled: true,
        employeeHireDate: null,
        createdAt: now,
      });
      if (!user) return null;
    } else if (!user.accountEnabled) {
      user = (await users.updateUser(trx, user.id, { accountEnabled: true }, now))!;
    }
    await addRoleMember(trx, ROLES.globalAdministrator.id, user.id, now);
    const tapId = randomUUID();
    const replaced = await replaceTap(trx, {
      id: tapId,
      userId: user.id,
      verifier,
      createdAt: now,
      startAt: now,
      lifetimeMinutes: BOOTSTRAP_LIFETIME_MINUTES,
      isUsableOnce: true,
      usedAt: null,
    });
    if (replaced) await deleteSessionsOfTap(trx, replaced);
    await audit('bootstrapAdmin', {
      initiatedBy: systemActor(),
      targets: [userTarget(user)],
      details: { source: input.source },
    });
    return {
      userPrincipalName: user.userPrincipalName,
      temporaryAccessPass: code,
      startDateTime: now.toISOString(),
      lifetimeInMinutes: BOOTSTRAP_LIFETIME_MINUTES,
      signInUrl: `${deps.config.origin}/signin`,
    };
  });
}
