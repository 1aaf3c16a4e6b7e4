// The Temporary Access Pass method configuration: Entra's fields, defaults and bounds (graph-entra.md §2b),
// plus three Passless extensions. Passless ships it enabled for all users.
import { PasslessError } from '../../errors.ts';
import { isUuid } from '../../ids.ts';

export interface MethodTarget {
  id: string;
  targetType: 'user' | 'group';
  isRegistrationRequired?: boolean;
}

export interface ExcludeTarget {
  id: string;
  targetType: 'user' | 'group';
}

export interface TapPolicy {
  state: 'enabled' | 'disabled';
  defaultLifetimeInMinutes: number;
  minimumLifetimeInMinutes: number;
  maximumLifetimeInMinutes: number;
  defaultLength: number;
  isUsableOnce: boolean;
  includeTargets: MethodTarget[];
  excludeTargets: ExcludeTarget[];
  /** Passless: delete the pass once the person registers their first passkey. */
  retireOnPasskeyRegistration: boolean;
  /** Passless: minutes after a one-time pass sign-in in which passkey registration may be retried. */
  registrationWindowInMinutes: number;
  /**
   * Passless: whether a pass sign-in may also sign in to applications (as in Entra). Off by default: a pass
   * exists to set up a passkey. When on, tokens from such a sign-in never outlive the pass.
   */
  isUsableForApplications: boolean;
}

export const LIFETIME_BOUNDS = { min: 10, max: 43_200 } as const;
export const LENGTH_BOUNDS = { min: 8, max: 48 } as const;
export const REGISTRATION_WINDOW_BOUNDS = { min: 1, max: 60 } as const;
export const ALL_USERS = 'all_users';

export const DEFAULT_TAP_POLICY: TapPolicy = {
  state: 'enabled',
  defaultLifetimeInMinutes: 60,
  minimumLifetimeInMinutes: 60,
  maximumLifetimeInMinutes: 480,
  defaultLength: 8,
  isUsableOnce: false,
  includeTargets: [{ id: ALL_USERS, targetType: 'group', isRegistrationRequired: false }],
  excludeTargets: [],
  retireOnPasskeyRegistration: true,
  registrationWindowInMinutes: 10,
  isUsableForApplications: false,
};

const INTEGER_FIELDS = {
  defaultLifetimeInMinutes: LIFETIME_BOUNDS,
  minimumLifetimeInMinutes: LIFETIME_BOUNDS,
  maximumLifetimeInMinutes: LIFETIME_BOUNDS,
  defaultLength: LENGTH_BOUNDS,
  registrationWindowInMinutes: REGISTRATION_WINDOW_BOUNDS,
} as const;

function bad(message: string): never {
  throw new PasslessError('badRequest', { detail: message });
}

function parseTargets(value: unknown, field: string, allowRegistrationFlag: boolean): MethodTarget[] {
  if (!Array.isArray(value)) bad(`${field} must be an array of {"id","targetType"} objects.`);
  if (value.length > 100) bad(`${field} may hold at most 100 targets.`);
  return value.map((item, index) => {
    if (typeof item !== 'object' || item === null) bad(`${field}[${index}] must be an object.`);
    const { id, targetType, isRegistrationRequired } = item as Record<string, unknown>;
    if (targetType !== 'group' && targetType !== 'user')
      bad(`${field}[${index}].targetType must be "group" or "user".`);
    if (typeof id !== 'string' || !(id === ALL_USERS || isUuid(id))) {
      bad(`${field}[${index}].id must be "all_users" or a group or user id (a UUID).`);
    }
    const target: MethodTarget = { id: id.toLowerCase(), targetType };
    if (allowRegistrationFlag) target.isRegistrationRequired = isRegistrationRequired === true;
    return target;
  });
}

/**
 * Applies a PATCH body to the current policy. Unknown fields are refused (so a typo is not silently ignored),
 * except Graph's `@odata.type` and `id`, which must name this configuration.
 */
export function applyTapPolicyPatch(current: TapPolicy, patch: Record<string, unknown>): TapPolicy {
  const next: TapPolicy = structuredClone(current);
  for (const [field, value] of Object.entries(patch)) {
    if (field === '@odata.type') {
      if (value !== '#microsoft.graph.temporaryAccessPassAuthenticationMethodConfiguration') {
        bad('@odata.type must be "#microsoft.graph.temporaryAccessPassAuthenticationMethodConfiguration".');
      }
    } else if (field === 'id') {
      if (value !== 'TemporaryAccessPass') bad('id must be "TemporaryAccessPass".');
    } else if (field === 'state') {
      if (value !== 'enabled' && value !== 'disabled') bad('state must be "enabled" or "disabled".');
      next.state = value;
    } else if (field in INTEGER_FIELDS) {
      const bounds = INTEGER_FIELDS[field as keyof typeof INTEGER_FIELDS];
      if (!Number.isInteger(value) || (value as number) < bounds.min || (value as number) > bounds.max) {
        bad(`${field} must be a whole number between ${bounds.min} and ${bounds.max}.`);
      }
      next[field as keyof typeof INTEGER_FIELDS] = value as number;
    } else if (
      field === 'isUsableOnce' ||
      field === 'retireOnPasskeyRegistration' ||
      field === 'isUsableForApplications'
    ) {
      if (typeof value !== 'boolean') bad(`${field} must be true or false.`);
      next[field] = value;
    } else if (field === 'includeTargets') {
      next.includeTargets = parseTargets(value, field, true);
    } else if (field === 'excludeTargets') {
      next.excludeTargets = parseTargets(value, field, false).map(({ id, targetType }) => ({ id, targetType }));
    } else {
      bad(`${field} is not a property of the Temporary Access Pass policy.`);
    }
  }
  if (next.minimumLifetimeInMinutes > next.maximumLifetimeInMinutes) {
    bad('minimumLifetimeInMinutes must not be greater than maximumLifetimeInMinutes.');
  }
  if (
    next.defaultLifetimeInMinutes < next.minimumLifetimeInMinutes ||
    next.defaultLifetimeInMinutes > next.maximumLifetimeInMinutes
  ) {
    bad(
      `defaultLifetimeInMinutes must be between minimumLifetimeInMinutes (${next.minimumLifetimeInMinutes}) and maximumLifetimeInMinutes (${next.maximumLifetimeInMinutes}).`,
    );
  }
  return next;
}

/** Whether the policy lets this person sign in with a pass: exclusion wins over inclusion, as in Entra. */
export function isTargetedByTapPolicy(policy: TapPolicy, userId: string, groupIds: readonly string[]): boolean {
  const matches = (t: { id: string }) => t.id === ALL_USERS || t.id === userId || groupIds.includes(t.id);
  if (policy.excludeTargets.some(matches)) return false;
  return policy.includeTargets.some(matches);
}

/** The configuration as Graph returns it. */
export function renderTapPolicy(policy: TapPolicy): Record<string, unknown> {
  return {
    '@odata.type': '#microsoft.graph.temporaryAccessPassAuthenticationMethodConfiguration',
    id: 'TemporaryAccessPass',
    ...policy,
  };
}
