// The "Create Temporary Access Pass" form on a user's page (the result panel is in admin-tap-result.js).

import { messageRegions } from './admin-common.js';
import { renderResult } from './admin-tap-result.js';
import { ApiError, get, post } from './api.js';
import { formatMinutes, toLocalInputValue } from './format.js';
import { h } from './ui.js';

export const POLICY_PATH =
  '/v1.0/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/TemporaryAccessPass';

/** Graph's documented defaults, used when the policy can't be read. */
const FALLBACK_POLICY = {
  state: 'enabled',
  defaultLifetimeInMinutes: 60,
  minimumLifetimeInMinutes: 10,
  maximumLifetimeInMinutes: 43200,
  isUsableOnce: false,
};

export async function openTapForm(area, options) {
  area.replaceChildren(
    h(
      'div',
      { class: 'panel' },
      h(
        'p',
        { class: 'loading' },
        h('span', { class: 'spinner', 'aria-hidden': 'true' }),
        'Loading the Temporary Access Pass policy…',
      ),
    ),
  );
  let policy = null;
  let policyError = null;
  try {
    policy = await get(POLICY_PATH);
  } catch (error) {
    if (options.ctx.handleAuthError(error)) return;
    policyError = error;
  }
  if (!options.ctx.isCurrent() || !area.isConnected) return;
  renderForm(area, { ...options, policy: { ...FALLBACK_POLICY, ...(policy ?? {}) }, policyError });
}

function renderForm(area, { ctx, user, base, hasTap, policy, policyError, onCreated, onClose }) {
  const messages = messageRegions();
  const min = Number(policy.minimumLifetimeInMinutes);
  const max = Number(policy.maximumLifetimeInMinutes);
  const forcedOnce = policy.isUsableOnce === true;

  const lifetime = h('input', {
    id: 'tap-lifetime',
    type: 'number',
    inputmode: 'numeric',
    step: '1',
    min: String(min),
    max: String(max),
    value: String(policy.defaultLifetimeInMinutes),
    required: true,
    'aria-describedby': 'tap-lifetime-hint',
  });
  const lifetimeHint = h('p', { class: 'hint', id: 'tap-lifetime-hint' });
  const updateLifetimeHint = () => {
    const value = Number(lifetime.value);
    const now = Number.isFinite(value) && value > 0 ? ` This pass: ${formatMinutes(value)}.` : '';
    lifetimeHint.textContent = `Between ${min} and ${max} minutes (${formatMinutes(min)} to ${formatMinutes(max)}).${now}`;
  };
  updateLifetimeHint();
  lifetime.addEventListener('input', updateLifetimeHint);

  const once = h('input', {
    id: 'tap-once',
    type: 'checkbox',
    checked: true,
    disabled: forcedOnce,
    'aria-describedby': 'tap-once-hint',
  });
  const start = h('input', {
    id: 'tap-start',
    type: 'datetime-local',
    min: toLocalInputValue(new Date()),
    'aria-describedby': 'tap-start-hint',
  });
  const timeZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const create = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Create');
  const cancel = h('button', { type: 'button', class: 'btn btn-quiet' }, 'Cancel');
  const name = user.displayName || user.userPrincipalName;

  const form = h(
    'form',
    { class: 'panel', novalidate: true },
    h('h3', { id: 'tap-form-title' }, 'Create a Temporary Access Pass'),
    h(
      'p',
      { class: 'hint' },
      `${name} uses the pass once to sign in and add a passkey. You'll see the pass only once, right after creating it.`,
    ),
    hasTap
      ? h(
          'p',
          { class: 'notice notice-warning' },
          'This person already has a Temporary Access Pass. Creating a new one replaces it.',
        )
      : null,
    policy.state === 'disabled'
      ? h(
          'p',
          { class: 'notice notice-warning' },
          'The Temporary Access Pass policy is turned off, so nobody can sign in with a pass until it is enabled. ',
          h('a', { href: '/admin/policies/temporary-access-pass' }, 'Review the policy'),
        )
      : null,
    policyError
      ? h(
          'p',
          { class: 'notice' },
          `The policy couldn't be loaded (${policyError.message}). The server still checks its limits.`,
        )
      : null,
    messages.alert,
    h('div', { class: 'field' }, h('label', { for: 'tap-lifetime' }, 'Lifetime (minutes)'), lifetime, lifetimeHint),
    h(
      'div',
      { class: 'field check' },
      once,
      h(
        'div',
        {},
        h('label', { for: 'tap-once' }, 'One-time use'),
        h(
          'p',
          { class: 'hint', id: 'tap-once-hint' },
          forcedOnce
            ? 'The policy allows only one-time passes.'
            : 'Recommended. Untick to let the pass be used several times until it expires.',
        ),
      ),
    ),
    h(
      'div',
      { class: 'field' },
      h('label', { for: 'tap-start' }, 'Start time (optional)'),
      start,
      h('p', { class: 'hint', id: 'tap-start-hint' }, `Leave empty to start now. In your time zone (${timeZone}).`),
    ),
    h('div', { class: 'form-actions' }, create, cancel),
  );

  cancel.addEventListener('click', onClose);
  form.addEventListener('keydown', (event) => {
    if (event.key === 'Escape') onClose();
  });
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    messages.clear();
    lifetime.removeAttribute('aria-invalid');
    const minutes = Number(lifetime.value);
    if (lifetime.value.trim() === '' || !Number.isInteger(minutes)) {
      lifetime.setAttribute('aria-invalid', 'true');
      messages.error('Enter the lifetime as a whole number of minutes.');
      lifetime.focus();
      return;
    }
    const body = { lifetimeInMinutes: minutes, isUsableOnce: forcedOnce ? true : once.checked };
    if (start.value) {
      const startDate = new Date(start.value);
      if (Number.isNaN(startDate.getTime())) {
        messages.error('Enter a valid start time, or leave it empty to start now.');
        start.focus();
        return;
      }
      body.startDateTime = startDate.toISOString();
    }
    create.disabled = true;
    cancel.disabled = true;
    try {
      const [created, deployment] = await Promise.all([
        post(`${base}/authentication/temporaryAccessPassMethods`, body),
        ctx.deployment(),
      ]);
      if (!ctx.isCurrent()) return;
      renderResult(area, { user, created: { ...body, ...created }, deployment, onClose });
      onCreated?.();
    } catch (error) {
      if (ctx.handleAuthError(error)) return;
      create.disabled = false;
      cancel.disabled = false;
      messages.error(error instanceof ApiError ? error.message : "We couldn't create the pass. Try again.");
      if (error instanceof ApiError && /lifetime/i.test(error.message)) {
        lifetime.setAttribute('aria-invalid', 'true');
        lifetime.focus();
      }
    }
  });

  area.replaceChildren(form);
  lifetime.focus();
}
