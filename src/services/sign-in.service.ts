// The sign-in flow: identifier first, then a Temporary Access Pass (bootstrap session) or a passkey (full session).
import { randomUUID } from 'node:crypto';
import type { AuthenticationResponseJSON, PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server';
import { generateAuthenticationOptions } from '@simplewebauthn/server';
import { upnKey } from '../core/directory/users.ts';
import { PasslessError } from '../core/errors.ts';
import { restingState, type SignInFlow, sanitizeReturnTo, transitionSignIn } from '../core/flows/sign-in.flow.ts';
import { verifyAgainstDecoy, verifyTapCode } from '../core/methods/tap/tap-verifier.ts';
import { evaluateTapUsability, normalizeTapInput, tapEndsAt } from '../core/methods/tap/temporary-access-pass.ts';
import { delaySchedule, THROTTLE_MEMORY_MINUTES, THROTTLES, type ThrottleRule } from '../core/policy/throttle.ts';
import type { Db } from '../storage/database.ts';
import { advanceFlow, createFlow, getFlow, type StoredFlow } from '../storage/repositories/flows.repository.ts';
import { listGroupIdsOfUser } from '../storage/repositories/groups.repository.ts';
import { createSession, deleteSessionByTokenHash } from '../storage/repositories/sessions.repository.ts';
import { consumeOneTimeTap, getTapOfUser } from '../storage/repositories/temporary-access-passes.repository.ts';
import { claimAttempt, clearThrottle, forgiveAttempt } from '../storage/repositories/throttles.repository.ts';
import { getUserById, getUserByUpn } from '../storage/repositories/users.repository.ts';
import type { Deps, RequestContext } from './deps.ts';
import { verifyPasskeyAssertion } from './passkey-assertion.ts';
import { generateSessionToken, hashSessionToken } from './session-tokens.ts';
import { logSignIn } from './sign-in-log.ts';
import { getTapPolicy } from './tap-policy.service.ts';

export interface SignInResult {
  sessionToken: string;
  redirectTo: string;
  expiresAt: Date;
}

function toSignInFlow(stored: StoredFlow): SignInFlow {
  return {
    id: stored.id,
    state: stored.state as SignInFlow['state'],
    expiresAt: stored.expiresAt,
    identifier: (stored.internal.identifier as string | undefined) ?? null,
    userId: stored.userId,
    challenge: stored.challenge,
    returnTo: sanitizeReturnTo(stored.internal.returnTo),
  };
}

async function loadSignInFlow(db: Db, flowId: string): Promise<SignInFlow> {
  const stored = await getFlow(db, flowId, 'signIn');
  if (!stored) throw new PasslessError('flowExpired');
  return toSignInFlow(stored);
}

/** Step 1. The answer is the same whether or not the account exists; only the server-side flow knows. */
export async function identify(
  deps: Deps,
  input: { identifier: string; returnTo?: string },
): Promise<{ flowId: string; identifier: string; methods: string[]; expiresAt: Date }> {
  const now = deps.clock();
  const identifier = input.identifier.trim();
  const user = await getUserByUpn(deps.db, identifier);
  const flowId = randomUUID();
  const expiresAt = new Date(now.getTime() + deps.config.signInFlowMinutes * 60_000);
  await createFlow(
    deps.db,
    {
      id: flowId,
      kind: 'signIn',
      state: 'identified',
      expiresAt,
      userId: user?.id ?? null,
      sessionId: null,
      challenge: null,
      internal: { identifier, returnTo: sanitizeReturnTo(input.returnTo) },
    },
    now,
  );
  return { flowId, identifier, methods: ['passkey', 'temporaryAccessPass'], expiresAt };
}

/** Passkey options: for a named flow (identifier first) or a new username-less flow. No allowCredentials is sent,
 * so the options never reveal whether an account exists or which credentials it has. */
export async function startPasskeySignIn(
  deps: Deps,
  input: { flowId?: string; returnTo?: string },
): Promise<{ flowId: string; options: PublicKeyCredentialRequestOptionsJSON }> {
  const now = deps.clock();
  const options = await generateAuthenticationOptions({
    rpID: deps.config.rpId,
    userVerification: 'required',
    timeout: 120_000,
  });
  if (!input.flowId) {
    const flowId = randomUUID();
    await createFlow(
      deps.db,
      {
        id: flowId,
        kind: 'signIn',
        state: 'awaitingPasskey',
        expiresAt: new Date(now.getTime() + deps.config.signInFlowMinutes * 60_000),
        userId: null,
        sessionId: null,
        challenge: options.challenge,
        internal: { returnTo: sanitizeReturnTo(input.returnTo) },
      },
      now,
    );
    return { flowId, options };
  }
  const flow = await loadSignInFlow(deps.db, input.flowId);
  const next = transitionSignIn(flow, { type: 'issuePasskeyChallenge', challenge: options.challenge }, now);
  const moved = await advanceFlow(deps.db, {
    id: flow.id,
    expectedState: flow.state,
    state: next.state,
    challenge: next.challenge,
  });
  if (!moved) throw new PasslessError('flowExpired');
  return { flowId: flow.id, options };
}

export async function finishPasskeySignIn(
  deps: Deps,
  ctx: RequestContext,
  input: { flowId: string; credential: AuthenticationResponseJSON; previousSessionTokenHash?: string },
): Promise<SignInResult> {
  const now = deps.clock();
  const verified = await verifyPasskeyAssertion(deps, ctx, { flowId: input.flowId, credential: input.credential });
  const flow = verified.flow;
  let next: SignInFlow;
  try {
    next = transitionSignIn(
      { ...flow, state: 'awaitingPasskey' },
      { type: 'passkeyVerified', credentialUserId: verified.user.id },
      now,
    );
  } catch (error) {
    // A genuine passkey of someone other than the person named (identifier-first) is a failed attempt
    // like any other, so it goes to the sign-in log, under the name that was typed.
    if (error instanceof PasslessError && error.code === 'passkeyNotRecognized') {
      await logSignIn(deps.db, ctx, {
        outcome: 'passkeyNotRecognized',
        method: 'Passkey',
        user: null,
        identifier: flow.identifier,
        now,
      });
    }
    throw error;
  }
  const sessionToken = generateSessionToken();
  const expiresAt = new Date(now.getTime() + deps.config.sessionLifetimeMinutes * 60_000);
  const completed = await verified.complete({
    expectedFlowState: restingState(flow),
    nextFlowState: next.state,
    session: {
      id: randomUUID(),
      tokenHash: hashSessionToken(sessionToken),
      userId: verified.user.id,
      kind: 'full',
      amr: verified.amr,
      tapId: null,
      authenticatedAt: now,
      expiresAt,
      ipAddress: ctx.ipAddress,
      userAgent: ctx.userAgent.slice(0, 512),
    },
    previousSessionTokenHash: input.previousSessionTokenHash,
  });
  if (!completed) throw new PasslessError('flowExpired');
  return { sessionToken, redirectTo: flow.returnTo, expiresAt };
}

const TAP_ERRORS = {
  Expired: 'tapExpired',
  NotYetValid: 'tapNotYetValid',
  OneTimeUsed: 'tapAlreadyUsed',
  DisabledByPolicy: 'tapNotAllowed',
} as const;

/** A pass sign-in creates a bootstrap session: it may register security info and nothing else. */
export async function signInWithTap(
  deps: Deps,
  ctx: RequestContext,
  input: { flowId: string; temporaryAccessPass: string; previousSessionTokenHash?: string },
): Promise<SignInResult> {
  const now = deps.clock();
  const method = 'Temporary Access Pass' as const;
  const flow = await getFlow(deps.db, input.flowId, 'signIn').then((stored) => stored && toSignInFlow(stored));
  try {
    if (!flow) throw new PasslessError('flowExpired');
    transitionSignIn(flow, { type: 'tapRejected' }, now); // checks expiry and that an identifier was given
  } catch (error) {
    if (error instanceof PasslessError && error.code === 'flowExpired') {
      const identifier = flow?.identifier ?? null;
      await logSignIn(deps.db, ctx, { outcome: 'flowExpired', method, user: null, identifier, now });
    }
    throw error;
  }
  const identifier = flow.identifier!;
  const accountKey = `tap:account:${upnKey(identifier)}`;
  const addressKey = `tap:address:${ctx.ipAddress}`;

  // Guard: each attempt is counted before the pass is checked (see throttle.ts); a waiting key refuses it.
  const claim = (key: string, rule: ThrottleRule) => ({
    key,
    now,
    memoryMinutes: THROTTLE_MEMORY_MINUTES,
    schedule: delaySchedule(rule),
  });
  const wait = Math.max(
    await claimAttempt(deps.db, claim(accountKey, THROTTLES.account)),
    await claimAttempt(deps.db, claim(addressKey, THROTTLES.address)),
  );
  // An unknown account does the same queries and the same scrypt work as a known one (ASVS 5.0 6.3.8).
  const user = await getUserById(deps.db, flow.userId ?? randomUUID());
  if (wait > 0) {
    await logSignIn(deps.db, ctx, { outcome: 'tooManyAttempts', method, user, identifier, now });
    throw new PasslessError('tooManyAttempts', {
      detail: `Too many attempts. Wait ${formatWait(wait)} before trying again.`,
      retryAfterSeconds: wait,
    });
  }

  // Guard: wrong pass, unknown account, or no pass all look the same, and cost the same time.
  const tap = await getTapOfUser(deps.db, user?.id ?? randomUUID());
  const code = normalizeTapInput(input.temporaryAccessPass);
  const matches = tap ? await verifyTapCode(code, tap.verifier) : await verifyAgainstDecoy(code);
  if (!user || !tap || !matches) {
    await logSignIn(deps.db, ctx, { outcome: 'tapIncorrect', method, user, identifier, now });
    throw new PasslessError('tapIncorrect');
  }
  // The right pass is not a guess: NIST 800-63B-4 §3.2.2 disregards this account's earlier failures; the
  // address keeps its earlier failures (others behind it may be guessing) but not this attempt.
  await clearThrottle(deps.db, accountKey);
  await forgiveAttempt(deps.db, claim(addressKey, THROTTLES.address));

  // From here the caller holds the right pass, so telling them why it cannot be used reveals nothing new.
  if (!user.accountEnabled) {
    await logSignIn(deps.db, ctx, { outcome: 'accountDisabled', method, user, identifier, now });
    throw new PasslessError('tapNotAllowed', { detail: 'This account is disabled. Contact your administrator.' });
  }
  const policy = await getTapPolicy(deps.db, now);
  const groupIds = await listGroupIdsOfUser(deps.db, user.id);
  const usability = evaluateTapUsability(tap, { policy, groupIds, now });
  if (!usability.isUsable) {
    const code = TAP_ERRORS[usability.methodUsabilityReason as keyof typeof TAP_ERRORS];
    await logSignIn(deps.db, ctx, { outcome: code, method, user, identifier, now });
    if (code === 'tapNotYetValid') {
      throw new PasslessError(code, {
        detail: `This Temporary Access Pass becomes valid at ${tap.startAt.toISOString()}. Try again then.`,
        fields: { startDateTime: tap.startAt.toISOString() },
      });
    }
    throw new PasslessError(code);
  }

  const sessionToken = generateSessionToken();
  // The bootstrap session is the registration window (the policy's, 10 minutes by default), in which a failed
  // or cancelled ceremony can be retried; it never outlives the pass. A multi-use pass can start another one.
  const window = policy.registrationWindowInMinutes * 60_000;
  const expiresAt = new Date(Math.min(tapEndsAt(tap).getTime(), now.getTime() + window));
  try {
    await deps.db.transaction().execute(async (trx) => {
      if (tap.isUsableOnce && !(await consumeOneTimeTap(trx, tap.id, now))) {
        throw new PasslessError('tapAlreadyUsed');
      }
      const moved = await advanceFlow(trx, {
        id: flow.id,
        expectedState: flow.state,
        state: 'completed',
        challenge: null,
      });
      if (!moved) throw new PasslessError('flowExpired');
      if (input.previousSessionTokenHash) await deleteSessionByTokenHash(trx, input.previousSessionTokenHash);
      await createSession(trx, {
        id: randomUUID(),
        tokenHash: hashSessionToken(sessionToken),
        userId: user.id,
        kind: 'bootstrap',
        amr: ['otp'],
        tapId: tap.id,
        authenticatedAt: now,
        expiresAt,
        ipAddress: ctx.ipAddress,
        userAgent: ctx.userAgent.slice(0, 512),
      });
      await logSignIn(trx, ctx, { outcome: 'success', method, user, identifier, now });
    });
  } catch (error) {
    if (error instanceof PasslessError && error.code === 'tapAlreadyUsed') {
      await logSignIn(deps.db, ctx, { outcome: 'tapAlreadyUsed', method, user, identifier, now });
    }
    throw error;
  }
  return { sessionToken, redirectTo: '/security-info', expiresAt };
}

function formatWait(seconds: number): string {
  if (seconds < 90) return `${seconds} seconds`;
  return `${Math.ceil(seconds / 60)} minutes`;
}
