// Registering a passkey from My Security Info. Needs a session that authenticated within the
// re-authentication window (a pass sign-in counts), and for a bootstrap session, the pass's window.
import { randomUUID } from 'node:crypto';
import type { PublicKeyCredentialCreationOptionsJSON, RegistrationResponseJSON } from '@simplewebauthn/server';
import { generateRegistrationOptions, verifyRegistrationResponse } from '@simplewebauthn/server';
import { type Actor, userTarget } from '../core/audit/audit.ts';
import { PasslessError } from '../core/errors.ts';
import { transitionRegistration, validatePasskeyName } from '../core/flows/passkey-registration.flow.ts';
import { advanceFlow, createFlow, getFlow } from '../storage/repositories/flows.repository.ts';
import {
  createPasskey,
  listCredentialIdsOfUser,
  type PasskeyCredential,
} from '../storage/repositories/passkeys.repository.ts';
import type { ActiveSession } from '../storage/repositories/sessions.repository.ts';
import { deleteTap, getTapOfUser } from '../storage/repositories/temporary-access-passes.repository.ts';
import { auditedChange } from './audited-change.ts';
import type { Deps, RequestContext } from './deps.ts';
import { challengeOf, userHandleOf } from './passkey-assertion.ts';
import { getTapPolicy } from './tap-policy.service.ts';

export function assertRecentAuthentication(deps: Deps, session: ActiveSession): void {
  const ageMs = deps.clock().getTime() - session.authenticatedAt.getTime();
  // Entra: MFA within the last 5 minutes before registering a passkey; ASVS 7.5.1 re-authentication.
  // A bootstrap session may register for its whole life: it is the pass's registration window, which the policy
  // sets (registrationWindowInMinutes) and which ends with the pass.
  if (session.kind === 'full' && ageMs > deps.config.reauthenticationWindowMinutes * 60_000) {
    throw new PasslessError('reauthenticationRequired');
  }
}

export async function startPasskeyRegistration(
  deps: Deps,
  session: ActiveSession,
  input: { displayName: unknown },
): Promise<{ flowId: string; options: PublicKeyCredentialCreationOptionsJSON }> {
  const now = deps.clock();
  const displayName = validatePasskeyName(input.displayName);
  assertRecentAuthentication(deps, session);
  const existing = await listCredentialIdsOfUser(deps.db, session.userId);
  if (existing.length >= 20) {
    throw new PasslessError('badRequest', {
      detail: 'You already have 20 passkeys. Delete one before adding another.',
    });
  }
  const options = await generateRegistrationOptions({
    rpName: 'Passless',
    rpID: deps.config.rpId,
    userName: session.user.userPrincipalName,
    userDisplayName: session.user.displayName,
    userID: Buffer.from(userHandleOf(session.userId), 'base64url'),
    attestationType: 'none',
    excludeCredentials: existing.map((c) => ({ id: c.id, transports: c.transports as never })),
    authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
    supportedAlgorithmIDs: [-7, -8, -257],
    timeout: 300_000,
  });
  const flowId = randomUUID();
  // The ceremony may not outlive the session that started it (for a bootstrap session: the pass's window).
  const expiresAt = new Date(
    Math.min(now.getTime() + deps.config.signInFlowMinutes * 60_000, session.expiresAt.getTime()),
  );
  await createFlow(
    deps.db,
    {
      id: flowId,
      kind: 'passkeyRegistration',
      state: 'awaitingAttestation',
      expiresAt,
      userId: session.userId,
      sessionId: session.id,
      challenge: options.challenge,
      internal: { displayName },
    },
    now,
  );
  return { flowId, options };
}

export async function finishPasskeyRegistration(
  deps: Deps,
  ctx: RequestContext,
  session: ActiveSession,
  actor: Actor,
  input: { flowId: string; credential: RegistrationResponseJSON },
): Promise<PasskeyCredential> {
  const now = deps.clock();
  const stored = await getFlow(deps.db, input.flowId, 'passkeyRegistration');
  // Guard: only the session that started the ceremony may finish it.
  if (!stored || stored.sessionId !== session.id || stored.userId !== session.userId) {
    throw new PasslessError('flowExpired', { detail: 'This passkey setup has expired. Select "Add passkey" again.' });
  }
  const flow = {
    id: stored.id,
    state: stored.state as 'awaitingAttestation',
    expiresAt: stored.expiresAt,
    userId: session.userId,
    sessionId: session.id,
    challenge: stored.challenge,
    displayName: String(stored.internal.displayName),
  };
  transitionRegistration(flow, { type: 'registered' }, now); // expiry and state guard before any work
  const challenge = challengeOf(input.credential);
  if (!challenge || challenge !== flow.challenge) throw new PasslessError('passkeyRegistrationFailed');
  // Single use: the ceremony moves to failed before verification; success moves it on to completed below.
  const claimed = await advanceFlow(deps.db, {
    id: flow.id,
    expectedState: 'awaitingAttestation',
    state: 'failed',
    challenge: null,
  });
  if (!claimed)
    throw new PasslessError('flowExpired', {
      detail: 'This passkey setup was already used. Select "Add passkey" again.',
    });
  let info: NonNullable<Awaited<ReturnType<typeof verifyRegistrationResponse>>['registrationInfo']>;
  try {
    const result = await verifyRegistrationResponse({
      response: input.credential,
      expectedChallenge: challenge,
      expectedOrigin: deps.config.origin,
      expectedRPID: deps.config.rpId,
      requireUserVerification: true,
      supportedAlgorithmIDs: [-7, -8, -257],
    });
    if (!result.verified || !result.registrationInfo) throw new Error('not verified');
    info = result.registrationInfo;
  } catch (error) {
    throw new PasslessError('passkeyRegistrationFailed', { cause: error });
  }
  const passkey: PasskeyCredential = {
    id: randomUUID(),
    userId: session.userId,
    credentialId: info.credential.id,
    publicKey: Buffer.from(info.credential.publicKey).toString('base64url'),
    signCount: info.credential.counter,
    // Client-supplied and not covered by the attestation: keep it only if it has the expected shape.
    transports: (Array.isArray(input.credential.response.transports) ? input.credential.response.transports : [])
      .filter((t) => typeof t === 'string')
      .slice(0, 8),
    aaguid: info.aaguid,
    backupEligible: info.credentialDeviceType === 'multiDevice',
    backedUp: info.credentialBackedUp,
    displayName: flow.displayName,
    createdAt: now,
    lastUsedAt: null,
  };
  await auditedChange(deps, { ...ctx, now }, async ({ trx, audit }) => {
    if (!(await createPasskey(trx, passkey))) {
      throw new PasslessError('passkeyRegistrationFailed', { detail: 'This passkey is already registered.' });
    }
    await advanceFlow(trx, { id: flow.id, expectedState: 'failed', state: 'completed', challenge: null });
    const target = userTarget(session.user);
    await audit('userRegisteredPasskey', {
      initiatedBy: actor,
      targets: [target],
      details: { passkeyName: passkey.displayName, aaGuid: passkey.aaguid, synced: String(passkey.backupEligible) },
    });
    // Retire the pass after the first passkey (Passless policy option); this session keeps its own window.
    const policy = await getTapPolicy(trx, now);
    const tap = policy.retireOnPasskeyRegistration ? await getTapOfUser(trx, session.userId) : null;
    if (tap && (await deleteTap(trx, session.userId, tap.id))) {
      await audit('tapRetired', { initiatedBy: actor, targets: [target] });
    }
  });
  return passkey;
}
