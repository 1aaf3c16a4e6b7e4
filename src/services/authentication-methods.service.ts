// Authentication methods of a user: Temporary Access Passes and passkeys (fido2Methods), with Graph projections.
import { randomBytes, randomUUID } from 'node:crypto';
import { type Actor, userTarget } from '../core/audit/audit.ts';
import type { User } from '../core/directory/users.ts';
import { PasslessError } from '../core/errors.ts';
import { validatePasskeyName } from '../core/flows/passkey-registration.flow.ts';
import type { TapPolicy } from '../core/methods/tap/tap-policy.ts';
import { createTapVerifier } from '../core/methods/tap/tap-verifier.ts';
import {
  evaluateTapUsability,
  generateTapCode,
  resolveTapTerms,
  type TapIssueRequest,
  type TemporaryAccessPass,
} from '../core/methods/tap/temporary-access-pass.ts';
import type { Db } from '../storage/database.ts';
import { listGroupIdsOfUser } from '../storage/repositories/groups.repository.ts';
import {
  deletePasskey,
  getPasskeyOfUser,
  listPasskeysOfUser,
  type PasskeyCredential,
  renamePasskey,
} from '../storage/repositories/passkeys.repository.ts';
import { deleteSessionsOfTap } from '../storage/repositories/sessions.repository.ts';
import { deleteTap, getTapOfUser, replaceTap } from '../storage/repositories/temporary-access-passes.repository.ts';
import { auditedChange } from './audited-change.ts';
import type { Deps, RequestContext } from './deps.ts';
import { getTapPolicy } from './tap-policy.service.ts';

export function renderTap(
  tap: TemporaryAccessPass,
  context: { policy: TapPolicy; groupIds: readonly string[]; now: Date },
  code: string | null = null,
): Record<string, unknown> {
  return {
    '@odata.type': '#microsoft.graph.temporaryAccessPassAuthenticationMethod',
    id: tap.id,
    temporaryAccessPass: code,
    createdDateTime: tap.createdAt.toISOString(),
    startDateTime: tap.startAt.toISOString(),
    lifetimeInMinutes: tap.lifetimeMinutes,
    isUsableOnce: tap.isUsableOnce,
    ...evaluateTapUsability(tap, context),
  };
}

export function renderPasskey(passkey: PasskeyCredential): Record<string, unknown> {
  return {
    '@odata.type': '#microsoft.graph.fido2AuthenticationMethod',
    id: passkey.id,
    displayName: passkey.displayName,
    createdDateTime: passkey.createdAt.toISOString(),
    aaGuid: passkey.aaguid,
    model: null,
    attestationCertificates: [],
    attestationLevel: 'notAttested',
    // Passless extensions: when it was last used and whether it is a synced (backed-up) passkey.
    lastUsedDateTime: passkey.lastUsedAt ? passkey.lastUsedAt.toISOString() : null,
    isBackupEligible: passkey.backupEligible,
    isBackedUp: passkey.backedUp,
  };
}

export async function listTapsOfUser(db: Db, userId: string, now: Date): Promise<Record<string, unknown>[]> {
  const tap = await getTapOfUser(db, userId);
  if (!tap) return [];
  const [policy, groupIds] = await Promise.all([getTapPolicy(db, now), listGroupIdsOfUser(db, userId)]);
  return [renderTap(tap, { policy, groupIds, now })];
}

export async function listMethodsOfUser(db: Db, userId: string, now: Date): Promise<Record<string, unknown>[]> {
  const taps = await listTapsOfUser(db, userId, now);
  const passkeys = (await listPasskeysOfUser(db, userId)).map(renderPasskey);
  return [...taps, ...passkeys];
}

export async function issueTap(
  deps: Deps,
  ctx: RequestContext,
  actor: Actor,
  target: User,
  request: TapIssueRequest,
): Promise<Record<string, unknown>> {
  const now = deps.clock();
  const policy = await getTapPolicy(deps.db, now);
  const terms = resolveTapTerms(policy, request, now);
  const code = generateTapCode(policy.defaultLength, (n) => randomBytes(n));
  const tap = {
    id: randomUUID(),
    userId: target.id,
    verifier: await createTapVerifier(code),
    createdAt: now,
    startAt: terms.startAt,
    lifetimeMinutes: terms.lifetimeMinutes,
    isUsableOnce: terms.isUsableOnce,
    usedAt: null,
  };
  await auditedChange(deps, { ...ctx, now }, async ({ trx, audit }) => {
    const replaced = await replaceTap(trx, tap);
    // The replaced pass's bootstrap sessions end with it.
    if (replaced) await deleteSessionsOfTap(trx, replaced);
    await audit('adminRegisteredTap', {
      initiatedBy: actor,
      targets: [userTarget(target)],
      details: {
        startDateTime: tap.startAt.toISOString(),
        lifetimeInMinutes: String(tap.lifetimeMinutes),
        isUsableOnce: String(tap.isUsableOnce),
      },
    });
  });
  const groupIds = await listGroupIdsOfUser(deps.db, target.id);
  // The code leaves the server exactly once, here.
  return renderTap(tap, { policy, groupIds, now }, code);
}

export async function removeTap(
  deps: Deps,
  ctx: RequestContext,
  actor: Actor,
  target: User,
  tapId: string,
  by: 'admin' | 'user',
): Promise<void> {
  await auditedChange(deps, ctx, async ({ trx, audit }) => {
    if (!(await deleteTap(trx, target.id, tapId))) {
      throw new PasslessError('itemNotFound', {
        detail: 'No Temporary Access Pass with this id exists for this user.',
      });
    }
    // Deleting a pass ends the sessions it created.
    await deleteSessionsOfTap(trx, tapId);
    await audit(by === 'admin' ? 'adminDeletedTap' : 'userDeletedTap', {
      initiatedBy: actor,
      targets: [userTarget(target)],
    });
  });
}

export async function getPasskey(db: Db, userId: string, id: string): Promise<PasskeyCredential> {
  const passkey = await getPasskeyOfUser(db, userId, id);
  if (!passkey) throw new PasslessError('itemNotFound', { detail: 'No passkey with this id exists for this user.' });
  return passkey;
}

export async function removePasskey(
  deps: Deps,
  ctx: RequestContext,
  actor: Actor,
  target: User,
  id: string,
  by: 'admin' | 'user',
): Promise<void> {
  await auditedChange(deps, ctx, async ({ trx, audit }) => {
    const removed = await deletePasskey(trx, target.id, id);
    if (!removed) throw new PasslessError('itemNotFound', { detail: 'No passkey with this id exists for this user.' });
    await audit(by === 'admin' ? 'adminDeletedPasskey' : 'userDeletedPasskey', {
      initiatedBy: actor,
      targets: [userTarget(target)],
      details: { passkeyName: removed.displayName },
    });
  });
}

export async function updatePasskeyName(
  deps: Deps,
  ctx: RequestContext,
  actor: Actor,
  target: User,
  id: string,
  displayName: unknown,
): Promise<PasskeyCredential> {
  const name = validatePasskeyName(displayName);
  return auditedChange(deps, ctx, async ({ trx, audit }) => {
    const before = await getPasskey(trx, target.id, id);
    const renamed = await renamePasskey(trx, target.id, id, name);
    if (!renamed) throw new PasslessError('itemNotFound');
    await audit('userUpdatedPasskey', {
      initiatedBy: actor,
      targets: [
        {
          ...userTarget(target),
          modifiedProperties: [{ displayName: 'displayName', oldValue: before.displayName, newValue: name }],
        },
      ],
    });
    return renamed;
  });
}
