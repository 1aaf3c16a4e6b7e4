// /admin/applications — application registrations: search, paging, and the "New application" form.

import { applicationFields } from './admin-application-form.js';
import { dataTable, messageRegions, pagedTable, pageHeader } from './admin-common.js';
import { ApiError, post, seg } from './api.js';
import { timeElement } from './format.js';
import { badge, h } from './ui.js';

const SEARCH_DELAY_MS = 300;

function applicationsUrl(term) {
  const base = '/v1.0/applications?$top=50';
  if (!term) return base;
  const phrase = `"displayName:${term.replace(/"/g, '')}"`;
  return `${base}&$search=${encodeURIComponent(phrase)}`;
}

export function firstPartyBadge(app) {
  return app.isFirstParty ? badge('First-party', 'info') : badge('Third-party', 'neutral');
}

export async function renderApplications(view, ctx) {
  ctx.title('Applications');
  const messages = messageRegions();

  const searchInput = h('input', {
    id: 'application-search',
    type: 'text',
    autocomplete: 'off',
    spellcheck: 'false',
    placeholder: 'Search by display name',
  });
  const searchForm = h(
    'form',
    { role: 'search', class: 'field search-field', novalidate: true },
    h('label', { for: 'application-search' }, 'Search applications'),
    searchInput,
  );
  const newButton = h('button', { type: 'button', class: 'btn btn-primary' }, 'New application');
  const newPanel = h('div', { class: 'panel', hidden: true });
  const resultCount = h('p', { class: 'visually-hidden', role: 'status', 'aria-live': 'polite' });
  const { wrap, tbody } = dataTable({
    caption: 'Applications',
    columns: ['Display name', 'Application (client) ID', 'First-party', 'Created'],
  });
  const footer = h('div');

  view.append(
    pageHeader(
      'Applications',
      'Apps that sign people in with Passless (OpenID Connect) or call its API. Each registration is a client: its Application (client) ID is the client_id.',
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
    emptyText: 'No applications found.',
    renderRow: (app) =>
      h(
        'tr',
        {},
        h(
          'td',
          { class: 'cell-break' },
          h('a', { href: `/admin/applications/${seg(app.id)}` }, app.displayName || app.appId),
        ),
        h('td', { class: 'mono cell-break' }, app.appId ?? ''),
        h('td', {}, app.isFirstParty ? badge('Yes', 'info') : 'No'),
        h('td', { class: 'nowrap' }, timeElement(app.createdDateTime, { dateOnlyFormat: true })),
      ),
    onLoaded: ({ items, hasMore, appended }) => {
      const noun = (n) => (n === 1 ? 'application' : 'applications');
      if (appended !== null) resultCount.textContent = `${appended} more ${noun(appended)} loaded.`;
      else if (searchInput.value.trim())
        resultCount.textContent = `${items.length}${hasMore ? '+' : ''} ${noun(items.length)} found.`;
      else resultCount.textContent = '';
    },
  });

  // Debounced search; $search needs the ConsistencyLevel header, as on Graph.
  let timer = null;
  let lastTerm = '';
  const runSearch = () => {
    const term = searchInput.value.trim().slice(0, 100);
    if (term === lastTerm) return;
    lastTerm = term;
    table.setHeaders(term ? { ConsistencyLevel: 'eventual' } : {});
    table.reload(applicationsUrl(term));
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
    openNewApplicationForm(newPanel, ctx, () => {
      newPanel.hidden = true;
      newButton.hidden = false;
      newButton.focus();
    });
    newButton.hidden = true;
  });

  await table.reload(applicationsUrl(''));
}

function openNewApplicationForm(panel, ctx, close) {
  const messages = messageRegions();
  const fields = applicationFields('new-app');
  const register = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Register');
  const cancel = h('button', { type: 'button', class: 'btn btn-quiet' }, 'Cancel');
  const form = h(
    'form',
    { novalidate: true },
    h('h2', {}, 'New application'),
    h(
      'p',
      { class: 'hint' },
      'Register the app, then add a client secret on its page if it is a web app or a service that signs in on its own.',
    ),
    messages.alert,
    fields.elements,
    h('div', { class: 'form-actions' }, register, cancel),
  );
  cancel.addEventListener('click', close);
  form.addEventListener('keydown', (event) => {
    if (event.key === 'Escape') close();
  });
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    messages.clear();
    fields.clearInvalid();
    const { body, invalid } = fields.read();
    if (invalid) {
      invalid[0].setAttribute('aria-invalid', 'true');
      messages.error(invalid[1]);
      invalid[0].focus();
      return;
    }
    register.disabled = true;
    try {
      const app = await post('/v1.0/applications', body);
      ctx.navigate(`/admin/applications/${seg(app.id)}`, {
        flash: `Application “${app.displayName ?? body.displayName}” registered. Its Application (client) ID is below.`,
      });
    } catch (error) {
      if (ctx.handleAuthError(error)) return;
      register.disabled = false;
      messages.error(error instanceof ApiError ? error.message : "We couldn't register the application. Try again.");
      fields.markInvalid(error.message)?.focus();
    }
  });

  panel.replaceChildren(form);
  panel.hidden = false;
  fields.displayName.focus();
}
