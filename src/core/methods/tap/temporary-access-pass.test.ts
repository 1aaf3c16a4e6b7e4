import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { SEED_000_TAP_CONFIG } from '../../../../test/kit/fixtures.ts';
import { PasslessError } from '../../errors.ts';
import { applyTapPolicyPatch, DEFAULT_TAP_POLICY, isTargetedByTapPolicy, type TapPolicy } from './tap-policy.ts';
import { createTapVerifier, verifyTapCode } from './tap-verifier.ts';
import {
  evaluateTapUsability,
  generateTapCode,
  resolveTapTerms,
  TAP_ALPHABET,
  type TemporaryAccessPass,
} from './temporary-access-pass.ts';

const now = new Date('2026-06-01T09:00:00Z');
const user = '11111111-1111-4111-8111-111111111111';
const group = '22222222-2222-4222-8222-222222222222';
const policy: TapPolicy = { ...DEFAULT_TAP_POLICY };

function tap(overrides: Partial<TemporaryAccessPass> = {}): TemporaryAccessPass {
  return {
    id: 't',
    userId: user,
    createdAt: now,
    startAt: now,
    lifetimeMinutes: 60,
    isUsableOnce: true,
    usedAt: null,
    ...overrides,
  };
}

function badRequestMessage(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof PasslessError);
    assert.equal(error.status, 400);
    return error.publicMessage;
  }
  assert.fail('expected a 400');
}

describe('issuing a Temporary Access Pass', () => {
  test('defaults come from the policy', () => {
    const terms = resolveTapTerms({ ...policy, defaultLifetimeInMinutes: 90, minimumLifetimeInMinutes: 60 }, {}, now);
    assert.deepEqual(terms, { startAt: now, lifetimeMinutes: 90, isUsableOnce: false });
  });
  test('a lifetime outside the policy bounds is refused, naming the allowed range', () => {
    assert.match(
      badRequestMessage(() => resolveTapTerms(policy, { lifetimeInMinutes: 500 }, now)),
      /between 60 and 480/,
    );
    assert.match(
      badRequestMessage(() => resolveTapTerms(policy, { lifetimeInMinutes: 59 }, now)),
      /between 60 and 480/,
    );
    assert.equal(resolveTapTerms(policy, { lifetimeInMinutes: 480 }, now).lifetimeMinutes, 480);
  });
  test('a policy that demands one-time passes refuses a multi-use pass', () => {
    const oneTime = { ...policy, isUsableOnce: true };
    assert.match(
      badRequestMessage(() => resolveTapTerms(oneTime, { isUsableOnce: false }, now)),
      /only one-time/,
    );
    assert.equal(resolveTapTerms(oneTime, {}, now).isUsableOnce, true);
  });
  test('a start in the future is kept, a start in the past becomes now, nonsense is refused', () => {
    assert.equal(
      resolveTapTerms(policy, { startDateTime: '2026-06-02T00:00:00Z' }, now).startAt.toISOString(),
      '2026-06-02T00:00:00.000Z',
    );
    assert.equal(resolveTapTerms(policy, { startDateTime: '2026-05-01T00:00:00Z' }, now).startAt, now);
    assert.match(
      badRequestMessage(() => resolveTapTerms(policy, { startDateTime: 'tomorrow' }, now)),
      /ISO 8601/,
    );
  });
});

describe('usability is computed from the pass, the policy and the clock', () => {
  const ctx = (p: TapPolicy = policy, at = now) => ({ policy: p, groupIds: [] as string[], now: at });
  test('a valid pass in scope is usable', () => {
    assert.deepEqual(evaluateTapUsability(tap(), ctx()), { isUsable: true, methodUsabilityReason: 'EnabledByPolicy' });
  });
  test('before its start it is NotYetValid, at its end Expired', () => {
    assert.equal(
      evaluateTapUsability(tap({ startAt: new Date(now.getTime() + 60_000) }), ctx()).methodUsabilityReason,
      'NotYetValid',
    );
    assert.equal(
      evaluateTapUsability(tap(), ctx(policy, new Date(now.getTime() + 60 * 60_000))).methodUsabilityReason,
      'Expired',
    );
  });
  test('a used one-time pass is OneTimeUsed; a used multi-use pass stays usable', () => {
    assert.equal(evaluateTapUsability(tap({ usedAt: now }), ctx()).methodUsabilityReason, 'OneTimeUsed');
    assert.equal(evaluateTapUsability(tap({ usedAt: now, isUsableOnce: false }), ctx()).isUsable, true);
  });
  test('a disabled policy, an excluded user, or a multi-use pass under a one-time policy is DisabledByPolicy', () => {
    assert.equal(
      evaluateTapUsability(tap(), ctx({ ...policy, state: 'disabled' })).methodUsabilityReason,
      'DisabledByPolicy',
    );
    const excluded = { ...policy, excludeTargets: [{ id: user, targetType: 'user' as const }] };
    assert.equal(evaluateTapUsability(tap(), ctx(excluded)).methodUsabilityReason, 'DisabledByPolicy');
    assert.equal(
      evaluateTapUsability(tap({ isUsableOnce: false }), ctx({ ...policy, isUsableOnce: true })).methodUsabilityReason,
      'DisabledByPolicy',
    );
  });
  test('group targeting: included through a group, exclusion wins', () => {
    const byGroup = { ...policy, includeTargets: [{ id: group, targetType: 'group' as const }] };
    assert.equal(isTargetedByTapPolicy(byGroup, user, [group]), true);
    assert.equal(isTargetedByTapPolicy(byGroup, user, []), false);
    assert.equal(
      isTargetedByTapPolicy({ ...byGroup, excludeTargets: [{ id: group, targetType: 'group' }] }, user, [group]),
      false,
    );
  });
});

describe('the TAP policy', () => {
  test("seed 000's $tapConfig body is accepted as it stands", () => {
    const next = applyTapPolicyPatch(DEFAULT_TAP_POLICY, SEED_000_TAP_CONFIG);
    assert.equal(next.defaultLifetimeInMinutes, 480);
    assert.equal(next.defaultLength, 12);
  });
  test('bounds are enforced with messages that say what to fix', () => {
    assert.match(
      badRequestMessage(() => applyTapPolicyPatch(policy, { defaultLength: 7 })),
      /between 8 and 48/,
    );
    assert.match(
      badRequestMessage(() => applyTapPolicyPatch(policy, { maximumLifetimeInMinutes: 43_201 })),
      /10 and 43200/,
    );
    assert.match(
      badRequestMessage(() => applyTapPolicyPatch(policy, { minimumLifetimeInMinutes: 500 })),
      /minimumLifetimeInMinutes/,
    );
    assert.match(
      badRequestMessage(() => applyTapPolicyPatch(policy, { state: 'on' })),
      /enabled/,
    );
    assert.match(
      badRequestMessage(() => applyTapPolicyPatch(policy, { lifetime: 5 })),
      /not a property/,
    );
    assert.match(
      badRequestMessage(() => applyTapPolicyPatch(policy, { includeTargets: [{ id: 'x', targetType: 'group' }] })),
      /all_users/,
    );
  });
});

describe('the code and its verifier', () => {
  test('codes have the requested length and only unambiguous characters', () => {
    for (const length of [8, 12, 48]) {
      const code = generateTapCode(length, (n) => randomBytes(n));
      assert.equal(code.length, length);
      assert.ok([...code].every((c) => TAP_ALPHABET.includes(c)));
    }
    assert.ok(!/[0O1lI5S2Z8Buv]/.test(TAP_ALPHABET));
  });
  test('codes are spread over the whole alphabet', () => {
    const seen = new Set(generateTapCode(4000, (n) => randomBytes(n)));
    assert.equal(seen.size, TAP_ALPHABET.length);
  });
  test('the verifier is salted scrypt: it verifies the code, rejects others, and never contains the code', async () => {
    const verifier = await createTapVerifier('AbCdEfGh');
    assert.match(verifier, /^scrypt\$16384\$8\$1\$/);
    assert.ok(!verifier.includes('AbCdEfGh'));
    assert.notEqual(verifier, await createTapVerifier('AbCdEfGh'));
    assert.equal(await verifyTapCode('AbCdEfGh', verifier), true);
    assert.equal(await verifyTapCode('abcdefgh', verifier), false);
    assert.equal(await verifyTapCode('AbCdEfGh', 'garbage'), false);
  });
});
