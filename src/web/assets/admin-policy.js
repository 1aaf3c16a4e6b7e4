// /admin/policies/temporary-access-pass — the Temporary Access Pass policy.

import { messageRegions, pageHeader } from './admin-common.js';
import { POLICY_PATH } from './admin-tap.js';
import { get, patch } from './api.js';
import { formatMinutes, timeElement } from './format.js';
import { focusElement, h } from './ui.js';

const NUMBER_FIELDS = [
  {
    key: 'defaultLifetimeInMinutes',
    id: 'policy-default',
    label: 'Default lifetime (minutes)',
    hint: 'Suggested when creating a pass.',
  },
  { key: 'minimumLifetimeInMinutes', id: 'policy-min', label: 'Minimum lifetime (minutes)', hint: 'At least 10.' },
  {
    key: 'maximumLifetimeInMinutes',
    id: 'policy-max',
    label: 'Maximum lifetime (minutes)',
    hint: 'At most 43200 (30 days).',
  },
  { key: 'defaultLength', id: 'policy-length', label: 'Length', hint: 'Characters in each new pass, 8 to 48.' },
];

function describeTargets(targets, emptyText) {
  if (!Array.isArray(targets) || targets.length === 0) return emptyText;
  return targets
    .map((t) => {
      if (t.id === 'all_users') return 'All users';
      const kind = t.targetType === 'group' ? 'Group' : t.targetType === 'user' ? 'User' : 'Target';
      return `${kind} ${t.displayName ?? t.id}`;
    })
    .join(', ');
}

function numberField({ id, label, hint }, value, { min, max, minutes = false } = {}) {
  const input = h('input', {
    id,
    type: 'number',
    inputmode: 'numeric',
    step: '1',
    min: min === undefined ? null : String(min),
    max: max === undefined ? null : String(max),
    value: value === undefined || value === null ? '' : String(value),
    'aria-describedby': `${id}-hint`,
  });
  const hintEl = h('p', { class: 'hint', id: `${id}-hint` });
  const update = () => {
    const n = Number(input.value);
    const human = minutes && input.value !== '' && Number.isFinite(n) && n > 0 ? ` Now: ${formatMinutes(n)}.` : '';
    hintEl.textContent = `${hint}${human}`;
  };
  update();
  input.addEventListener('input', update);
  return { input, el: h('div', { class: 'field' }, h('label', { for: id }, label), input, hintEl) };
}

function checkField(id, label, checked, hint) {
  const input = h('input', { id, type: 'checkbox', checked: Boolean(checked), 'aria-describedby': `${id}-hint` });
  return {
    input,
    el: h(
      'div',
      { class: 'field check' },
      input,
      h('div', {}, h('label', { for: id }, label), h('p', { class: 'hint', id: `${id}-hint` }, hint)),
    ),
  };
}

export async function renderPolicy(view, ctx) {
  ctx.title('Temporary Access Pass policy');
  const messages = messageRegions();
  const body = h(
    'div',
    {},
    h('p', { class: 'loading' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), 'Loading…'),
  );
  view.append(
    pageHeader(
      'Temporary Access Pass policy',
      'Who can sign in with a Temporary Access Pass, and the limits for new passes.',
    ),
    messages.alert,
    messages.status,
    body,
  );

  let policy;
  try {
    policy = await get(POLICY_PATH);
  } catch (error) {
    if (ctx.handleAuthError(error) || !ctx.isCurrent()) return;
    body.replaceChildren();
    messages.error(error.message);
    return;
  }
  if (!ctx.isCurrent()) return;
  renderForm(body, ctx, messages, policy);
}

function renderForm(body, ctx, messages, policy) {
  const enabled = checkField(
    'policy-enabled',
    'Enabled',
    policy.state === 'enabled',
    'When off, nobody can sign in with a Temporary Access Pass.',
  );
  const numbers = NUMBER_FIELDS.map((f) =>
    numberField(
      f,
      policy[f.key],
      f.key === 'defaultLength' ? { min: 8, max: 48 } : { min: 10, max: 43200, minutes: true },
    ),
  );
  const once = checkField(
    'policy-once',
    'One-time use only',
    policy.isUsableOnce,
    'Every pass can be used to sign in only once. When off, admins choose per pass.',
  );
  const apps = checkField(
    'policy-apps',
    'Let a pass sign in to applications',
    policy.isUsableForApplications === true,
    'Off: a pass only sets up a passkey. On: it also signs in to applications, with tokens that end when the pass does.',
  );
  const retire = checkField(
    'policy-retire',
    'Delete the pass after the first passkey is registered',
    policy.retireOnPasskeyRegistration,
    'The pass stops working as soon as it has done its job.',
  );
  const windowField = numberField(
    {
      id: 'policy-window',
      label: 'Registration window (minutes)',
      hint: 'How long after signing in with a pass the person can add passkeys.',
    },
    policy.registrationWindowInMinutes,
    { min: 1, minutes: true },
  );
  const save = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Save');

  const form = h(
    'form',
    { class: 'card', novalidate: true },
    h('h2', {}, 'Settings'),
    enabled.el,
    h(
      'fieldset',
      {},
      h('legend', {}, 'Lifetime and format'),
      h(
        'div',
        { class: 'form-grid' },
        numbers.map((n) => n.el),
      ),
    ),
    h('fieldset', {}, h('legend', {}, 'Use'), once.el, retire.el, apps.el, windowField.el),
    h('div', { class: 'form-actions' }, save),
  );

  const targets = h(
    'section',
    { class: 'card' },
    h('h2', { id: 'policy-targets-title' }, 'Who it applies to'),
    h(
      'dl',
      { class: 'details' },
      h('dt', {}, 'Included'),
      h('dd', {}, describeTargets(policy.includeTargets, 'Nobody')),
      h('dt', {}, 'Excluded'),
      h('dd', {}, describeTargets(policy.excludeTargets, 'Nobody')),
      policy.lastModifiedDateTime
        ? [h('dt', {}, 'Last changed'), h('dd', {}, timeElement(policy.lastModifiedDateTime))]
        : null,
    ),
  );

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    messages.clear();
    const next = { state: enabled.input.checked ? 'enabled' : 'disabled' };
    const all = [
      ...NUMBER_FIELDS.map((f, i) => [f, numbers[i].input]),
      [{ key: 'registrationWindowInMinutes', label: 'Registration window (minutes)' }, windowField.input],
    ];
    for (const [f, input] of all) {
      input.removeAttribute('aria-invalid');
      if (input.value.trim() === '' && (policy[f.key] === undefined || policy[f.key] === null)) continue;
      const n = Number(input.value);
      if (input.value.trim() === '' || !Number.isInteger(n)) {
        input.setAttribute('aria-invalid', 'true');
        messages.error(`${f.label}: enter a whole number.`);
        input.focus();
        return;
      }
      next[f.key] = n;
    }
    next.isUsableOnce = once.input.checked;
    next.retireOnPasskeyRegistration = retire.input.checked;
    next.isUsableForApplications = apps.input.checked;

    // PATCH only what changed.
    const changes = Object.fromEntries(Object.entries(next).filter(([k, v]) => policy[k] !== v));
    if (Object.keys(changes).length === 0) {
      messages.info('No changes to save.');
      return;
    }
    save.disabled = true;
    try {
      const answer = await patch(POLICY_PATH, changes);
      const fresh = answer && typeof answer === 'object' && 'state' in answer ? answer : await get(POLICY_PATH);
      if (!ctx.isCurrent()) return;
      renderForm(body, ctx, messages, fresh);
      messages.success('Temporary Access Pass policy saved.');
      focusElement(body.querySelector('button[type="submit"]'));
    } catch (error) {
      if (ctx.handleAuthError(error)) return;
      save.disabled = false;
      messages.error(error.message);
    }
  });

  body.replaceChildren(form, targets);
}
