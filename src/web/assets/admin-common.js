// Building blocks shared by the admin console views.

import { ApiError, get, toSameOriginPath } from './api.js';
import { clearAlert, clearStatus, contextButton, copyText, h, showAlert, showStatus } from './ui.js';

/** An error alert (hidden while empty) and a polite status region, for the top of a view or next to a form. */
export function messageRegions() {
  const alert = h('div', { class: 'alert', role: 'alert', hidden: true });
  const status = h('div', { class: 'status-region', role: 'status', 'aria-live': 'polite' });
  return {
    alert,
    status,
    error(message, ...extra) {
      clearStatus(status);
      showAlert(alert, message, ...extra);
    },
    success(message) {
      clearAlert(alert);
      showStatus(status, message, { tone: 'success' });
    },
    progress(message) {
      showStatus(status, message, { tone: 'progress' });
    },
    info(message) {
      showStatus(status, message, { tone: 'info' });
    },
    clear() {
      clearAlert(alert);
      clearStatus(status);
    },
  };
}

/** A page heading block with an optional lead paragraph. */
export function pageHeader(title, lead, ...extra) {
  return h(
    'div',
    { class: 'page-header' },
    h('h1', {}, title),
    lead ? h('p', { class: 'lead' }, lead) : null,
    ...extra,
  );
}

/**
 * A table inside a horizontally scrollable, keyboard-focusable wrapper.
 * `columns`: array of header texts. Returns {wrap, table, tbody}.
 */
export function dataTable({ caption, columns }) {
  const tbody = h('tbody');
  const table = h(
    'table',
    {},
    h('caption', { class: 'visually-hidden' }, caption),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        columns.map((c) => h('th', { scope: 'col' }, c)),
      ),
    ),
    tbody,
  );
  const wrap = h(
    'div',
    { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': `${caption} table` },
    table,
  );
  return { wrap, table, tbody };
}

/**
 * Fill a table from a Graph collection, with a "Load more" button while there is an @odata.nextLink.
 * Returns {reload(url)}. `renderRow(item)` returns a <tr>. Errors go to `messages.error`.
 */
export function pagedTable({
  ctx,
  tbody,
  columns,
  renderRow,
  footer,
  messages,
  emptyText,
  headers = {},
  sort,
  onLoaded,
  focusAfterLast,
}) {
  let nextLink = null;
  let items = [];
  let generation = 0;
  const loadMore = h('button', { type: 'button', class: 'btn btn-secondary' }, 'Load more');
  footer.classList.add('table-footer');
  footer.replaceChildren(loadMore);
  footer.hidden = true;

  function paint(rows, { append }) {
    if (!append) tbody.replaceChildren();
    if (!append && rows.length === 0) {
      tbody.append(h('tr', {}, h('td', { colspan: String(columns), class: 'muted' }, emptyText)));
      return;
    }
    for (const item of rows) tbody.append(renderRow(item));
  }

  async function load(url, { append }) {
    const mine = ++generation;
    loadMore.disabled = true;
    loadMore.setAttribute('aria-busy', 'true');
    try {
      const page = await get(url, { headers });
      if (mine !== generation || !ctx.isCurrent()) return;
      const value = Array.isArray(page?.value) ? page.value : [];
      nextLink = typeof page?.['@odata.nextLink'] === 'string' ? page['@odata.nextLink'] : null;
      if (sort && append) {
        items = sort([...items, ...value]);
        paint(items, { append: false });
      } else {
        items = append ? [...items, ...value] : value;
        if (sort) items = sort(items);
        paint(append ? value : items, { append });
      }
      const hadFocus = document.activeElement === loadMore;
      footer.hidden = !nextLink;
      // "Load more" disappears with the last page: keep keyboard focus in the table.
      if (hadFocus && !nextLink) focusAfterLast?.focus();
      onLoaded?.({ items, hasMore: Boolean(nextLink), appended: append ? value.length : null });
    } catch (error) {
      if (mine !== generation || !ctx.isCurrent()) return;
      if (ctx.handleAuthError(error)) return;
      messages.error(error.message);
    } finally {
      if (mine === generation) {
        loadMore.disabled = false;
        loadMore.removeAttribute('aria-busy');
      }
    }
  }

  loadMore.addEventListener('click', () => {
    if (nextLink) load(toSameOriginPath(nextLink), { append: true });
  });

  return {
    reload(url) {
      return load(url, { append: false });
    },
    setHeaders(next) {
      headers = next;
    },
  };
}

/** Newest first by a date field. */
export const newestFirst = (field) => (list) => {
  const time = (x) => {
    const t = Date.parse(x?.[field] ?? '');
    return Number.isNaN(t) ? 0 : t;
  };
  return [...list].sort((a, b) => time(b) - time(a));
};

/** Load one part of the page; a 403/404 on an optional part becomes a message instead of failing the page. */
export async function optional(promise) {
  try {
    return { value: await promise };
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) throw error;
    return { error };
  }
}

/**
 * A labelled read-only value with a "Copy" button (accessible name "Copy <label>"), for ids and URLs an app
 * developer pastes elsewhere. The outcome of copying is announced in its own polite status region.
 */
export function copyField({ id, label, value, hint }) {
  const input = h('input', {
    id,
    type: 'text',
    readOnly: true,
    value: String(value ?? ''),
    autocomplete: 'off',
    spellcheck: 'false',
    'aria-describedby': hint ? `${id}-hint` : null,
  });
  const copy = contextButton('Copy', label, { class: 'btn btn-secondary btn-small' });
  const status = h('div', { class: 'status-region', role: 'status', 'aria-live': 'polite' });
  copy.addEventListener('click', async () => {
    const ok = await copyText(input.value, input);
    showStatus(
      status,
      ok
        ? `${label} copied to the clipboard.`
        : `Couldn’t copy the ${label} automatically. It is selected: press Ctrl+C (or ⌘C).`,
      { tone: ok ? 'success' : 'info' },
    );
    if (!ok) input.select();
  });
  return h(
    'div',
    { class: 'field copy-field' },
    h('label', { for: id }, label),
    h('div', { class: 'secret-row id-row' }, input, copy),
    hint ? h('p', { class: 'hint', id: `${id}-hint` }, hint) : null,
    status,
  );
}
