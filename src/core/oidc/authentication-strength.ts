// Authentication strengths as OpenID Connect `acr` values: what a Passless session proves, what an application
// may demand with `acr_values` or an essential `acr` claim, and what the ID token reports. Pure.
//
// The ladder: a Temporary Access Pass counts as multifactor (Entra's built-in "Multifactor authentication"
// strength lists it; such a session reaches applications only when the pass policy allows it); any passkey with
// user verification is phishing-resistant; a passkey that cannot leave its device (not backup-eligible, `hwk`) is
// phishing-resistant and device-bound.

export const ACR = {
  mfa: 'urn:passless:acr:mfa',
  phishingResistant: 'urn:passless:acr:phishing-resistant',
  deviceBound: 'urn:passless:acr:phishing-resistant-device-bound',
} as const;

export type AcrValue = (typeof ACR)[keyof typeof ACR];

/** Weakest first: meeting a later value meets every earlier one. */
export const ACR_VALUES: readonly AcrValue[] = [ACR.mfa, ACR.phishingResistant, ACR.deviceBound];

const LEVEL: Record<AcrValue, number> = { [ACR.mfa]: 0, [ACR.phishingResistant]: 1, [ACR.deviceBound]: 2 };

/**
 * The level a session's RFC 8176 `amr` proves: 0 for a pass, 1 for a synced passkey, 2 for a device-bound one,
 * -1 for nothing Passless recognises.
 */
export function strengthOf(amr: readonly string[]): number {
  if (amr.includes('user') && amr.includes('hwk')) return 2;
  if (amr.includes('user') && amr.includes('swk')) return 1;
  if (amr.includes('otp')) return 0;
  return -1;
}

export function isAcrValue(value: string): value is AcrValue {
  return (ACR_VALUES as readonly string[]).includes(value);
}

/**
 * The strengths an authorization request demands: `acr_values` (space-separated, any one of them will do) and
 * the `claims` parameter's `id_token.acr` / `userinfo.acr` (`value` or `values`). Unknown values are ignored:
 * Passless cannot meet them, and OpenID Connect lets a provider answer with the acr it did meet.
 */
export function requestedAcrValues(params: { acr_values?: unknown; claims?: unknown }): AcrValue[] {
  const out = new Set<AcrValue>();
  if (typeof params.acr_values === 'string') {
    for (const value of params.acr_values.split(' ')) if (isAcrValue(value)) out.add(value);
  }
  let claims: unknown = params.claims;
  if (typeof claims === 'string') {
    try {
      claims = JSON.parse(claims);
    } catch {
      claims = undefined;
    }
  }
  for (const target of ['id_token', 'userinfo'] as const) {
    const acr = (claims as Record<string, Record<string, { value?: unknown; values?: unknown }>> | undefined)?.[target]
      ?.acr;
    if (!acr || typeof acr !== 'object') continue;
    const values = Array.isArray(acr.values) ? acr.values : acr.value !== undefined ? [acr.value] : [];
    for (const value of values) if (typeof value === 'string' && isAcrValue(value)) out.add(value);
  }
  return [...out];
}

/**
 * Whether a session with this `amr` meets the request, and the `acr` to report: the strongest requested value the
 * session meets, or, when nothing was requested, the strongest value it meets at all.
 */
export function evaluateStrength(
  amr: readonly string[],
  requested: readonly AcrValue[],
): { met: true; acr: AcrValue } | { met: false; needed: AcrValue } {
  const level = strengthOf(amr);
  const candidates = requested.length > 0 ? requested : ACR_VALUES;
  const met = candidates.filter((value) => LEVEL[value] <= level).sort((a, b) => LEVEL[b] - LEVEL[a]);
  if (met[0]) return { met: true, acr: met[0] };
  const needed = [...candidates].sort((a, b) => LEVEL[a] - LEVEL[b])[0]!;
  return { met: false, needed };
}

export function describeAcr(value: AcrValue): string {
  if (value === ACR.deviceBound) return 'a passkey that stays on one device, such as a security key';
  if (value === ACR.phishingResistant) return 'a passkey';
  return 'a passkey or a Temporary Access Pass';
}
