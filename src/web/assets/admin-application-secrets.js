// The "Client secrets" card of an application's page: the list (description, hint, expiry), "New client secret"
// with the value shown once, and removal. The value lives only in the result panel's DOM, never in storage.

import { dataTable, messageRegions } from './admin-common.js';
import { ApiError, post } from './api.js';
import { relativeHint, timeElement, toDate } from './format.js';
import { badge, contextButton, copyText, focusElement, h, replace, showStatus } from './ui.js';

/** As in Entra's portal; 24 months is the longest Passless allows, and the server's default. */
const LIFETIMES = [
  { months: 6, label: '6 months' },
  { months: 12, label: '12 months' },
  { months: 24, label: '24 months (recommended)' },
];
const DEFAULT_MONTHS = 24;

function inMonths(months) {
  const end = new Date();
  end.setMonth(end.getMonth() + months);
  return end;
}

const secretName = (secret) => secret.displayName || `${secret.hint}…`;

export function renderSecrets(page) {
  const { ctx } = page;
  const messages = messageRegions();
  const newButton = h('button', { type: 'button', class: 'btn btn-primary' }, 'New client secret');
  const area = h('div');
  const { wrap, tbody } = dataTable({
    caption: 'Client secrets',
    columns: ['Description', 'Value', 'Expires', 'Secret ID', 'Actions'],
  });
  const confirmSlot = h('div');

  function paint() {
    const secrets = page.app.passwordCredentials ?? [];
    if (secrets.length === 0) {
      tbody.replaceChildren(
        h(
          'tr',
          {},
          h(
            'td',
            { colspan: '5', class: 'muted' },
            'No client secrets. Without one the app is a public client and cannot use a secret to sign in.',
          ),
        ),
      );
      return;
    }
    tbody.replaceChildren(
      ...secrets.map((secret) => {
        const end = toDate(secret.endDateTime);
        const expired = end && end.getTime() <= Date.now();
        const remove = contextButton('Remove', `secret ${secretName(secret)}`, {
          class: 'btn btn-danger-quiet btn-small',
        });
        remove.addEventListener('click', () => confirmRemove(secret, remove));
        return h(
          'tr',
          { dataset: { keyId: secret.keyId } },
          h('td', { class: 'cell-break' }, secret.displayName || h('span', { class: 'muted' }, 'No description')),
          h('td', { class: 'mono' }, `${secret.hint}…`),
          h(
            'td',
            {},
            timeElement(secret.endDateTime, { dateOnlyFormat: true }),
            ' ',
            expired ? badge('Expired', 'danger') : relativeHint(secret.endDateTime, { bare: true }),
          ),
          h('td', { class: 'mono cell-break' }, secret.keyId),
          h('td', {}, remove),
        );
      }),
    );
  }

  async function refresh() {
    await page.reloadEssentials();
    if (ctx.isCurrent()) paint();
  }

  function confirmRemove(secret, button) {
    const yes = h('button', { type: 'button', class: 'btn btn-danger' }, 'Remove permanently');
    const no = h('button', { type: 'button', class: 'btn btn-quiet' }, 'Keep it');
    const close = () => {
      confirmSlot.replaceChildren();
      if (button.isConnected) button.focus();
    };
    no.addEventListener('click', close);
    yes.addEventListener('click', async () => {
      yes.disabled = true;
      no.disabled = true;
      try {
        await post(`${page.base}/removePassword`, { keyId: secret.keyId });
        confirmSlot.replaceChildren();
        await refresh();
        messages.success(`Client secret “${secretName(secret)}” removed. Apps using it can no longer sign in with it.`);
        focusElement(page.secrets.querySelector('h2'));
      } catch (error) {
        if (ctx.handleAuthError(error)) return;
        close();
        messages.error(error.message);
      }
    });
    confirmSlot.replaceChildren(
      h(
        'div',
        { class: 'confirm' },
        h(
          'p',
          {},
          h('strong', {}, `Remove the client secret “${secretName(secret)}”?`),
          ' Apps that use it can no longer get tokens with it. This can’t be undone.',
        ),
        h('div', { class: 'row' }, yes, no),
      ),
    );
    no.focus();
  }

  function closeArea() {
    area.replaceChildren();
    newButton.hidden = false;
    newButton.focus();
  }

  function openForm() {
    const local = messageRegions();
    const description = h('input', {
      id: 'secret-description',
      type: 'text',
      maxlength: '256',
      autocomplete: 'off',
      'aria-describedby': 'secret-description-hint',
    });
    const expires = h(
      'select',
      { id: 'secret-expires' },
      LIFETIMES.map((l) => h('option', { value: String(l.months), selected: l.months === DEFAULT_MONTHS }, l.label)),
    );
    const add = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Add');
    const cancel = h('button', { type: 'button', class: 'btn btn-quiet' }, 'Cancel');
    const form = h(
      'form',
      { class: 'panel', novalidate: true },
      h('h3', {}, 'Add a client secret'),
      local.alert,
      h(
        'div',
        { class: 'field' },
        h('label', { for: 'secret-description' }, 'Description'),
        description,
        h(
          'p',
          { class: 'hint', id: 'secret-description-hint' },
          'Optional. Where it is used, for example “Production web server”.',
        ),
      ),
      h('div', { class: 'field' }, h('label', { for: 'secret-expires' }, 'Expires'), expires),
      h('div', { class: 'form-actions' }, add, cancel),
    );
    cancel.addEventListener('click', closeArea);
    form.addEventListener('keydown', (event) => {
      if (event.key === 'Escape') closeArea();
    });
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      local.clear();
      const months = Number(expires.value);
      const passwordCredential = {};
      if (description.value.trim()) passwordCredential.displayName = description.value.trim();
      // 24 months is the server's default: leaving it to the server avoids refusals from clock skew or a leap day.
      if (months !== DEFAULT_MONTHS) passwordCredential.endDateTime = inMonths(months).toISOString();
      add.disabled = true;
      cancel.disabled = true;
      try {
        const created = await post(`${page.base}/addPassword`, { passwordCredential });
        if (!ctx.isCurrent()) return;
        showResult(created);
        refresh();
      } catch (error) {
        if (ctx.handleAuthError(error)) return;
        add.disabled = false;
        cancel.disabled = false;
        local.error(error instanceof ApiError ? error.message : "We couldn't add the secret. Try again.");
      }
    });
    area.replaceChildren(form);
    newButton.hidden = true;
    description.focus();
  }

  function showResult(created) {
    const copyStatus = h('div', { class: 'status-region', role: 'status', 'aria-live': 'polite' });
    const value = h('input', {
      id: 'secret-value',
      type: 'text',
      readOnly: true,
      value: String(created.secretText ?? ''),
      autocomplete: 'off',
      spellcheck: 'false',
      'aria-describedby': 'secret-once-note',
    });
    const copy = contextButton('Copy', 'client secret value', { class: 'btn btn-secondary' });
    copy.addEventListener('click', async () => {
      const ok = await copyText(value.value, value);
      showStatus(
        copyStatus,
        ok ? 'Secret copied to the clipboard.' : 'Couldn’t copy automatically. The secret is selected: press Ctrl+C.',
        { tone: ok ? 'success' : 'info' },
      );
      if (!ok) value.select();
    });
    const done = h('button', { type: 'button', class: 'btn btn-primary' }, 'Done');
    done.addEventListener('click', () => {
      value.value = '';
      closeArea();
    });
    const heading = h('h3', {}, 'Client secret added');
    area.replaceChildren(
      h(
        'section',
        { class: 'panel result-panel' },
        heading,
        h(
          'p',
          { class: 'notice notice-warning', id: 'secret-once-note' },
          h('strong', {}, 'Copy the secret value now: it won’t be shown again. '),
          'After you leave this page only its first characters are shown. Store it in the app’s configuration or a vault.',
        ),
        h(
          'div',
          { class: 'field' },
          h('label', { for: 'secret-value' }, 'Client secret value'),
          h('div', { class: 'secret-row' }, value, copy),
        ),
        copyStatus,
        h(
          'dl',
          { class: 'details' },
          h('dt', {}, 'Description'),
          h('dd', {}, created.displayName || '—'),
          h('dt', {}, 'Expires'),
          h('dd', {}, timeElement(created.endDateTime)),
          h('dt', {}, 'Secret ID'),
          h('dd', { class: 'mono' }, created.keyId ?? ''),
        ),
        h('div', { class: 'form-actions' }, done),
      ),
    );
    focusElement(heading);
  }

  newButton.addEventListener('click', openForm);
  replace(
    page.secrets,
    h('div', { class: 'card-header' }, h('h2', { id: 'secrets-title' }, 'Client secrets'), newButton),
    h(
      'p',
      { class: 'hint card-lead' },
      'A web app or a service proves who it is with a client secret when it gets tokens. Replace a secret before it expires.',
    ),
    messages.alert,
    messages.status,
    area,
    wrap,
    confirmSlot,
  );
  paint();
}
