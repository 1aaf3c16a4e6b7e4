// /signin — step 1: who (or a username-less passkey); step 2: passkey or Temporary Access Pass.

import { ApiError, post } from './api.js';
import { formatDateTime, formatRelative, toDate } from './format.js';
import {
  describeCeremonyError,
  isCeremonyError,
  signInWithPasskey,
  UNSUPPORTED_MESSAGE,
  webAuthnLibrary,
} from './passkeys.js';
import { $, clearAlert, clearStatus, focusElement, showAlert, showStatus } from './ui.js';

const params = new URLSearchParams(window.location.search);
const returnTo = safeReturnTo(params.get('returnTo'));
const reason = params.get('reason');

const el = {
  alert: $('#signin-alert'),
  status: $('#signin-status'),
  reauthNotice: $('#reauth-notice'),
  stepIdentify: $('#step-identify'),
  stepMethods: $('#step-methods'),
  identifyForm: $('#identify-form'),
  identifier: $('#identifier'),
  usernameless: $('#usernameless-passkey'),
  who: $('#who'),
  whoIdentifier: $('#who-identifier'),
  whoInitial: $('#who-initial'),
  useAnother: $('#use-another-account'),
  flowPasskey: $('#flow-passkey'),
  tapForm: $('#tap-form'),
  tap: $('#tap'),
};

/** The identify flow (step 2); null on step 1. */
let flow = null;
/** Incremented for every conditional-mediation attempt so stale results are ignored. */
let autofillGeneration = 0;
let busy = false;
/** Set once a redirect has started, so controls stay disabled while the next page loads. */
let leaving = false;

/** Accept only same-site paths ("/x", not "//x" or "/\x"); the server validates again. */
function safeReturnTo(value) {
  if (typeof value !== 'string' || !value.startsWith('/')) return null;
  if (value.startsWith('//') || value.startsWith('/\\')) return null;
  return value;
}

// The server keeps returnTo in the flow (from identify or passkey options) and answers with redirectTo.
function withReturnTo(body) {
  return returnTo ? { ...body, returnTo } : body;
}

function redirect(answer) {
  const target =
    typeof answer?.redirectTo === 'string' && answer.redirectTo !== ''
      ? answer.redirectTo
      : returnTo || '/security-info';
  leaving = true;
  showStatus(el.status, 'Signed in. Taking you there…', { tone: 'success' });
  window.location.assign(target);
}

// ---------------------------------------------------------------------------
// Messages for every error the sign-in endpoints can answer with.

function retryWait(seconds) {
  if (!Number.isFinite(seconds) || seconds <= 0) return 'a few moments';
  if (seconds < 60) return `${seconds} ${seconds === 1 ? 'second' : 'seconds'}`;
  const minutes = Math.ceil(seconds / 60);
  return `${minutes} ${minutes === 1 ? 'minute' : 'minutes'}`;
}

function notYetValidMessage(error) {
  const d = error.details ?? {};
  const start = toDate(d.startDateTime ?? d.validFromDateTime ?? d.validFrom ?? d.notBefore);
  if (start) {
    return `This Temporary Access Pass isn't valid yet. You can use it from ${formatDateTime(start)} (${formatRelative(start)}).`;
  }
  // The server's message may say when it becomes valid: show it as is.
  return (
    error.message ||
    "This Temporary Access Pass isn't valid yet. Check the start time in the message from your IT team."
  );
}

function messageFor(error) {
  if (isCeremonyError(error)) return describeCeremonyError(error);
  switch (error.code) {
    case 'tapIncorrect':
      return "That Temporary Access Pass isn't right. Check the code and the account, then try again.";
    case 'tapExpired':
      return 'This Temporary Access Pass has expired. Ask your IT team for a new one.';
    case 'tapNotYetValid':
      return notYetValidMessage(error);
    case 'tapAlreadyUsed':
      return 'This Temporary Access Pass has already been used. If you added a passkey, sign in with it. Otherwise ask your IT team for a new pass.';
    case 'tapNotAllowed':
      return "Your organization doesn't allow signing in with a Temporary Access Pass for this account. Contact your IT team.";
    case 'tooManyAttempts':
      return `Too many attempts. Wait ${retryWait(error.retryAfterSeconds)} and try again.`;
    case 'flowExpired':
      return 'Your sign-in took too long and has timed out. Enter your email or username again.';
    case 'passkeyNotRecognized':
      return "We didn't recognize that passkey. Use a passkey you registered for this account, or sign in with a Temporary Access Pass.";
    case 'passkeyVerificationFailed':
      return "We couldn't verify your passkey. Try again.";
    default:
      return error.message || 'Something went wrong. Try again.';
  }
}

function reportError(error, focusTarget, { select = false } = {}) {
  clearStatus(el.status);
  const restarted = error instanceof ApiError && error.code === 'flowExpired';
  if (restarted) showIdentifyStep({ keepIdentifier: true });
  showAlert(el.alert, messageFor(error));
  const target = restarted ? el.identifier : focusTarget;
  // Controls are re-enabled when the busy section ends: focus after that.
  setTimeout(() => {
    if (!target || target.closest('[hidden]') || target.disabled) return;
    target.focus();
    if (select && typeof target.select === 'function') target.select();
  }, 0);
}

// ---------------------------------------------------------------------------
// Steps

function showIdentifyStep({ keepIdentifier = true } = {}) {
  flow = null;
  el.tap.value = '';
  el.stepMethods.hidden = true;
  el.stepIdentify.hidden = false;
  if (!keepIdentifier) el.identifier.value = '';
  startAutofill();
}

function showMethodsStep(answer, typed) {
  flow = answer;
  const who = typeof answer.identifier === 'string' && answer.identifier !== '' ? answer.identifier : typed;
  el.whoIdentifier.textContent = who;
  el.whoInitial.textContent = who.trim().charAt(0).toUpperCase() || '?';
  el.tap.value = '';
  el.stepIdentify.hidden = true;
  el.stepMethods.hidden = false;
  focusElement(el.who);
}

async function runBusy(button, progressText, work) {
  if (busy) return;
  busy = true;
  const controls = [...document.querySelectorAll('.auth-card button, .auth-card input')];
  const wasDisabled = new Map(controls.map((c) => [c, c.disabled]));
  for (const c of controls) if (c !== button) c.disabled = true;
  button.setAttribute('aria-disabled', 'true');
  button.classList.add('is-busy');
  clearAlert(el.alert);
  showStatus(el.status, progressText, { tone: 'progress' });
  try {
    await work();
  } finally {
    if (!leaving) for (const c of controls) c.disabled = wasDisabled.get(c) ?? false;
    button.removeAttribute('aria-disabled');
    button.classList.remove('is-busy');
    busy = false;
  }
}

// ---------------------------------------------------------------------------
// Step 1

el.identifyForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const identifier = el.identifier.value.trim();
  if (identifier === '') {
    showAlert(el.alert, 'Enter your email or username.');
    el.identifier.setAttribute('aria-invalid', 'true');
    el.identifier.focus();
    return;
  }
  el.identifier.removeAttribute('aria-invalid');
  const button = $('#identify-next');
  runBusy(button, 'Checking…', async () => {
    try {
      const answer = await post('/api/signin/identify', withReturnTo({ identifier }));
      clearStatus(el.status);
      showMethodsStep(answer, identifier);
    } catch (error) {
      reportError(error, el.identifier);
    }
  });
});

el.usernameless.addEventListener('click', () => {
  passkeySignIn(el.usernameless, undefined);
});

// ---------------------------------------------------------------------------
// Step 2

el.useAnother.addEventListener('click', () => {
  clearAlert(el.alert);
  clearStatus(el.status);
  showIdentifyStep({ keepIdentifier: false });
  el.identifier.focus();
});

el.flowPasskey.addEventListener('click', () => {
  if (!flow) return showIdentifyStep();
  passkeySignIn(el.flowPasskey, flow.flowId);
});

el.tapForm.addEventListener('submit', (event) => {
  event.preventDefault();
  if (!flow) return showIdentifyStep();
  // People often copy the pass with surrounding spaces; the pass itself never contains whitespace.
  const code = el.tap.value.replace(/\s+/g, '');
  if (code === '') {
    showAlert(el.alert, 'Enter the Temporary Access Pass from your IT team.');
    el.tap.setAttribute('aria-invalid', 'true');
    el.tap.focus();
    return;
  }
  el.tap.removeAttribute('aria-invalid');
  runBusy($('#tap-submit'), 'Checking your Temporary Access Pass…', async () => {
    try {
      const answer = await post('/api/signin/tap', { flowId: flow.flowId, temporaryAccessPass: code });
      redirect(answer);
    } catch (error) {
      reportError(error, el.tap, { select: error instanceof ApiError && error.code === 'tapIncorrect' });
    }
  });
});

// ---------------------------------------------------------------------------
// Passkeys

function passkeySignIn(button, flowId) {
  if (!webAuthnLibrary()) {
    showAlert(el.alert, UNSUPPORTED_MESSAGE);
    return;
  }
  // Any pending autofill ceremony is cancelled by the library when this one starts.
  autofillGeneration++;
  runBusy(button, 'Getting ready…', async () => {
    try {
      const answer = await signInWithPasskey({
        flowId,
        returnTo,
        onCeremony: () =>
          showStatus(el.status, 'Follow the prompt from your browser or device to use your passkey…', {
            tone: 'progress',
          }),
      });
      redirect(answer);
    } catch (error) {
      reportError(error, button);
      if (!(error instanceof ApiError && error.code === 'flowExpired') && el.stepIdentify.hidden === false)
        startAutofill();
    }
  });
}

/** Passkey autofill (conditional mediation) on the username field; failures stay quiet. */
async function startAutofill() {
  const lib = webAuthnLibrary();
  const generation = ++autofillGeneration;
  if (!lib || typeof lib.browserSupportsWebAuthnAutofill !== 'function') return;
  let started;
  try {
    if (!(await lib.browserSupportsWebAuthnAutofill())) return;
    if (generation !== autofillGeneration) return;
    started = await post('/api/signin/passkey/options', withReturnTo({ conditional: true }));
  } catch {
    return; // autofill is a convenience: no message when it cannot start
  }
  if (generation !== autofillGeneration) return;
  let credential;
  try {
    credential = await lib.startAuthentication({ optionsJSON: started.options, useBrowserAutofill: true });
  } catch {
    return; // cancelled (another ceremony started) or not available
  }
  if (busy) return;
  // The person picked a passkey from the autofill list: from here on, report what happens.
  busy = true;
  clearAlert(el.alert);
  showStatus(el.status, 'Signing you in…', { tone: 'progress' });
  try {
    const answer = await post('/api/signin/passkey/verify', { flowId: started.flowId, credential });
    redirect(answer);
  } catch (error) {
    busy = false;
    reportError(error);
    if (el.stepIdentify.hidden === false && !(error instanceof ApiError && error.code === 'flowExpired'))
      startAutofill();
  }
}

// ---------------------------------------------------------------------------
// Start

if (reason === 'reauthenticate') {
  el.reauthNotice.hidden = false;
  // The passkey is the way back in: make it the main action.
  el.usernameless.classList.replace('btn-secondary', 'btn-primary');
  $('#identify-next').classList.replace('btn-primary', 'btn-secondary');
}
el.stepIdentify.hidden = false;
el.stepMethods.hidden = true;
startAutofill();
