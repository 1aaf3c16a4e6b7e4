// /security-info — "My Security Info": list, add, rename and delete your sign-in methods.

import { ApiError, get, loadSession, signOut } from './api.js';
import { formatDateTime, relativeHint } from './format.js';
import { isPasskey, isTap, passkeyName, sortMethods } from './methods-view.js';
import {
  CANCELLED_MESSAGE,
  describeCeremonyError,
  isCeremonyError,
  registerPasskey,
  registrationMessage,
  suggestPasskeyName,
  UNSUPPORTED_MESSAGE,
  webAuthnLibrary,
} from './passkeys.js';
import { startConsents } from './security-info-consents.js';
import { createMethodListUi } from './security-info-methods.js';
import { $, clearAlert, clearStatus, focusElement, h, replace, showAlert, showStatus, whileBusy } from './ui.js';

const SIGN_IN_URL = '/signin?returnTo=/security-info';

const el = {
  loading: $('#loading'),
  content: $('#content'),
  topbarUser: $('#topbar-user'),
  adminLink: $('#admin-link'),
  userName: $('#user-name'),
  userUpn: $('#user-upn'),
  signOut: $('#sign-out'),
  bootstrapNotice: $('#bootstrap-notice'),
  bootstrapExpiry: $('#bootstrap-expiry'),
  tapOnlyWarning: $('#tap-only-warning'),
  nextStep: $('#next-step'),
  nextStepTitle: $('#next-step-title'),
  continueLink: $('#continue-with-passkey'),
  alert: $('#page-alert'),
  status: $('#page-status'),
  methodsTitle: $('#methods-title'),
  addButton: $('#add-passkey'),
  addPanel: $('#add-panel'),
  addForm: $('#add-form'),
  nameInput: $('#passkey-name'),
  addCancel: $('#add-cancel'),
  list: $('#method-list'),
};

const state = { session: null, methods: [] };

// Rename and delete on each list item.
const methodsUi = createMethodListUi({ el, state, loadMethods, reportError, closeAddPanel });

function goToSignIn() {
  window.location.assign(SIGN_IN_URL);
}

/** A 401 (other than "sign in again with your passkey") means the session is gone. */
function handleUnauthenticated(error) {
  if (error instanceof ApiError && error.status === 401 && error.code !== 'reauthenticationRequired') {
    goToSignIn();
    return true;
  }
  return false;
}

function reportError(error, fallback) {
  if (handleUnauthenticated(error)) return;
  clearStatus(el.status);
  const message = isCeremonyError(error)
    ? describeCeremonyError(error, { registering: true })
    : error.message || fallback;
  showAlert(el.alert, message);
}

// ---------------------------------------------------------------------------
// Loading and rendering

async function loadMethods() {
  const answer = await get('/v1.0/me/authentication/methods');
  state.methods = Array.isArray(answer?.value) ? answer.value : [];
  render();
}

function renderHeader() {
  const { user, roles = [], session } = state.session;
  el.userName.textContent = user?.displayName || user?.userPrincipalName || '';
  el.userUpn.textContent = user?.displayName ? (user?.userPrincipalName ?? '') : '';
  el.topbarUser.hidden = false;
  const isAdmin = Array.isArray(roles) && roles.length > 0;
  el.adminLink.hidden = !(isAdmin && session?.kind === 'full');
  const bootstrap = session?.kind === 'bootstrap';
  el.bootstrapNotice.hidden = !bootstrap;
  if (bootstrap && session.expiresDateTime) {
    replace(
      el.bootstrapExpiry,
      'This session ends ',
      formatDateTime(session.expiresDateTime),
      ' ',
      relativeHint(session.expiresDateTime, { future: '', past: 'ended' }),
      '.',
    );
  }
  el.continueLink.href = isAdmin ? '/signin?returnTo=/admin' : SIGN_IN_URL;
}

function render() {
  const methods = sortMethods(state.methods);
  const passkeys = methods.filter(isPasskey);
  const taps = methods.filter(isTap);
  const bootstrap = state.session?.session?.kind === 'bootstrap';

  el.tapOnlyWarning.hidden = !(taps.length > 0 && methods.length === taps.length);
  el.nextStep.hidden = !(bootstrap && passkeys.length > 0);
  // Once a passkey exists, the next step replaces the "set up your passkey" explanation.
  el.bootstrapNotice.hidden = !bootstrap || !el.nextStep.hidden;

  if (methods.length === 0) {
    el.list.replaceChildren(
      h('li', { class: 'empty' }, "You don't have any sign-in methods yet. Add a passkey to be able to sign in."),
    );
    return;
  }
  el.list.replaceChildren(...methods.map(methodsUi.renderMethod));
}

// ---------------------------------------------------------------------------
// Add a passkey

function openAddPanel() {
  methodsUi.closeEditors();
  clearAlert(el.alert);
  clearStatus(el.status);
  const names = state.methods.filter(isPasskey).map(passkeyName);
  el.nameInput.value = suggestPasskeyName(names);
  el.addPanel.hidden = false;
  el.addButton.hidden = true;
  el.nameInput.focus();
  el.nameInput.select();
}

function closeAddPanel({ focus = false } = {}) {
  el.addPanel.hidden = true;
  el.addButton.hidden = false;
  if (focus) el.addButton.focus();
}

async function addPasskey(displayName) {
  const lib = webAuthnLibrary();
  if (!lib) {
    showAlert(el.alert, UNSUPPORTED_MESSAGE);
    return;
  }
  clearAlert(el.alert);
  showStatus(el.status, 'Getting ready…', { tone: 'progress' });
  try {
    const created = await whileBusy(el.addPanel, () =>
      registerPasskey({
        displayName,
        expectedUserId: state.session.user?.id,
        onProgress: (text) => showStatus(el.status, text, { tone: 'progress' }),
        onSessionRefreshed: (session) => {
          state.session = session;
          renderHeader();
        },
      }),
    );
    closeAddPanel();
    await loadMethods();
    const name = created?.displayName || displayName;
    const bootstrap = state.session?.session?.kind === 'bootstrap';
    showStatus(
      el.status,
      bootstrap
        ? `Passkey “${name}” added. Next, sign in with it to start using your account.`
        : `Passkey “${name}” added. You can use it to sign in from now on.`,
      { tone: 'success' },
    );
    if (bootstrap && !el.nextStep.hidden) focusElement(el.nextStepTitle);
    else
      focusElement(
        el.list.querySelector(`[data-method-id="${CSS.escape(String(created?.id ?? ''))}"]`) ?? el.methodsTitle,
      );
  } catch (error) {
    if (handleUnauthenticated(error)) return;
    if (error?.code === 'accountChanged') {
      // Someone else's passkey was used: show that account's page instead of continuing here.
      window.location.reload();
      return;
    }
    clearStatus(el.status);
    showAlert(el.alert, registrationMessage(error) || CANCELLED_MESSAGE);
    el.nameInput.focus();
  }
}

el.addButton.addEventListener('click', openAddPanel);
el.addCancel.addEventListener('click', () => closeAddPanel({ focus: true }));
el.addPanel.addEventListener('keydown', (event) => {
  if (event.key === 'Escape') closeAddPanel({ focus: true });
});
el.addForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const displayName = el.nameInput.value.trim();
  if (displayName === '') {
    showAlert(el.alert, 'Enter a name for your passkey, for example "Work laptop".');
    el.nameInput.setAttribute('aria-invalid', 'true');
    el.nameInput.focus();
    return;
  }
  el.nameInput.removeAttribute('aria-invalid');
  addPasskey(displayName);
});

el.signOut.addEventListener('click', async () => {
  el.signOut.disabled = true;
  try {
    await signOut();
    window.location.assign('/signin');
  } catch (error) {
    el.signOut.disabled = false;
    reportError(error, "We couldn't sign you out. Try again.");
  }
});

// ---------------------------------------------------------------------------
// Start

async function start() {
  try {
    const session = await loadSession();
    if (!session) return goToSignIn();
    state.session = session;
    renderHeader();
    // The apps section loads on its own: its failures never hold up or break the sign-in methods.
    startConsents({ session, handleUnauthenticated });
    await loadMethods();
    el.loading.hidden = true;
    el.content.hidden = false;
  } catch (error) {
    if (handleUnauthenticated(error)) return;
    el.loading.hidden = true;
    el.content.hidden = false;
    showAlert(el.alert, error.message || "We couldn't load your security info. Reload the page to try again.");
  }
}

start();
