// /admin/users/{id} — account details, roles, authentication methods and Temporary Access Pass creation.

import { messageRegions } from './admin-common.js';
import { loadMethods } from './admin-user-methods.js';
import { loadRoles } from './admin-user-roles.js';
import { del, get, patch, seg } from './api.js';
import { timeElement } from './format.js';
import { badge, h, replace } from './ui.js';

export async function renderUser(view, ctx) {
  const [userId] = ctx.params;
  const base = `/v1.0/users/${seg(userId)}`;
  const messages = messageRegions();
  const flash = ctx.takeFlash();

  let user;
  try {
    user = await get(base);
  } catch (error) {
    if (ctx.handleAuthError(error) || !ctx.isCurrent()) return;
    ctx.title('User not found');
    view.append(
      h('p', { class: 'breadcrumb' }, h('a', { href: '/admin' }, 'Back to user list')),
      h('h1', {}, error.status === 404 ? 'User not found' : "Couldn't load this user"),
      messages.alert,
    );
    messages.error(error.status === 404 ? 'This user doesn’t exist. They may have been deleted.' : error.message);
    return;
  }
  if (!ctx.isCurrent()) return;

  const page = {
    ctx,
    user,
    base,
    messages,
    header: h('div', { class: 'page-header' }),
    details: h('section', { class: 'card' }),
    roles: h('section', { class: 'card' }),
    methods: h('section', { class: 'card' }),
    methodList: [],
  };

  view.append(
    h('p', { class: 'breadcrumb' }, h('a', { href: '/admin' }, 'Back to user list')),
    page.header,
    messages.alert,
    messages.status,
    page.details,
    page.methods,
    page.roles,
  );
  if (flash) messages.success(flash);

  renderDetails(page);
  await Promise.all([loadRoles(page), loadMethods(page)]);
}

// ---------------------------------------------------------------------------
// Account details

function renderDetails(page) {
  const { user, ctx } = page;
  const name = user.displayName || user.userPrincipalName;
  ctx.title(name);
  const enabled = user.accountEnabled !== false;
  replace(
    page.header,
    h('h1', {}, name),
    h(
      'p',
      { class: 'lead row' },
      h('span', { class: 'cell-break' }, user.userPrincipalName ?? ''),
      enabled ? badge('Enabled', 'success') : badge('Disabled', 'warning'),
    ),
  );

  const rows = [
    ['Display name', user.displayName],
    ['User principal name', user.userPrincipalName],
    ['Mail nickname', user.mailNickname],
    ['Mail', user.mail],
    ['Account', enabled ? 'Enabled' : 'Disabled — this person cannot sign in'],
    ['Created', user.createdDateTime ? timeElement(user.createdDateTime) : null],
    ['Hire date', user.employeeHireDate ? timeElement(user.employeeHireDate, { dateOnlyFormat: true }) : null],
    ['Object ID', h('code', {}, user.id)],
  ];
  const toggle = h(
    'button',
    { type: 'button', class: 'btn btn-secondary' },
    enabled ? 'Disable account' : 'Enable account',
  );
  const remove = h('button', { type: 'button', class: 'btn btn-danger-quiet' }, 'Delete user');
  const confirmSlot = h('div');
  toggle.addEventListener('click', () => toggleAccount(page, toggle));
  remove.addEventListener('click', () => confirmDelete(page, remove, confirmSlot));

  replace(
    page.details,
    h('div', { class: 'card-header' }, h('h2', { id: 'account-title' }, 'Account')),
    h(
      'dl',
      { class: 'details' },
      rows
        .filter(([, v]) => v !== null && v !== undefined && v !== '')
        .map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]),
    ),
    h('div', { class: 'form-actions' }, toggle, remove),
    confirmSlot,
  );
}

async function toggleAccount(page, button) {
  const { user, base, messages, ctx } = page;
  const enable = user.accountEnabled === false;
  button.disabled = true;
  try {
    await patch(base, { accountEnabled: enable });
    page.user = (await get(base)) ?? { ...user, accountEnabled: enable };
    if (!ctx.isCurrent()) return;
    renderDetails(page);
    messages.success(
      enable
        ? 'Account enabled. This person can sign in again.'
        : 'Account disabled. This person can’t sign in until you enable the account again.',
    );
    page.details.querySelector('.form-actions button')?.focus();
  } catch (error) {
    if (ctx.handleAuthError(error)) return;
    button.disabled = false;
    messages.error(error.message);
  }
}

function confirmDelete(page, removeButton, slot) {
  const { user, messages, ctx } = page;
  const name = user.displayName || user.userPrincipalName;
  const yes = h('button', { type: 'button', class: 'btn btn-danger' }, 'Delete permanently');
  const no = h('button', { type: 'button', class: 'btn btn-quiet' }, 'Cancel');
  const close = () => {
    slot.replaceChildren();
    removeButton.hidden = false;
    removeButton.focus();
  };
  no.addEventListener('click', close);
  yes.addEventListener('click', async () => {
    yes.disabled = true;
    no.disabled = true;
    try {
      await del(page.base);
      ctx.navigate('/admin', { flash: `User “${name}” deleted.` });
    } catch (error) {
      if (ctx.handleAuthError(error)) return;
      close();
      messages.error(error.message);
    }
  });
  const title = h(
    'p',
    { id: 'delete-user-question' },
    h('strong', {}, `Delete ${name}?`),
    ' Their passkeys and Temporary Access Pass stop working immediately. This can’t be undone.',
  );
  slot.replaceChildren(h('div', { class: 'confirm' }, title, h('div', { class: 'row' }, yes, no)));
  removeButton.hidden = true;
  no.focus();
}
