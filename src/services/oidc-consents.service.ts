// Consents people give applications: remembered so the consent page is shown once, listed and revocable in
// /security-info. Revoking also revokes every grant, code and token of that person for that application.
import type { Actor } from '../core/audit/audit.ts';
import { PasslessError } from '../core/errors.ts';
import {
  deleteConsent,
  listConsentsOfUser,
  putConsent,
  revokeGrantsOfUserForClient,
} from '../storage/repositories/oidc-consents.repository.ts';
import { auditedChange } from './audited-change.ts';
import type { Deps, RequestContext } from './deps.ts';

export function listConsents(deps: Deps, userId: string) {
  return listConsentsOfUser(deps.db, userId);
}

export async function rememberConsent(
  deps: Deps,
  ctx: RequestContext,
  input: { userId: string; actor: Actor; application: { appId: string; displayName: string }; scopes: string[] },
): Promise<void> {
  await auditedChange(deps, ctx, async ({ trx, now, audit }) => {
    await putConsent(trx, input.userId, input.application.appId, input.scopes, now);
    await audit('consentToApplication', {
      initiatedBy: input.actor,
      targets: [{ id: input.application.appId, displayName: input.application.displayName, type: 'ServicePrincipal' }],
      details: { ConsentAction_Permissions: input.scopes.join(' ') },
    });
  });
}

export async function revokeConsent(
  deps: Deps,
  ctx: RequestContext,
  input: { userId: string; actor: Actor; appId: string },
): Promise<void> {
  await auditedChange(deps, ctx, async ({ trx, audit }) => {
    const consents = await listConsentsOfUser(trx, input.userId);
    const consent = consents.find((c) => c.appId === input.appId);
    if (!consent || !(await deleteConsent(trx, input.userId, input.appId))) {
      throw new PasslessError('itemNotFound', {
        detail: 'You have not allowed this application, or already revoked it.',
      });
    }
    const grants = await revokeGrantsOfUserForClient(trx, input.userId, input.appId);
    await audit('removeDelegatedPermissionGrant', {
      initiatedBy: input.actor,
      targets: [{ id: input.appId, displayName: consent.displayName, type: 'ServicePrincipal' }],
      details: { RevokedGrants: String(grants) },
    });
  });
}
