// Verifies a passkey assertion for a flow: the shared first half of passkey sign-in and of re-authentication.
import { randomUUID } from 'node:crypto';
import type { AuthenticationResponseJSON } from '@simplewebauthn/server';
import { verifyAuthenticationResponse } from '@simplewebauthn/server';
import { PasslessError } from '../core/errors.ts';
import { type SignInFlow, sanitizeReturnTo } from '../core/flows/sign-in.flow.ts';
import {
  completePasskeySignIn,
  consumeChallengeAndLoadCredential,
} from '../storage/repositories/passkey-sign-in.repository.ts';
import type { NewSession } from '../storage/repositories/sessions.repository.ts';
import type { Deps, RequestContext } from './deps.ts';
import { logSignIn } from './sign-in-log.ts';

export function challengeOf(credential: { response?: { clientDataJSON?: unknown } }): string | null {
  try {
    const json = Buffer.from(String(credential.response?.clientDataJSON ?? ''), 'base64url').toString('utf8');
    const challenge = (JSON.parse(json) as { challenge?: unknown }).challenge;
    return typeof challenge === 'string' && challenge.length <= 256 ? challenge : null;
  } catch {
    return null;
  }
}

/** The user handle we put in registration options: the account id's 16 bytes. */
export function userHandleOf(userId: string): string {
  return Buffer.from(userId.replace(/-/g, ''), 'hex').toString('base64url');
}

export async function verifyPasskeyAssertion(
  deps: Deps,
  ctx: RequestContext,
  input: { flowId: string; credential: AuthenticationResponseJSON },
) {
  const now = deps.clock();
  const challenge = challengeOf(input.credential);
  if (!challenge) throw new PasslessError('passkeyVerificationFailed');
  const consumed = await consumeChallengeAndLoadCredential(deps.db, {
    flowId: input.flowId,
    challenge,
    credentialId: input.credential.id,
    now,
  });
  // Guard: the challenge must be one this flow issued and not yet used (single use, before expiry).
  if (!consumed.flow) {
    // Logged against the credential's owner when known: a replayed assertion is worth seeing.
    const owner = consumed.credential && consumed.user ? consumed.user : null;
    await logSignIn(deps.db, ctx, { outcome: 'flowExpired', method: 'Passkey', user: owner, identifier: null, now });
    throw new PasslessError('flowExpired');
  }
  const flowIdentifier = (consumed.flow.internal.identifier as string | undefined) ?? null;
  const { credential, user } = consumed;
  const fail = async (outcome: 'passkeyNotRecognized' | 'passkeyVerificationFailed', cause?: unknown) => {
    await logSignIn(deps.db, ctx, {
      outcome,
      method: 'Passkey',
      user: user && credential ? user : null,
      identifier: flowIdentifier,
      now,
    });
    return new PasslessError(outcome, { cause });
  };
  // Guard: unknown credential or disabled account (a disabled account cannot sign in by any method).
  if (!credential || !user?.accountEnabled) throw await fail('passkeyNotRecognized');
  // Guard: the authenticator's user handle must name the credential's owner (WebAuthn §7.2 step 6).
  if (input.credential.response.userHandle && input.credential.response.userHandle !== userHandleOf(user.id)) {
    throw await fail('passkeyNotRecognized');
  }
  let info: Awaited<ReturnType<typeof verifyAuthenticationResponse>>['authenticationInfo'];
  try {
    const result = await verifyAuthenticationResponse({
      response: input.credential,
      expectedChallenge: challenge,
      expectedOrigin: deps.config.origin,
      expectedRPID: deps.config.rpId,
      credential: {
        id: credential.credentialId,
        publicKey: Buffer.from(credential.publicKey, 'base64url'),
        counter: credential.signCount,
        transports: credential.transports as never,
      },
      requireUserVerification: true,
    });
    if (!result.verified) throw new Error('not verified');
    info = result.authenticationInfo;
  } catch (error) {
    // Includes a sign counter that went backwards: treated as a possible cloned authenticator and refused.
    throw await fail('passkeyVerificationFailed', error);
  }
  // WebAuthn L3 §7.2: backup eligibility is fixed at registration; a change means a different authenticator.
  if ((info.credentialDeviceType === 'multiDevice') !== credential.backupEligible) {
    throw await fail('passkeyVerificationFailed', new Error('backup eligibility changed'));
  }
  const method = credential.backupEligible ? 'Passkey (synced)' : 'Passkey (device-bound)';
  const flow: SignInFlow = {
    id: consumed.flow.id,
    state: 'awaitingPasskey',
    expiresAt: consumed.flow.expiresAt,
    identifier: flowIdentifier,
    userId: consumed.flow.userId,
    challenge: null,
    returnTo: sanitizeReturnTo(consumed.flow.internal.returnTo),
  };
  return {
    flow,
    user,
    // RFC 8176: hwk for a device-bound key, swk for a synced (exportable) one; user verification happened.
    amr: [credential.backupEligible ? 'swk' : 'hwk', 'user'],
    complete: (done: {
      expectedFlowState: string;
      nextFlowState: string;
      session: NewSession;
      previousSessionTokenHash: string | undefined;
    }) =>
      completePasskeySignIn(deps.db, {
        credentialRowId: credential.id,
        expectedSignCount: credential.signCount,
        newSignCount: info.newCounter,
        backedUp: info.credentialBackedUp,
        flowId: flow.id,
        expectedFlowState: done.expectedFlowState,
        nextFlowState: done.nextFlowState,
        session: done.session,
        previousSessionTokenHash: done.previousSessionTokenHash ?? null,
        signIn: {
          eventId: randomUUID(),
          userPrincipalName: user.userPrincipalName,
          displayName: user.displayName,
          method,
          correlationId: ctx.correlationId,
        },
        now,
      }),
  };
}
