// Rendering of authentication methods (Temporary Access Pass, passkeys), shared by
// My Security Info and the admin console's user page. Callers add their own action buttons.

import { relativeHint, tapWindow, timeElement } from './format.js';
import { badge, h } from './ui.js';

export const TAP_TYPE = '#microsoft.graph.temporaryAccessPassAuthenticationMethod';
export const FIDO2_TYPE = '#microsoft.graph.fido2AuthenticationMethod';

export const isTap = (m) => m?.['@odata.type'] === TAP_TYPE;
export const isPasskey = (m) => m?.['@odata.type'] === FIDO2_TYPE;

const REASONS = {
  EnabledByPolicy: 'Usable',
  DisabledByPolicy: 'Turned off by policy',
  Expired: 'Expired',
  NotYetValid: 'Not valid yet',
  OneTimeUsed: 'Already used',
};

const REASON_DETAILS = {
  DisabledByPolicy: "Your organization's policy doesn't allow signing in with this pass.",
  Expired: 'This pass has expired and can no longer be used.',
  NotYetValid: 'This pass can be used from its start time.',
  OneTimeUsed: 'This one-time pass has been used to sign in.',
};

/** "Usable" or the reason a pass can't be used, as a badge. */
export function tapUsabilityBadge(method) {
  if (method.isUsable) return badge('Usable', 'success');
  const reason = method.methodUsabilityReason;
  const text = REASONS[reason] ?? (reason ? String(reason) : 'Not usable');
  return badge(text, reason === 'NotYetValid' ? 'info' : 'warning');
}

/** Details of a Temporary Access Pass: validity window, one-time or multi-use, usability. */
export function tapMetaItems(method, { audience = 'self' } = {}) {
  const { start, end } = tapWindow(method);
  const items = [];
  const now = Date.now();
  items.push(
    h(
      'li',
      {},
      'Valid from ',
      timeElement(start),
      ' until ',
      timeElement(end),
      ' ',
      end && end.getTime() > now && start && start.getTime() > now
        ? relativeHint(start, { future: 'starts', past: 'started' })
        : relativeHint(end, { future: 'expires', past: 'expired' }),
    ),
  );
  items.push(h('li', {}, method.isUsableOnce ? 'One-time use' : 'Multi-use until it expires'));
  if (!method.isUsable && REASON_DETAILS[method.methodUsabilityReason]) {
    let text = REASON_DETAILS[method.methodUsabilityReason];
    if (audience === 'admin')
      text = text.replace("Your organization's policy doesn't", "The Temporary Access Pass policy doesn't");
    items.push(h('li', {}, text));
  }
  if (method.createdDateTime) items.push(h('li', {}, 'Created ', timeElement(method.createdDateTime)));
  return items;
}

export function passkeyName(method) {
  const name = typeof method.displayName === 'string' ? method.displayName.trim() : '';
  return name !== '' ? name : 'Passkey';
}

/** Synced vs device-bound, from the isBackedUp extension. */
export function passkeyKindBadge(method) {
  if (method.isBackedUp === true) return badge('Synced', 'info');
  if (method.isBackedUp === false) return badge('Device-bound', 'neutral');
  return null;
}

export function passkeyMetaItems(method, { audience = 'self' } = {}) {
  const items = [];
  if (method.isBackedUp === true) {
    const whose = audience === 'admin' ? 'their' : 'your';
    items.push(h('li', {}, `Synced passkey: available on ${whose} other devices that use the same passkey provider`));
  } else if (method.isBackedUp === false) {
    items.push(h('li', {}, 'Device-bound passkey: stays on one device or security key'));
  }
  if (method.model) items.push(h('li', {}, `Authenticator: ${method.model}`));
  items.push(h('li', {}, 'Added ', timeElement(method.createdDateTime)));
  if (method.lastUsedDateTime) {
    items.push(
      h('li', {}, 'Last used ', timeElement(method.lastUsedDateTime), ' ', relativeHint(method.lastUsedDateTime)),
    );
  } else {
    items.push(h('li', {}, 'Not used to sign in yet'));
  }
  return items;
}

const TYPE_NAMES = {
  '#microsoft.graph.passwordAuthenticationMethod': 'Password',
  '#microsoft.graph.emailAuthenticationMethod': 'Email',
  '#microsoft.graph.phoneAuthenticationMethod': 'Phone',
  '#microsoft.graph.microsoftAuthenticatorAuthenticationMethod': 'Microsoft Authenticator',
  '#microsoft.graph.windowsHelloForBusinessAuthenticationMethod': 'Windows Hello for Business',
  '#microsoft.graph.softwareOathAuthenticationMethod': 'Authenticator app (code)',
};

export function methodTypeName(method) {
  if (isTap(method)) return 'Temporary Access Pass';
  if (isPasskey(method)) return 'Passkey';
  const type = String(method?.['@odata.type'] ?? '');
  return (
    TYPE_NAMES[type] ?? (type.replace('#microsoft.graph.', '').replace(/AuthenticationMethod$/, '') || 'Sign-in method')
  );
}

/**
 * One list item: icon, title (with badges), details, actions, and an optional slot for inline editors.
 * Returns {item, actions, editSlot}.
 */
export function methodItem(method, { title, badges = [], meta = [], actions = [] }) {
  const icon = isTap(method)
    ? h('span', { class: 'method-icon tap', 'aria-hidden': 'true' }, 'TAP')
    : h('span', { class: 'method-icon', 'aria-hidden': 'true' }, h('span', { class: 'key-icon' }));
  const actionsEl = h('div', { class: 'method-actions' }, actions);
  const editSlot = h('div', { class: 'method-edit', hidden: true });
  const item = h(
    'li',
    { class: 'method', dataset: { methodId: String(method.id ?? '') } },
    icon,
    h(
      'div',
      { class: 'method-body' },
      h('h3', { class: 'method-title' }, h('span', {}, title), badges),
      h('ul', { class: 'method-meta' }, meta),
    ),
    actionsEl,
    editSlot,
  );
  return { item, actions: actionsEl, editSlot };
}

/** Temporary Access Pass first, then passkeys (oldest first), then anything else. */
export function sortMethods(methods) {
  const rank = (m) => (isTap(m) ? 0 : isPasskey(m) ? 1 : 2);
  return [...methods].sort(
    (a, b) => rank(a) - rank(b) || String(a.createdDateTime ?? '').localeCompare(String(b.createdDateTime ?? '')),
  );
}
