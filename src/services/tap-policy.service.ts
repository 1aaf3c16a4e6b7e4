import type { Actor } from '../core/audit/audit.ts';
import { PasslessError } from '../core/errors.ts';
import { ALL_USERS, applyTapPolicyPatch, DEFAULT_TAP_POLICY, type TapPolicy } from '../core/methods/tap/tap-policy.ts';
import type { Db } from '../storage/database.ts';
import { getGroup } from '../storage/repositories/groups.repository.ts';
import { ensureSetting, getSetting, putSetting } from '../storage/repositories/settings.repository.ts';
import { getUserById } from '../storage/repositories/users.repository.ts';
import { auditedChange } from './audited-change.ts';
import type { Deps, RequestContext } from './deps.ts';

const KEY = 'authenticationMethodsPolicy.TemporaryAccessPass';

export async function getTapPolicy(db: Db, now: Date): Promise<TapPolicy> {
  // Read first: the write that seeds the default happens once, not on every sign-in.
  const stored =
    (await getSetting<TapPolicy>(db, KEY)) ?? (await ensureSetting<TapPolicy>(db, KEY, DEFAULT_TAP_POLICY, now));
  // Fields added in later versions take their defaults.
  return { ...DEFAULT_TAP_POLICY, ...stored };
}

export async function updateTapPolicy(
  deps: Deps,
  ctx: RequestContext,
  actor: Actor,
  patch: Record<string, unknown>,
): Promise<TapPolicy> {
  return auditedChange(deps, ctx, async ({ trx, now, audit }) => {
    const current = await getTapPolicy(trx, now);
    const next = applyTapPolicyPatch(current, patch);
    await assertTargetsExist(trx, next);
    await putSetting(trx, KEY, next, now);
    const modifiedProperties = Object.keys(patch)
      .filter((field) => field in next)
      .map((field) => ({
        displayName: field,
        oldValue: JSON.stringify(current[field as keyof TapPolicy]),
        newValue: JSON.stringify(next[field as keyof TapPolicy]),
      }));
    await audit('updateTapPolicy', {
      initiatedBy: actor,
      targets: [
        { id: 'TemporaryAccessPass', displayName: 'Temporary Access Pass', type: 'Policy', modifiedProperties },
      ],
    });
    return next;
  });
}

/** A target naming a group or user that does not exist would silently match nobody: refuse it instead. */
async function assertTargetsExist(db: Db, policy: TapPolicy): Promise<void> {
  for (const [field, targets] of [
    ['includeTargets', policy.includeTargets],
    ['excludeTargets', policy.excludeTargets],
  ] as const) {
    for (const target of targets) {
      if (target.id === ALL_USERS) continue;
      const exists = target.targetType === 'group' ? await getGroup(db, target.id) : await getUserById(db, target.id);
      if (!exists) {
        throw new PasslessError('badRequest', {
          detail: `${field} names ${target.targetType} ${target.id}, which does not exist.`,
        });
      }
    }
  }
}
