// The one-time result panel after creating a Temporary Access Pass, with the ready-to-send
// onboarding message. The code lives only in this panel's DOM: never in the URL, storage or logs.

import { formatDateTimeLong, relativeHint, tapWindow, timeElement } from './format.js';
import { tapUsabilityBadge } from './methods-view.js';
import { badge, copyText, focusElement, h, showStatus } from './ui.js';

// ---------------------------------------------------------------------------
// Result: shown once

export function onboardingMessage({ organizationName, signInUrl, user, code, start, end, isUsableOnce, startsLater }) {
  const upn = user.userPrincipalName;
  const greetingName = user.displayName ? `, ${user.displayName}` : '';
  const lines = [
    `Welcome to ${organizationName}${greetingName}!`,
    '',
    "Your account is ready. You won't need a password: you'll sign in with a passkey (your phone, your computer's screen lock or a security key). Use this Temporary Access Pass to set one up.",
    '',
    `Your account: ${upn}`,
    `Temporary Access Pass: ${code}`,
    startsLater ? `Valid from: ${formatDateTimeLong(start)}` : null,
    `Valid until: ${formatDateTimeLong(end)}`,
    '',
    'Steps:',
    `1. Open ${signInUrl}`,
    `2. Enter your email: ${upn} and choose Next.`,
    '3. Enter the Temporary Access Pass above and choose Sign in.',
    '4. Choose Add passkey and follow the prompts on your device.',
    '5. Then sign in with your new passkey (choose Continue with your passkey).',
    '',
    isUsableOnce
      ? 'Important: this pass can be used once, so add your passkey right after signing in with it.'
      : 'You can use this pass more than once until it expires, but add your passkey as soon as you can.',
    "Keep this pass to yourself: nobody from IT will ever ask you for it. From now on you'll sign in with your passkey.",
    '',
    "If the pass has expired or doesn't work, contact your IT team for a new one.",
  ];
  return lines.filter((line) => line !== null).join('\n');
}

export function renderResult(area, { user, created, deployment, onClose }) {
  const code = String(created.temporaryAccessPass ?? '');
  const { start, end } = tapWindow({ ...created, startDateTime: created.startDateTime ?? new Date().toISOString() });
  const startsLater = Boolean(start && start.getTime() > Date.now() + 60_000);
  const signInUrl = deployment?.signInUrl || `${window.location.origin}/signin`;
  const copyStatus = h('div', { class: 'status-region', role: 'status', 'aria-live': 'polite' });

  const codeInput = h('input', {
    id: 'tap-code',
    type: 'text',
    readOnly: true,
    value: code,
    autocomplete: 'off',
    spellcheck: 'false',
    'aria-describedby': 'tap-once-note',
  });
  const copyCode = h('button', { type: 'button', class: 'btn btn-secondary' }, 'Copy');
  const message = h('textarea', { id: 'tap-message', readOnly: true, rows: '16', spellcheck: 'false' });
  message.value = onboardingMessage({
    organizationName: deployment?.organizationName || 'Passless',
    signInUrl,
    user,
    code,
    start,
    end,
    isUsableOnce: created.isUsableOnce !== false,
    startsLater,
  });
  const copyMessage = h('button', { type: 'button', class: 'btn btn-secondary' }, 'Copy message');
  const done = h('button', { type: 'button', class: 'btn btn-primary' }, 'Done');

  const copy = async (text, field, what) => {
    const ok = await copyText(text, field);
    showStatus(
      copyStatus,
      ok
        ? `${what} copied to the clipboard.`
        : "Couldn't copy automatically. The text is selected: press Ctrl+C (or ⌘C) to copy it.",
      { tone: ok ? 'success' : 'info' },
    );
    if (!ok) {
      field.focus();
      field.select();
    }
  };
  copyCode.addEventListener('click', () => copy(code, codeInput, 'Pass'));
  copyMessage.addEventListener('click', () => copy(message.value, message, 'Message'));
  done.addEventListener('click', () => {
    // Drop the code from the page.
    codeInput.value = '';
    message.value = '';
    onClose();
  });

  const heading = h('h3', { id: 'tap-result-title' }, 'Temporary Access Pass created');
  const panel = h(
    'section',
    { class: 'panel result-panel' },
    heading,
    h(
      'p',
      { class: 'notice notice-warning', id: 'tap-once-note' },
      h('strong', {}, "This pass won't be shown again. "),
      'Copy it now and give it to the person through a channel you trust. Later you can only delete it or create a new one.',
    ),
    h(
      'div',
      { class: 'field' },
      h('label', { for: 'tap-code' }, 'Temporary Access Pass'),
      h('div', { class: 'secret-row' }, codeInput, copyCode),
    ),
    copyStatus,
    h(
      'dl',
      { class: 'details' },
      h('dt', {}, 'For'),
      h('dd', {}, `${user.displayName ?? ''} (${user.userPrincipalName ?? ''})`),
      h('dt', {}, 'Valid from'),
      h('dd', {}, timeElement(start), ' ', relativeHint(start, { future: 'starts', past: 'started' })),
      h('dt', {}, 'Valid until'),
      h('dd', {}, timeElement(end), ' ', relativeHint(end, { future: 'expires', past: 'expired' })),
      h('dt', {}, 'Use'),
      h('dd', {}, created.isUsableOnce !== false ? 'One-time use' : 'Multi-use until it expires'),
      h('dt', {}, 'Status'),
      h('dd', {}, created.isUsable === undefined ? badge('Created', 'success') : tapUsabilityBadge(created)),
      h('dt', {}, 'Sign-in URL'),
      h(
        'dd',
        {},
        /^https?:\/\//i.test(signInUrl)
          ? h('a', { href: signInUrl, target: '_blank', rel: 'noopener noreferrer' }, signInUrl)
          : signInUrl,
      ),
    ),
    h(
      'div',
      { class: 'field' },
      h('label', { for: 'tap-message' }, 'Onboarding message'),
      message,
      h('div', { class: 'row' }, copyMessage),
    ),
    h('div', { class: 'form-actions' }, done),
  );
  area.replaceChildren(panel);
  focusElement(heading);
}
