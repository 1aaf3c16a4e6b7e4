// /admin — the user list: search, paging, and the "New user" form.

import { dataTable, messageRegions, pagedTable, pageHeader } from './admin-common.js';
import { ApiError, post, seg } from './api.js';
import { timeElement } from './format.js';
import { badge, h } from './ui.js';

const SEARCH_DELAY_MS = 300;

/** Graph $search phrase: quotes and backslashes inside the phrase are escaped. */
function searchPhrase(term) {
  return `"displayName:${term.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

function usersUrl(term) {
  const base = '/v1.0/users?$top=50';
  return term ? `${base}&$search=${encodeURIComponent(searchPhrase(term))}` : base;
}

export async function renderUsers(view, ctx) {
  ctx.title('Users');
  const messages = messageRegions();

  const searchInput = h('input', {
    id: 'user-search',
    type: 'text',
    autocomplete: 'off',
    spellcheck: 'false',
    placeholder: 'Search by display name',
  });
  const searchForm = h(
    'form',
    { role: 'search', class: 'field search-field', novalidate: true },
    h('label', { for: 'user-search' }, 'Search users'),
    searchInput,
  );
  const newButton = h('button', { type: 'button', class: 'btn btn-primary' }, 'New user');
  const newPanel = h('div', { class: 'panel', hidden: true });
  const resultCount = h('p', { class: 'visually-hidden', role: 'status', 'aria-live': 'polite' });

  const { wrap, tbody } = dataTable({
    caption: 'Users',
    columns: ['Display name', 'User principal name', 'Account', 'Created'],
  });
  const footer = h('div');

  view.append(
    pageHeader(
      'Users',
      'Everyone in your directory. Create accounts here, then give people a Temporary Access Pass to set up their passkeys.',
    ),
    messages.alert,
    messages.status,
    h('div', { class: 'toolbar' }, searchForm, newButton),
    newPanel,
    resultCount,
    wrap,
    footer,
  );

  const flash = ctx.takeFlash();
  if (flash) messages.success(flash);

  const table = pagedTable({
    ctx,
    tbody,
    columns: 4,
    footer,
    messages,
    focusAfterLast: wrap,
    emptyText: 'No users found.',
    renderRow: (user) =>
      h(
        'tr',
        {},
        h(
          'td',
          { class: 'cell-break' },
          h('a', { href: `/admin/users/${seg(user.id)}` }, user.displayName || user.userPrincipalName || user.id),
        ),
        h('td', { class: 'cell-break' }, user.userPrincipalName ?? ''),
        h('td', {}, user.accountEnabled === false ? badge('Disabled', 'warning') : badge('Enabled', 'success')),
        h('td', { class: 'nowrap' }, timeElement(user.createdDateTime, { dateOnlyFormat: true })),
      ),
    onLoaded: ({ items, hasMore, appended }) => {
      if (appended !== null) resultCount.textContent = `${appended} more ${appended === 1 ? 'user' : 'users'} loaded.`;
      else if (searchInput.value.trim())
        resultCount.textContent = `${items.length}${hasMore ? '+' : ''} ${items.length === 1 ? 'user' : 'users'} found.`;
      else resultCount.textContent = '';
    },
  });

  // Debounced search; the $search query needs the ConsistencyLevel header (Graph advanced queries).
  let timer = null;
  let lastTerm = '';
  const runSearch = () => {
    const term = searchInput.value.trim();
    if (term === lastTerm) return;
    lastTerm = term;
    table.setHeaders(term ? { ConsistencyLevel: 'eventual' } : {});
    table.reload(usersUrl(term));
  };
  searchInput.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(runSearch, SEARCH_DELAY_MS);
  });
  searchForm.addEventListener('submit', (event) => {
    event.preventDefault();
    clearTimeout(timer);
    runSearch();
  });

  newButton.addEventListener('click', () => {
    openNewUserForm(newPanel, ctx, () => {
      newPanel.hidden = true;
      newButton.hidden = false;
      newButton.focus();
    });
    newButton.hidden = true;
  });

  await table.reload(usersUrl(''));
}

/** Mail nickname from the local part of a UPN: letters, digits and . - _ only. */
function nicknameFrom(upn) {
  const local = String(upn).split('@')[0] ?? '';
  return local.replace(/[^A-Za-z0-9._-]/g, '').slice(0, 64);
}

// Labels are exactly the field names (tests and screen readers find fields by them);
// "Optional" goes in the hint.
function field(id, labelText, input, hint) {
  return h(
    'div',
    { class: 'field' },
    h('label', { for: id }, labelText),
    input,
    hint ? h('p', { class: 'hint', id: `${id}-hint` }, hint) : null,
  );
}

function openNewUserForm(panel, ctx, close) {
  const messages = messageRegions();
  const displayName = h('input', { id: 'new-display-name', type: 'text', autocomplete: 'off', required: true });
  const upn = h('input', {
    id: 'new-upn',
    type: 'text',
    inputmode: 'email',
    autocomplete: 'off',
    spellcheck: 'false',
    autocapitalize: 'none',
    required: true,
    'aria-describedby': 'new-upn-hint',
  });
  const nickname = h('input', {
    id: 'new-nickname',
    type: 'text',
    autocomplete: 'off',
    spellcheck: 'false',
    autocapitalize: 'none',
    'aria-describedby': 'new-nickname-hint',
  });
  const mail = h('input', {
    id: 'new-mail',
    type: 'email',
    autocomplete: 'off',
    spellcheck: 'false',
    'aria-describedby': 'new-mail-hint',
  });
  const create = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Create');
  const cancel = h('button', { type: 'button', class: 'btn btn-quiet' }, 'Cancel');

  // The nickname follows the UPN until someone edits it by hand.
  let nicknameEdited = false;
  nickname.addEventListener('input', () => {
    nicknameEdited = nickname.value.trim() !== '';
  });
  upn.addEventListener('input', () => {
    if (!nicknameEdited) nickname.value = nicknameFrom(upn.value);
  });

  const form = h(
    'form',
    { novalidate: true },
    h('h2', {}, 'New user'),
    h(
      'p',
      { class: 'hint' },
      'No password is created. After creating the account, give the person a Temporary Access Pass to set up a passkey.',
    ),
    messages.alert,
    h(
      'div',
      { class: 'form-grid' },
      field('new-display-name', 'Display name', displayName),
      field('new-upn', 'User principal name', upn, 'The sign-in name, for example jane@contoso.com.'),
      field('new-nickname', 'Mail nickname', nickname, 'Optional. Filled in from the user principal name.'),
      field('new-mail', 'Mail', mail, 'Optional. The email address for messages to this person.'),
    ),
    h('div', { class: 'form-actions' }, create, cancel),
  );
  cancel.addEventListener('click', close);
  form.addEventListener('keydown', (event) => {
    if (event.key === 'Escape') close();
  });

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    messages.clear();
    for (const input of [displayName, upn, mail]) input.removeAttribute('aria-invalid');
    const body = {
      accountEnabled: true,
      displayName: displayName.value.trim(),
      userPrincipalName: upn.value.trim(),
      mailNickname: nickname.value.trim() || nicknameFrom(upn.value.trim()),
    };
    if (mail.value.trim()) body.mail = mail.value.trim();
    const invalid = !body.displayName
      ? [displayName, 'Enter a display name.']
      : !/^[^@\s]+@[^@\s]+$/.test(body.userPrincipalName)
        ? [upn, 'Enter a user principal name like jane@contoso.com.']
        : null;
    if (invalid) {
      invalid[0].setAttribute('aria-invalid', 'true');
      messages.error(invalid[1]);
      invalid[0].focus();
      return;
    }
    create.disabled = true;
    try {
      const user = await post('/v1.0/users', body);
      ctx.navigate(`/admin/users/${seg(user.id)}`, {
        flash: `User “${user.displayName ?? body.displayName}” created. Next, create a Temporary Access Pass so they can set up a passkey.`,
      });
    } catch (error) {
      if (ctx.handleAuthError(error)) return;
      create.disabled = false;
      messages.error(error instanceof ApiError ? error.message : "We couldn't create the user. Try again.");
    }
  });

  panel.replaceChildren(form);
  panel.hidden = false;
  displayName.focus();
}
