// WebAuthn helpers shared by the sign-in and security-info pages.
// The SimpleWebAuthn browser library is loaded as a classic script before these modules and
// defines the global SimpleWebAuthnBrowser.

import { ApiError, loadSession, post } from './api.js';

export const CANCELLED_MESSAGE = 'The passkey request was cancelled or timed out. Try again.';

/** The SimpleWebAuthnBrowser global, or null when it is missing or the browser has no WebAuthn. */
export function webAuthnLibrary() {
  const lib = globalThis.SimpleWebAuthnBrowser;
  if (!lib || typeof lib.startAuthentication !== 'function') return null;
  if (typeof lib.browserSupportsWebAuthn === 'function' && !lib.browserSupportsWebAuthn()) return null;
  return lib;
}

export const UNSUPPORTED_MESSAGE =
  "This browser can't use passkeys. Update it, or use another browser or device that supports passkeys.";

/** A person-readable message for an error thrown by startAuthentication / startRegistration. */
export function describeCeremonyError(error, { registering = false } = {}) {
  const name = error?.name;
  const code = error?.code;
  if (name === 'NotAllowedError' || name === 'AbortError' || code === 'ERROR_CEREMONY_ABORTED') {
    return CANCELLED_MESSAGE;
  }
  if (code === 'ERROR_AUTHENTICATOR_PREVIOUSLY_REGISTERED' || (registering && name === 'InvalidStateError')) {
    return 'This device or security key already has a passkey for your account. Use it to sign in, or add a passkey on another device.';
  }
  if (
    code === 'ERROR_AUTHENTICATOR_MISSING_DISCOVERABLE_CREDENTIAL_SUPPORT' ||
    code === 'ERROR_AUTHENTICATOR_MISSING_USER_VERIFICATION_SUPPORT'
  ) {
    return "This security key can't hold a passkey (it needs a PIN or biometrics and storage for passkeys). Try another device or key.";
  }
  if (code === 'ERROR_AUTHENTICATOR_NO_SUPPORTED_PUBKEYCREDPARAMS_ALG') {
    return "This authenticator doesn't support the required security algorithms. Try another device or key.";
  }
  if (name === 'SecurityError' || code === 'ERROR_INVALID_DOMAIN' || code === 'ERROR_INVALID_RP_ID') {
    return 'Your browser refused to use a passkey for this site address. Make sure you opened the sign-in link exactly as you received it.';
  }
  if (typeof error?.message === 'string' && /not supported/i.test(error.message)) return UNSUPPORTED_MESSAGE;
  return "Your browser couldn't complete the passkey request. Try again, or use another device.";
}

/** True for errors that came from the browser ceremony rather than from the server. */
export function isCeremonyError(error) {
  return !(error instanceof ApiError);
}

/**
 * Username-less (or flow-bound) passkey sign-in: options → browser ceremony → verify.
 * Resolves with the verify answer ({redirectTo}). `onCeremony` is called right before the browser prompt.
 */
export async function signInWithPasskey({ flowId, returnTo, onCeremony } = {}) {
  const lib = webAuthnLibrary();
  if (!lib) throw Object.assign(new Error(UNSUPPORTED_MESSAGE), { name: 'NotSupportedError' });
  const optionsBody = {};
  if (flowId) optionsBody.flowId = flowId;
  if (returnTo) optionsBody.returnTo = returnTo;
  const started = await post('/api/signin/passkey/options', optionsBody);
  onCeremony?.();
  const credential = await lib.startAuthentication({ optionsJSON: started.options });
  // returnTo travels in the flow: the server answers with redirectTo.
  return post('/api/signin/passkey/verify', { flowId: started.flowId, credential });
}

/** A suggested passkey name from the browser and operating system, e.g. "Chrome on Windows". */
export function suggestPasskeyName(existingNames = []) {
  const ua = navigator.userAgent;
  const platform = navigator.userAgentData?.platform || '';
  let os = '';
  if (/iPhone/.test(ua)) os = 'iPhone';
  else if (/iPad/.test(ua)) os = 'iPad';
  else if (/Android/i.test(ua) || platform === 'Android') os = 'Android';
  else if (/CrOS/.test(ua) || platform === 'Chrome OS') os = 'ChromeOS';
  else if (/Windows/.test(ua) || platform === 'Windows') os = 'Windows';
  else if (/Mac OS X|Macintosh/.test(ua) || platform === 'macOS') os = 'Mac';
  else if (/Linux/.test(ua) || platform === 'Linux') os = 'Linux';

  let browser = '';
  if (/Edg\//.test(ua)) browser = 'Edge';
  else if (/OPR\//.test(ua)) browser = 'Opera';
  else if (/Firefox\//.test(ua)) browser = 'Firefox';
  else if (/Chrome\/|Chromium\/|CriOS\//.test(ua)) browser = 'Chrome';
  else if (/Safari\//.test(ua)) browser = 'Safari';

  let base = browser && os ? `${browser} on ${os}` : browser || os || 'My passkey';
  if (os === 'Mac' && browser === 'Safari') base = 'iCloud Keychain (Mac)';
  if ((os === 'iPhone' || os === 'iPad') && browser === 'Safari') base = `iCloud Keychain (${os})`;

  const taken = new Set(existingNames.map((n) => String(n).trim().toLowerCase()));
  if (!taken.has(base.toLowerCase())) return base;
  for (let i = 2; i < 100; i++) {
    const candidate = `${base} (${i})`;
    if (!taken.has(candidate.toLowerCase())) return candidate;
  }
  return base;
}

/**
 * Add a passkey to the signed-in account: options → browser ceremony → verify.
 * If the server first wants a fresh passkey sign-in (401 reauthenticationRequired), run one,
 * reload the session (new CSRF token) and retry once. Resolves with the new fido2AuthenticationMethod.
 */
export async function registerPasskey({ displayName, expectedUserId, onProgress = () => {}, onSessionRefreshed }) {
  const lib = webAuthnLibrary();
  if (!lib) throw Object.assign(new Error(UNSUPPORTED_MESSAGE), { name: 'NotSupportedError' });
  const optionsPath = '/api/security-info/passkeys/options';
  let started;
  try {
    started = await post(optionsPath, { displayName });
  } catch (error) {
    if (!(error instanceof ApiError && error.code === 'reauthenticationRequired')) throw error;
    onProgress('For your security, first confirm it’s you with a passkey you already have.');
    await signInWithPasskey({
      onCeremony: () => onProgress('Confirm it’s you: follow the prompt from your browser or device…'),
    });
    const session = await loadSession();
    if (!session) {
      throw new ApiError({ code: 'unauthenticated', message: 'Your session has ended. Sign in again.', status: 401 });
    }
    if (expectedUserId && session.user?.id !== expectedUserId) {
      throw new ApiError({ code: 'accountChanged', message: 'You signed in as someone else.', status: 409 });
    }
    onSessionRefreshed?.(session);
    started = await post(optionsPath, { displayName });
  }
  onProgress('Follow the prompts from your browser or device to create your passkey…');
  const credential = await lib.startRegistration({ optionsJSON: started.options });
  onProgress('Saving your passkey…');
  return post('/api/security-info/passkeys/verify', { flowId: started.flowId, credential });
}

/** A person-readable message for a failed registration (server error or browser ceremony). */
export function registrationMessage(error) {
  if (isCeremonyError(error)) return describeCeremonyError(error, { registering: true });
  switch (error.code) {
    case 'passkeyRegistrationFailed':
      return "We couldn't save that passkey. Try again, or use another device or security key.";
    case 'flowExpired':
      return 'Adding your passkey took too long. Try again.';
    case 'registrationWindowClosed':
      return (
        error.message ||
        'The time to add a passkey with your Temporary Access Pass has run out. Sign in again with your pass, or ask your IT team for a new one.'
      );
    case 'reauthenticationRequired':
      return "We couldn't confirm it's you. Sign out, sign in again with your passkey, then add the new one.";
    case 'passkeyNotRecognized':
      return "We didn't recognize that passkey. Use a passkey you already registered for this account.";
    default:
      return error.message || "We couldn't add your passkey. Try again.";
  }
}
