// Passkey registration from My Security Info, as a state machine:
//   awaitingAttestation ──registered──▶ completed     (rejected ──▶ failed; the person starts a new ceremony)
import { PasslessError } from '../errors.ts';

export type RegistrationState = 'awaitingAttestation' | 'completed' | 'failed';

export interface RegistrationFlow {
  id: string;
  state: RegistrationState;
  expiresAt: Date;
  userId: string;
  sessionId: string;
  challenge: string | null;
  displayName: string;
}

export type RegistrationEvent = { type: 'registered' } | { type: 'rejected' };

export function transitionRegistration(flow: RegistrationFlow, event: RegistrationEvent, now: Date): RegistrationFlow {
  if (now.getTime() >= flow.expiresAt.getTime() || flow.state !== 'awaitingAttestation') {
    throw new PasslessError('flowExpired', { detail: 'This passkey setup has expired. Select "Add passkey" again.' });
  }
  return { ...flow, state: event.type === 'registered' ? 'completed' : 'failed', challenge: null };
}

export function validatePasskeyName(value: unknown): string {
  if (typeof value !== 'string' || value.trim().length === 0 || value.trim().length > 64) {
    throw new PasslessError('badRequest', { detail: 'A passkey name must be 1-64 characters, e.g. "Work laptop".' });
  }
  return value.trim();
}
