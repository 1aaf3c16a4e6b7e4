// The decision at /oidc/interaction/{uid}: given the Passless session (or none), the authorization request and
// the application, what happens next. Pure; the route applies it (src/server/oidc/interaction.routes.ts).
//
// The interaction itself is node-oidc-provider's Interaction, stored in the database with an expiry (1 h), so a
// server restart between steps loses nothing:
//
//   (no full session | too old | too weak) ──▶ signIn ──(passkey sign-in, back here)──▶ …
//   bootstrap (pass) session, unless the pass policy allows it ──▶ blocked ──abort──▶ access_denied
//   full session, strong enough ──▶ consent? ──accept──▶ complete ──▶ code to the application
//                                            └─deny───▶ access_denied
import { type AcrValue, describeAcr, evaluateStrength, requestedAcrValues } from './authentication-strength.ts';
import { consentCovers, splitScopes } from './consent.ts';

export interface InteractionSession {
  kind: 'full' | 'bootstrap';
  amr: readonly string[];
  authenticatedAt: Date;
}

export interface InteractionRequest {
  /** The prompt the provider is asking for. */
  prompt: 'login' | 'consent' | string;
  params: { prompt?: unknown; max_age?: unknown; acr_values?: unknown; claims?: unknown; scope?: unknown };
  /**
   * When the authorization request reached the provider (the interaction's creation, in whole seconds: a sign-in
   * in that same second counts as after it, or a fast sign-in could never satisfy prompt=login).
   */
  startedAt: Date;
}

export type InteractionDecision =
  | { action: 'signIn'; reason: 'signInRequired' | 'stepUp'; detail: string }
  | { action: 'blocked'; reason: 'bootstrapSessionOnly'; detail: string }
  | { action: 'consent'; scopes: string[]; acr: AcrValue }
  | { action: 'complete'; acr: AcrValue; rememberConsent: boolean };

export function decideInteraction(input: {
  session: InteractionSession | null;
  request: InteractionRequest;
  firstParty: boolean;
  rememberedScopes: readonly string[] | null;
  /** The pass policy's isUsableForApplications. */
  passSessionsMayUseApplications: boolean;
  now: Date;
}): InteractionDecision {
  const { session, request } = input;
  if (!session) {
    return { action: 'signIn', reason: 'signInRequired', detail: 'Sign in to continue to the application.' };
  }
  if (session.kind === 'bootstrap' && !input.passSessionsMayUseApplications) {
    return {
      action: 'blocked',
      reason: 'bootstrapSessionOnly',
      detail:
        'You signed in with a Temporary Access Pass, which can only be used to set up your passkey. Register a passkey in your security info, then sign in to the application with it.',
    };
  }
  const prompts = typeof request.params.prompt === 'string' ? request.params.prompt.split(' ') : [];
  // prompt=login: a sign-in from before this request does not count.
  if (prompts.includes('login') && session.authenticatedAt.getTime() < request.startedAt.getTime()) {
    return { action: 'signIn', reason: 'signInRequired', detail: 'The application asks you to sign in again.' };
  }
  const maxAge = Number(request.params.max_age);
  if (
    request.params.max_age !== undefined &&
    Number.isFinite(maxAge) &&
    input.now.getTime() - session.authenticatedAt.getTime() > maxAge * 1000
  ) {
    return { action: 'signIn', reason: 'signInRequired', detail: 'The application asks for a recent sign-in.' };
  }
  const strength = evaluateStrength(session.amr, requestedAcrValues(request.params));
  if (!strength.met) {
    return {
      action: 'signIn',
      reason: 'stepUp',
      detail: `This application requires you to sign in with ${describeAcr(strength.needed)}.`,
    };
  }
  const requested = splitScopes(request.params.scope);
  if (input.firstParty || consentCovers(input.rememberedScopes, requested)) {
    return { action: 'complete', acr: strength.acr, rememberConsent: false };
  }
  return { action: 'consent', scopes: requested, acr: strength.acr };
}
