// Temporary Access Pass rules: issuing (checked against the policy), the code, and usability.
import { PasslessError } from '../../errors.ts';
import { isTargetedByTapPolicy, type TapPolicy } from './tap-policy.ts';

/** No look-alikes (0/O/o, 1/l/I, 5/S, 2/Z, 8/B, u/v): the pass is read aloud and typed from paper. */
export const TAP_ALPHABET = 'ACDEFGHJKLMNPQRTUWXYabcdefghijkmnpqrstwxyz34679';

export interface TemporaryAccessPass {
  id: string;
  userId: string;
  createdAt: Date;
  startAt: Date;
  lifetimeMinutes: number;
  isUsableOnce: boolean;
  usedAt: Date | null;
}

export type TapUsabilityReason = 'EnabledByPolicy' | 'DisabledByPolicy' | 'Expired' | 'NotYetValid' | 'OneTimeUsed';

export interface TapIssueRequest {
  startDateTime?: string;
  lifetimeInMinutes?: number;
  isUsableOnce?: boolean;
}

export interface TapIssueTerms {
  startAt: Date;
  lifetimeMinutes: number;
  isUsableOnce: boolean;
}

/** Resolves the requested terms against the policy (graph-entra.md §1: defaults from the policy, bounds enforced). */
export function resolveTapTerms(policy: TapPolicy, request: TapIssueRequest, now: Date): TapIssueTerms {
  const lifetimeMinutes = request.lifetimeInMinutes ?? policy.defaultLifetimeInMinutes;
  // Entra's message names the policy's range (PR microsoft-graph-docs#12187); we keep its wording recognisable.
  if (
    !Number.isInteger(lifetimeMinutes) ||
    lifetimeMinutes < policy.minimumLifetimeInMinutes ||
    lifetimeMinutes > policy.maximumLifetimeInMinutes
  ) {
    throw new PasslessError('badRequest', {
      detail: `Invalid LifetimeInMinutes specified. The valid range is between ${policy.minimumLifetimeInMinutes} and ${policy.maximumLifetimeInMinutes} minutes (set by the Temporary Access Pass policy).`,
    });
  }
  // A policy that demands one-time passes cannot be bypassed by asking for a multi-use one.
  const isUsableOnce = request.isUsableOnce ?? policy.isUsableOnce;
  if (policy.isUsableOnce && !isUsableOnce) {
    throw new PasslessError('badRequest', {
      detail: 'The Temporary Access Pass policy allows only one-time passes: set isUsableOnce to true or leave it out.',
    });
  }
  let startAt = now;
  if (request.startDateTime !== undefined) {
    const parsed = new Date(request.startDateTime);
    if (Number.isNaN(parsed.getTime()) || !/^\d{4}-\d{2}-\d{2}T/.test(request.startDateTime)) {
      throw new PasslessError('badRequest', {
        detail: 'startDateTime must be an ISO 8601 date and time, e.g. 2026-06-05T08:00:00Z.',
      });
    }
    // A start in the past would silently shorten the pass; treat it as "now" (a small clock skew is common).
    startAt = parsed.getTime() < now.getTime() ? now : parsed;
    if (startAt.getTime() - now.getTime() > 30 * 24 * 60 * 60_000) {
      throw new PasslessError('badRequest', { detail: 'startDateTime may be at most 30 days in the future.' });
    }
  }
  return { startAt, lifetimeMinutes, isUsableOnce };
}

export function tapEndsAt(tap: Pick<TemporaryAccessPass, 'startAt' | 'lifetimeMinutes'>): Date {
  return new Date(tap.startAt.getTime() + tap.lifetimeMinutes * 60_000);
}

/** Computed on every read, never stored, so it is never stale. Order: policy, then use, then time. */
export function evaluateTapUsability(
  tap: TemporaryAccessPass,
  context: { policy: TapPolicy; groupIds: readonly string[]; now: Date },
): { isUsable: boolean; methodUsabilityReason: TapUsabilityReason } {
  const { policy, groupIds, now } = context;
  const reason = ((): TapUsabilityReason => {
    if (policy.state !== 'enabled' || !isTargetedByTapPolicy(policy, tap.userId, groupIds)) return 'DisabledByPolicy';
    // A multi-use pass is refused while the policy requires one-time passes (Entra: "blocked due to User Credential Policy").
    if (policy.isUsableOnce && !tap.isUsableOnce) return 'DisabledByPolicy';
    if (tap.isUsableOnce && tap.usedAt) return 'OneTimeUsed';
    if (now.getTime() >= tapEndsAt(tap).getTime()) return 'Expired';
    if (now.getTime() < tap.startAt.getTime()) return 'NotYetValid';
    return 'EnabledByPolicy';
  })();
  return { isUsable: reason === 'EnabledByPolicy', methodUsabilityReason: reason };
}

/** Uniform choice from the alphabet by rejection sampling over CSPRNG bytes (no modulo bias). */
export function generateTapCode(length: number, randomBytes: (size: number) => Uint8Array): string {
  const limit = 256 - (256 % TAP_ALPHABET.length);
  let code = '';
  while (code.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < limit && code.length < length) code += TAP_ALPHABET[byte % TAP_ALPHABET.length];
    }
  }
  return code;
}

/** What the person typed, tidied: spaces and dashes from copy-paste or grouping are not part of the code. */
export function normalizeTapInput(input: string): string {
  return input.replace(/[\s-]/g, '');
}
