// /admin/overview — the tenant: its name, Directory (tenant) ID and domain, and the OpenID Connect endpoints
// every application uses.

import { copyField, messageRegions, pageHeader } from './admin-common.js';
import { h } from './ui.js';

export async function renderOverview(view, ctx) {
  ctx.title('Overview');
  const messages = messageRegions();
  view.append(
    pageHeader('Overview', 'Your organization’s directory, and what applications need to sign people in with it.'),
    messages.alert,
  );
  let organization;
  try {
    organization = await ctx.organization();
  } catch (error) {
    if (ctx.handleAuthError(error) || !ctx.isCurrent()) return;
    messages.error(`The organization couldn’t be loaded: ${error.message}`);
    return;
  }
  if (!ctx.isCurrent()) return;
  const origin = window.location.origin;
  const domain = (organization?.verifiedDomains ?? []).find((d) => d.isDefault) ?? organization?.verifiedDomains?.[0];
  view.append(
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'tenant-title' },
      h('div', { class: 'card-header' }, h('h2', { id: 'tenant-title' }, 'Tenant')),
      h(
        'dl',
        { class: 'details' },
        h('dt', {}, 'Name'),
        h('dd', {}, organization?.displayName ?? '—'),
        h('dt', {}, 'Primary domain'),
        h('dd', {}, domain?.name ?? '—'),
      ),
      copyField({
        id: 'overview-tenant-id',
        label: 'Directory (tenant) ID',
        value: organization?.id ?? '',
        hint: 'Names this directory in Entra-style endpoints, such as /{tenant}/oauth2/v2.0/authorize.',
      }),
    ),
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'endpoints-title' },
      h('div', { class: 'card-header' }, h('h2', { id: 'endpoints-title' }, 'Endpoints')),
      copyField({
        id: 'overview-discovery-url',
        label: 'OpenID Connect metadata document',
        value: `${origin}/.well-known/openid-configuration`,
      }),
      copyField({
        id: 'overview-authority',
        label: 'Authority',
        value: `${origin}/${organization?.id ?? '{tenant}'}/v2.0`,
        hint: 'For MSAL and other Microsoft identity libraries.',
      }),
      h('p', {}, h('a', { href: '/admin/applications' }, 'Register and manage your apps')),
    ),
  );
}
