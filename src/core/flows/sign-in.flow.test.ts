import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { PasslessError } from '../errors.ts';
import { transitionRegistration } from './passkey-registration.flow.ts';
import {
  type SignInEvent,
  type SignInFlow,
  type SignInState,
  sanitizeReturnTo,
  transitionSignIn,
} from './sign-in.flow.ts';

const now = new Date('2026-06-01T09:00:00Z');
const later = new Date(now.getTime() + 11 * 60_000);
const flow = (state: SignInState, identifier: string | null = 'jane@contoso.test'): SignInFlow => ({
  id: 'f',
  state,
  expiresAt: new Date(now.getTime() + 10 * 60_000),
  identifier,
  userId: identifier ? 'u1' : null,
  challenge: state === 'awaitingPasskey' ? 'c1' : null,
  returnTo: '/security-info',
});
const events: SignInEvent[] = [
  { type: 'issuePasskeyChallenge', challenge: 'c2' },
  { type: 'passkeyVerified', credentialUserId: 'u1' },
  { type: 'passkeyRejected' },
  { type: 'tapAccepted' },
  { type: 'tapRejected' },
];

function outcome(f: SignInFlow, e: SignInEvent, at = now): string {
  try {
    return transitionSignIn(f, e, at).state;
  } catch (error) {
    assert.ok(error instanceof PasslessError);
    return `error:${error.code}`;
  }
}

// Every state × event, for a named (identifier-first) flow and a username-less one.
const expected: Record<string, Record<string, string>> = {
  'identified/named': {
    issuePasskeyChallenge: 'awaitingPasskey',
    passkeyVerified: 'error:flowExpired',
    passkeyRejected: 'error:flowExpired',
    tapAccepted: 'completed',
    tapRejected: 'identified',
  },
  'awaitingPasskey/named': {
    issuePasskeyChallenge: 'awaitingPasskey',
    passkeyVerified: 'completed',
    passkeyRejected: 'identified',
    tapAccepted: 'completed',
    tapRejected: 'awaitingPasskey',
  },
  'completed/named': Object.fromEntries(events.map((e) => [e.type, 'error:flowExpired'])),
  'anonymous/usernameless': {
    issuePasskeyChallenge: 'awaitingPasskey',
    passkeyVerified: 'error:flowExpired',
    passkeyRejected: 'error:flowExpired',
    tapAccepted: 'error:badRequest',
    tapRejected: 'error:badRequest',
  },
  'awaitingPasskey/usernameless': {
    issuePasskeyChallenge: 'awaitingPasskey',
    passkeyVerified: 'completed',
    passkeyRejected: 'anonymous',
    tapAccepted: 'error:badRequest',
    tapRejected: 'error:badRequest',
  },
};

describe('sign-in flow transitions', () => {
  for (const [key, row] of Object.entries(expected)) {
    const [state, kind] = key.split('/') as [SignInState, string];
    for (const event of events) {
      test(`${kind} flow in ${state} on ${event.type} → ${row[event.type]}`, () => {
        assert.equal(outcome(flow(state, kind === 'named' ? 'jane@contoso.test' : null), event), row[event.type]);
      });
      test(`${kind} flow in ${state} on ${event.type} after expiry → flowExpired`, () => {
        assert.equal(
          outcome(flow(state, kind === 'named' ? 'jane@contoso.test' : null), event, later),
          'error:flowExpired',
        );
      });
    }
  }
  test('a passkey of another person cannot complete a named flow', () => {
    assert.equal(
      outcome(flow('awaitingPasskey'), { type: 'passkeyVerified', credentialUserId: 'u2' }),
      'error:passkeyNotRecognized',
    );
  });
  test('only same-site paths survive as returnTo', () => {
    assert.equal(sanitizeReturnTo('/admin/users'), '/admin/users');
    for (const bad of ['https://evil.example', '//evil.example', '/\\evil', 'admin', 42, '/x\ny']) {
      assert.equal(sanitizeReturnTo(bad), '/security-info');
    }
  });
});

describe('passkey registration flow transitions', () => {
  const reg = (state: 'awaitingAttestation' | 'completed' | 'failed') => ({
    id: 'r',
    state,
    expiresAt: new Date(now.getTime() + 60_000),
    userId: 'u',
    sessionId: 's',
    challenge: 'c',
    displayName: 'Key',
  });
  for (const state of ['awaitingAttestation', 'completed', 'failed'] as const) {
    for (const type of ['registered', 'rejected'] as const) {
      test(`${state} on ${type}`, () => {
        const run = () => transitionRegistration(reg(state), { type }, now).state;
        if (state === 'awaitingAttestation') assert.equal(run(), type === 'registered' ? 'completed' : 'failed');
        else assert.throws(run, (e: unknown) => e instanceof PasslessError && e.code === 'flowExpired');
      });
    }
  }
  test('an expired registration cannot complete', () => {
    assert.throws(() => transitionRegistration(reg('awaitingAttestation'), { type: 'registered' }, later));
  });
});
