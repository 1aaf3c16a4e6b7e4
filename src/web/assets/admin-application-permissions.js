// The "API permissions" card of an application's page: the application permissions granted to it (admin consent,
// as Graph's appRoleAssignments on its service principal), granting one and revoking one. Only a Global
// Administrator or a Privileged Role Administrator may grant: the server says so to anyone else.

import { dataTable, messageRegions } from './admin-common.js';
import { del, get, post, seg } from './api.js';
import { timeElement } from './format.js';
import { contextButton, focusElement, h, replace } from './ui.js';

const API_APP_ID = '00000003-0000-0000-c000-000000000000';

const filterPath = (appId) => `/v1.0/servicePrincipals?$filter=${encodeURIComponent(`appId eq '${appId}'`)}`;

export async function renderPermissions(page) {
  const { ctx } = page;
  const messages = messageRegions();
  const { wrap, tbody } = dataTable({
    caption: 'Granted permissions',
    columns: ['Permission', 'What it allows', 'Granted', 'Actions'],
  });
  const select = h('select', { id: 'permission-choice' });
  const grant = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Grant');
  const form = h(
    'form',
    { class: 'row', novalidate: true },
    h('div', { class: 'field' }, h('label', { for: 'permission-choice' }, 'Permission'), select),
    grant,
  );
  replace(
    page.permissions,
    h('div', { class: 'card-header' }, h('h2', { id: 'permissions-title' }, 'API permissions')),
    h(
      'p',
      { class: 'hint card-lead' },
      'Application permissions let this app call the Passless API as itself (client credentials), with Microsoft Graph’s permission names. Only a Global Administrator or a Privileged Role Administrator can grant them.',
    ),
    messages.alert,
    messages.status,
    form,
    wrap,
  );

  let principal;
  let api;
  let assignments = [];
  try {
    [principal, api] = await Promise.all([
      get(filterPath(page.app.appId)).then((r) => r.value[0]),
      get(filterPath(API_APP_ID)).then((r) => r.value[0]),
    ]);
    assignments = (await get(`/v1.0/servicePrincipals/${seg(principal.id)}/appRoleAssignments`)).value;
  } catch (error) {
    if (ctx.handleAuthError(error)) return;
    messages.error(`Couldn't load the permissions: ${error.message}`);
    form.hidden = true;
    return;
  }
  if (!ctx.isCurrent()) return;
  const roles = new Map(api.appRoles.map((role) => [role.id, role]));

  function paint() {
    const granted = new Set(assignments.map((a) => a.appRoleId));
    const left = api.appRoles.filter((role) => !granted.has(role.id));
    select.replaceChildren(
      ...left.map((role) => h('option', { value: role.id }, `${role.value} — ${role.displayName}`)),
    );
    form.hidden = left.length === 0;
    if (assignments.length === 0) {
      tbody.replaceChildren(
        h('tr', {}, h('td', { colspan: '4', class: 'muted' }, 'No permissions granted: the app’s tokens carry none.')),
      );
      return;
    }
    tbody.replaceChildren(
      ...assignments.map((assignment) => {
        const role = roles.get(assignment.appRoleId);
        const name = role?.value ?? assignment.appRoleId;
        const revoke = contextButton('Revoke', name, { class: 'btn btn-danger-quiet btn-small' });
        revoke.addEventListener('click', () =>
          act(revoke, async () => {
            await del(`/v1.0/servicePrincipals/${seg(principal.id)}/appRoleAssignments/${seg(assignment.id)}`);
            assignments = assignments.filter((a) => a.id !== assignment.id);
            return `${name} revoked. Tokens issued from now on do not carry it, and the API stops honouring it at once.`;
          }),
        );
        return h(
          'tr',
          {},
          h('td', { class: 'mono' }, name),
          h('td', {}, role?.description ?? ''),
          h('td', {}, timeElement(assignment.createdDateTime)),
          h('td', {}, revoke),
        );
      }),
    );
  }

  async function act(button, work) {
    button.disabled = true;
    try {
      const done = await work();
      if (!ctx.isCurrent()) return;
      paint();
      messages.success(done);
      focusElement(page.permissions.querySelector('h2'));
    } catch (error) {
      if (ctx.handleAuthError(error)) return;
      messages.error(error.message);
    } finally {
      button.disabled = false;
    }
  }

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const role = roles.get(select.value);
    if (!role) return;
    act(grant, async () => {
      const created = await post(`/v1.0/servicePrincipals/${seg(principal.id)}/appRoleAssignments`, {
        principalId: principal.id,
        resourceId: api.id,
        appRoleId: role.id,
      });
      assignments = [...assignments, created];
      return `${role.value} granted. New tokens for this app carry it.`;
    });
  });
  paint();
}
