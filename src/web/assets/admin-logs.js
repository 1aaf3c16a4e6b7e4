// /admin/audit and /admin/sign-ins — the audit and sign-in logs, newest first, with "Load more".

import { dataTable, messageRegions, newestFirst, pagedTable, pageHeader } from './admin-common.js';
import { timeElement } from './format.js';
import { badge, h } from './ui.js';

function logView(view, ctx, { title, lead, caption, columns, url, dateField, renderRow, emptyText }) {
  ctx.title(title);
  const messages = messageRegions();
  const { wrap, tbody } = dataTable({ caption, columns });
  const footer = h('div');
  const refresh = h('button', { type: 'button', class: 'btn btn-secondary' }, 'Refresh');
  view.append(
    h('div', { class: 'row-between' }, pageHeader(title, lead), refresh),
    messages.alert,
    messages.status,
    wrap,
    footer,
  );
  const table = pagedTable({
    ctx,
    tbody,
    columns: columns.length,
    footer,
    messages,
    emptyText,
    renderRow,
    focusAfterLast: wrap,
    sort: newestFirst(dateField),
  });
  refresh.addEventListener('click', async () => {
    messages.clear();
    refresh.disabled = true;
    await table.reload(url);
    refresh.disabled = false;
  });
  return table.reload(url);
}

const cell = (...children) => h('td', { class: 'cell-break' }, ...children);
const timeCell = (value) => h('td', { class: 'nowrap' }, timeElement(value));

// ---------------------------------------------------------------------------
// Audit log

function initiator(entry) {
  const user = entry.initiatedBy?.user;
  const app = entry.initiatedBy?.app;
  if (user) return user.userPrincipalName || user.displayName || user.id || '—';
  if (app) return app.displayName || app.appId || '—';
  return '—';
}

function targets(entry) {
  const list = Array.isArray(entry.targetResources) ? entry.targetResources : [];
  if (list.length === 0) return '—';
  return list.map((t) => t.userPrincipalName || t.displayName || t.id).join(', ');
}

function resultCell(entry) {
  const ok = entry.result === 'success';
  const tone = ok ? 'success' : entry.result === 'failure' ? 'danger' : 'neutral';
  const label = entry.result ? entry.result.charAt(0).toUpperCase() + entry.result.slice(1) : '—';
  return cell(badge(label, tone), entry.resultReason ? h('span', { class: 'sub' }, entry.resultReason) : null);
}

export function renderAuditLog(view, ctx) {
  return logView(view, ctx, {
    title: 'Audit log',
    lead: 'Every change to users, sign-in methods, roles and policies: who did what, and when.',
    caption: 'Audit log',
    columns: ['Time', 'Activity', 'Result', 'Initiated by', 'Target'],
    url: '/v1.0/auditLogs/directoryAudits?$top=50',
    dateField: 'activityDateTime',
    emptyText: 'No audit events yet.',
    renderRow: (entry) =>
      h(
        'tr',
        {},
        timeCell(entry.activityDateTime),
        cell(entry.activityDisplayName ?? '—', entry.category ? h('span', { class: 'sub' }, entry.category) : null),
        resultCell(entry),
        cell(initiator(entry)),
        cell(targets(entry)),
      ),
  });
}

// ---------------------------------------------------------------------------
// Sign-in log

const METHOD_NAMES = {
  temporaryaccesspass: 'Temporary Access Pass',
  temporaryaccesspassonetime: 'Temporary Access Pass',
  temporaryaccesspassmultiuse: 'Temporary Access Pass',
  tap: 'Temporary Access Pass',
  fido2: 'Passkey',
  passkey: 'Passkey',
  'passkey (device-bound)': 'Passkey (device-bound)',
  'passkey (synced)': 'Passkey (synced)',
};

function friendlyMethod(name) {
  const key = String(name)
    .trim()
    .toLowerCase()
    .replace(/[\s_-]+/g, '');
  return METHOD_NAMES[key] ?? METHOD_NAMES[String(name).trim().toLowerCase()] ?? String(name);
}

function signInMethod(entry) {
  const raw = [];
  if (Array.isArray(entry.authenticationMethodsUsed)) raw.push(...entry.authenticationMethodsUsed);
  if (raw.length === 0 && Array.isArray(entry.authenticationDetails)) {
    raw.push(...entry.authenticationDetails.map((d) => d.authenticationMethod).filter(Boolean));
  }
  if (raw.length === 0 && typeof entry.authenticationMethod === 'string') raw.push(entry.authenticationMethod);
  const names = [...new Set(raw.map(friendlyMethod))];
  return names.length ? names.join(', ') : '—';
}

function signInResult(entry) {
  const status = entry.status ?? {};
  if (status.errorCode === 0 || status.errorCode === '0') return cell(badge('Success', 'success'));
  return cell(
    badge('Failure', 'danger'),
    h('span', { class: 'sub' }, status.failureReason || `Error ${status.errorCode ?? ''}`.trim()),
  );
}

export function renderSignInLog(view, ctx) {
  return logView(view, ctx, {
    title: 'Sign-in log',
    lead: 'Every sign-in attempt, successful or not.',
    caption: 'Sign-in log',
    columns: ['Time', 'User', 'Method', 'Result', 'IP address'],
    url: '/v1.0/auditLogs/signIns?$top=50',
    dateField: 'createdDateTime',
    emptyText: 'No sign-ins yet.',
    renderRow: (entry) =>
      h(
        'tr',
        {},
        timeCell(entry.createdDateTime),
        cell(
          entry.userDisplayName || entry.userPrincipalName || '—',
          entry.userDisplayName && entry.userPrincipalName
            ? h('span', { class: 'sub' }, entry.userPrincipalName)
            : null,
        ),
        cell(signInMethod(entry)),
        signInResult(entry),
        h('td', { class: 'nowrap' }, entry.ipAddress || '—'),
      ),
  });
}
