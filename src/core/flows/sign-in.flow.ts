// The sign-in flow as an explicit state machine (DESIGN.md §5). The transition is pure; the caller applies
// the result with a conditional UPDATE (WHERE state = expected), so two racing requests cannot both advance it.
//
//   identified ──issuePasskeyChallenge──▶ awaitingPasskey ──passkeyVerified──▶ completed
//   anonymous  ──issuePasskeyChallenge──▶ awaitingPasskey ──passkeyRejected──▶ identified | anonymous
//   identified | awaitingPasskey ──tapAccepted──▶ completed        (tapRejected keeps the state)
//   every state ──(now ≥ expiresAt)──▶ expired
import { PasslessError } from '../errors.ts';

export type SignInState = 'anonymous' | 'identified' | 'awaitingPasskey' | 'completed';

export interface SignInFlow {
  id: string;
  state: SignInState;
  expiresAt: Date;
  /** The typed identifier; null for a username-less passkey sign-in. */
  identifier: string | null;
  /** The account the identifier names; null when unknown (which the client never learns) or username-less. */
  userId: string | null;
  challenge: string | null;
  returnTo: string;
}

export type SignInEvent =
  | { type: 'issuePasskeyChallenge'; challenge: string }
  | { type: 'passkeyVerified'; credentialUserId: string }
  | { type: 'passkeyRejected' }
  | { type: 'tapAccepted' }
  | { type: 'tapRejected' };

export function restingState(flow: Pick<SignInFlow, 'identifier'>): 'identified' | 'anonymous' {
  return flow.identifier === null ? 'anonymous' : 'identified';
}

export function transitionSignIn(flow: SignInFlow, event: SignInEvent, now: Date): SignInFlow {
  // Expiry is checked before anything else: an old flow cannot be advanced by any event.
  if (now.getTime() >= flow.expiresAt.getTime() || flow.state === 'completed') {
    throw new PasslessError('flowExpired');
  }
  switch (event.type) {
    case 'issuePasskeyChallenge':
      return { ...flow, state: 'awaitingPasskey', challenge: event.challenge };
    case 'passkeyVerified':
      if (flow.state !== 'awaitingPasskey') throw new PasslessError('flowExpired');
      // Identifier-first: the passkey must belong to the person who was named.
      if (flow.identifier !== null && flow.userId !== event.credentialUserId) {
        throw new PasslessError('passkeyNotRecognized');
      }
      return { ...flow, state: 'completed', challenge: null, userId: event.credentialUserId };
    case 'passkeyRejected':
      if (flow.state !== 'awaitingPasskey') throw new PasslessError('flowExpired');
      return { ...flow, state: restingState(flow), challenge: null };
    case 'tapAccepted':
    case 'tapRejected':
      // A pass needs a named account; a username-less flow has none.
      if (flow.identifier === null)
        throw new PasslessError('badRequest', { detail: 'Enter your email or username first.' });
      return event.type === 'tapAccepted' ? { ...flow, state: 'completed', challenge: null } : flow;
  }
}

/** Only same-site paths are allowed as a destination after sign-in (no open redirect). */
export function sanitizeReturnTo(value: unknown): string {
  if (typeof value !== 'string' || !value.startsWith('/') || value.startsWith('//') || value.includes('\\')) {
    return '/security-info';
  }
  // Control characters could split headers or confuse URL parsers.
  if (value.length > 512 || [...value].some((c) => c.charCodeAt(0) < 0x20)) return '/security-info';
  return value;
}
