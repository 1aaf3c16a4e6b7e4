// The "Roles" card of a user's page: directory roles from memberOf, assign and remove.

import { optional } from './admin-common.js';
import { del, get, post, seg } from './api.js';
import { contextButton, focusElement, h, replace } from './ui.js';

const ROLE_TYPE = '#microsoft.graph.directoryRole';
const GROUP_TYPE = '#microsoft.graph.group';

// ---------------------------------------------------------------------------
// Roles

export async function loadRoles(page) {
  const { base, ctx } = page;
  const [memberOf, directoryRoles] = await Promise.all([
    optional(get(`${base}/memberOf`)),
    optional(get('/v1.0/directoryRoles')),
  ]);
  if (!ctx.isCurrent()) return;
  renderRoles(page, memberOf, directoryRoles);
}

function renderRoles(page, memberOf, directoryRoles) {
  const { user, messages, ctx } = page;
  const entries = memberOf.value?.value ?? [];
  const roles = entries.filter((e) => e['@odata.type'] === ROLE_TYPE);
  const groups = entries.filter((e) => e['@odata.type'] === GROUP_TYPE);
  const available = (directoryRoles.value?.value ?? []).filter((r) => !roles.some((held) => held.id === r.id));

  const list = roles.length
    ? h(
        'ul',
        { class: 'role-list' },
        roles.map((role) => {
          const remove = contextButton('Remove', `role ${role.displayName ?? role.id}`, {
            class: 'btn btn-danger-quiet btn-small',
          });
          remove.addEventListener('click', async () => {
            remove.disabled = true;
            try {
              await del(`/v1.0/directoryRoles/${seg(role.id)}/members/${seg(user.id)}/$ref`);
              messages.success(`Role “${role.displayName}” removed.`);
              await loadRoles(page);
              focusElement(page.roles.querySelector('h2'));
            } catch (error) {
              if (ctx.handleAuthError(error)) return;
              remove.disabled = false;
              messages.error(error.message);
            }
          });
          return h('li', { class: 'role-item' }, h('span', {}, role.displayName ?? role.id), remove);
        }),
      )
    : h(
        'p',
        { class: 'muted' },
        memberOf.error ? `Roles couldn't be loaded: ${memberOf.error.message}` : 'No administrator roles.',
      );

  const select = h(
    'select',
    { id: 'role-select' },
    available.map((r) => h('option', { value: r.id }, r.displayName ?? r.id)),
  );
  const assign = h(
    'button',
    { type: 'submit', class: 'btn btn-secondary', disabled: available.length === 0 },
    'Assign role',
  );
  const form = h(
    'form',
    { class: 'row', novalidate: true },
    h(
      'div',
      { class: 'field' },
      h('label', { for: 'role-select' }, 'Role'),
      h('div', { class: 'row' }, select, assign),
    ),
  );
  if (available.length === 0) {
    select.disabled = true;
    select.append(h('option', { value: '' }, directoryRoles.error ? 'Roles unavailable' : 'All roles assigned'));
  }
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const role = available.find((r) => r.id === select.value);
    if (!role) return;
    assign.disabled = true;
    try {
      await post(`/v1.0/directoryRoles/${seg(role.id)}/members/$ref`, {
        '@odata.id': `${window.location.origin}/v1.0/users/${user.id}`,
      });
      messages.success(`Role “${role.displayName}” assigned.`);
      await loadRoles(page);
      page.roles.querySelector('#role-select')?.focus();
    } catch (error) {
      if (ctx.handleAuthError(error)) return;
      assign.disabled = false;
      messages.error(error.message);
    }
  });

  replace(
    page.roles,
    h('div', { class: 'card-header' }, h('h2', { id: 'roles-title' }, 'Roles')),
    list,
    form,
    groups.length
      ? h(
          'div',
          {},
          h('h3', { class: 'subheading' }, 'Groups'),
          h(
            'ul',
            {},
            groups.map((g) => h('li', {}, g.displayName ?? g.id)),
          ),
        )
      : null,
  );
}
