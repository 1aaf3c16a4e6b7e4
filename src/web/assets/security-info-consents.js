// My Security Info: "Apps you've allowed" — the consents a person gave applications, with Revoke. Its failures
// stay inside its own section: the sign-in methods above keep working whatever happens here.

import { ApiError, del, get, seg } from './api.js';
import { formatDateTime, relativeHint } from './format.js';
import { $, clearAlert, clearStatus, contextButton, focusElement, h, showAlert, showStatus } from './ui.js';

const PATH = '/api/security-info/consents';

/** What the standard scopes let an app do, in the words of a consent page. */
const SCOPE_TEXT = {
  openid: 'Sign you in',
  profile: 'See your basic profile (name and username)',
  email: 'See your email address',
  offline_access: 'Keep access to what you allowed, even when you are not using it',
};

function describeScope(scope) {
  const text = SCOPE_TEXT[scope];
  return text ? [text, ' ', h('span', { class: 'muted' }, `(${scope})`)] : [h('code', {}, scope)];
}

const el = {
  section: $('#consents'),
  title: $('#consents-title'),
  alert: $('#consents-alert'),
  status: $('#consents-status'),
  list: $('#consent-list'),
};

let onUnauthenticated = () => false;

function renderConsent(consent) {
  const name = consent.displayName || consent.appId || 'Unnamed app';
  const scopes = Array.isArray(consent.scopes) ? consent.scopes.filter((s) => typeof s === 'string') : [];
  const revoke = contextButton('Revoke', name, { class: 'btn btn-danger-quiet btn-small' });
  revoke.addEventListener('click', () => revokeConsent(consent, name, revoke));
  return h(
    'li',
    { class: 'method', dataset: { appId: String(consent.appId ?? '') } },
    h('span', { class: 'method-icon', 'aria-hidden': 'true' }, name.slice(0, 1).toUpperCase()),
    h(
      'div',
      { class: 'method-body' },
      h('h3', { class: 'method-title' }, h('span', {}, name)),
      h(
        'ul',
        { class: 'method-meta' },
        h(
          'li',
          {},
          'Allowed ',
          formatDateTime(consent.grantedDateTime),
          ' ',
          relativeHint(consent.grantedDateTime, { past: '' }),
        ),
      ),
      scopes.length > 0
        ? h(
            'div',
            {},
            h('p', { class: 'muted' }, 'It can:'),
            h(
              'ul',
              { class: 'consent-scopes', 'aria-label': `Permissions of ${name}` },
              scopes.map((s) => h('li', {}, describeScope(s))),
            ),
          )
        : null,
    ),
    h('div', { class: 'method-actions' }, revoke),
  );
}

function render(consents) {
  if (consents.length === 0) {
    el.list.replaceChildren(h('li', { class: 'empty' }, 'No apps yet. Apps you allow to sign you in appear here.'));
    return;
  }
  const time = (c) => Date.parse(c.grantedDateTime ?? '') || 0;
  el.list.replaceChildren(...[...consents].sort((a, b) => time(b) - time(a)).map(renderConsent));
}

/** Loads the list into the section; never throws. */
export async function loadConsents() {
  try {
    const answer = await get(PATH);
    const consents = Array.isArray(answer?.value) ? answer.value : [];
    clearAlert(el.alert);
    render(consents);
  } catch (error) {
    if (onUnauthenticated(error)) return;
    el.list.replaceChildren();
    showAlert(
      el.alert,
      `We couldn't load the apps you've allowed. ${error instanceof ApiError ? error.message : ''}`.trim(),
    );
  }
}

async function revokeConsent(consent, name, button) {
  clearAlert(el.alert);
  clearStatus(el.status);
  button.disabled = true;
  try {
    await del(`${PATH}/${seg(consent.appId)}`);
    await loadConsents();
    showStatus(
      el.status,
      `Access for ${name} revoked. It's signed out, and asks for your permission again next time.`,
      { tone: 'success' },
    );
    focusElement(el.title);
  } catch (error) {
    if (onUnauthenticated(error)) return;
    button.disabled = false;
    showAlert(el.alert, `We couldn't revoke access for ${name}. ${error.message || 'Try again.'}`);
  }
}

/**
 * Shows the section and loads it (full sessions only: a Temporary Access Pass session is for setting up
 * security info). `handleUnauthenticated(error)` returns true when it took the person to sign-in.
 */
export function startConsents({ session, handleUnauthenticated }) {
  onUnauthenticated = handleUnauthenticated;
  if (session?.session?.kind !== 'full') {
    el.section.hidden = true;
    return Promise.resolve();
  }
  el.section.hidden = false;
  el.list.replaceChildren(
    h('li', { class: 'empty' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), 'Loading your apps…'),
  );
  return loadConsents();
}
