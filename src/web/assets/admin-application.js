// /admin/applications/{id} — one application registration: what a developer needs to configure the app (client
// id, tenant id, discovery URL, authority), its settings, client secrets, API permissions, and deletion.

import { applicationFields } from './admin-application-form.js';
import { renderPermissions } from './admin-application-permissions.js';
import { renderSecrets } from './admin-application-secrets.js';
import { firstPartyBadge } from './admin-applications.js';
import { copyField, messageRegions } from './admin-common.js';
import { ApiError, del, get, patch, seg } from './api.js';
import { timeElement } from './format.js';
import { h, replace } from './ui.js';

const BACK = () => h('p', { class: 'breadcrumb' }, h('a', { href: '/admin/applications' }, 'Back to applications'));

export async function renderApplication(view, ctx) {
  const [id] = ctx.params;
  const base = `/v1.0/applications/${seg(id)}`;
  const messages = messageRegions();
  const flash = ctx.takeFlash();

  let app;
  try {
    app = await get(base);
  } catch (error) {
    if (ctx.handleAuthError(error) || !ctx.isCurrent()) return;
    ctx.title('Application not found');
    view.append(
      BACK(),
      h('h1', {}, error.status === 404 ? 'Application not found' : "Couldn't load this application"),
      messages.alert,
    );
    messages.error(error.status === 404 ? 'This application doesn’t exist. It may have been deleted.' : error.message);
    return;
  }
  if (!ctx.isCurrent()) return;

  const page = {
    ctx,
    app,
    base,
    messages,
    header: h('div', { class: 'page-header' }),
    essentials: h('section', { class: 'card', 'aria-labelledby': 'essentials-title' }),
    settings: h('section', { class: 'card', 'aria-labelledby': 'settings-title' }),
    secrets: h('section', { class: 'card', 'aria-labelledby': 'secrets-title' }),
    permissions: h('section', { class: 'card', 'aria-labelledby': 'permissions-title' }),
    danger: h('section', { class: 'card', 'aria-labelledby': 'delete-title' }),
  };
  view.append(
    BACK(),
    page.header,
    messages.alert,
    messages.status,
    page.essentials,
    page.secrets,
    page.permissions,
    page.settings,
    page.danger,
  );
  if (flash) messages.success(flash);

  // Secrets decide whether the app is a confidential client, which Essentials shows.
  page.reloadEssentials = async () => {
    page.app = await get(base);
    if (ctx.isCurrent()) await renderEssentials(page);
  };
  renderHeader(page);
  renderSettings(page);
  renderDanger(page);
  renderSecrets(page);
  // Loads on its own: a failure there says so in its card and leaves the rest of the page working.
  renderPermissions(page);
  await renderEssentials(page);
}

function renderHeader(page) {
  const { app, ctx } = page;
  ctx.title(app.displayName);
  replace(
    page.header,
    h('h1', {}, app.displayName),
    h(
      'p',
      { class: 'lead row' },
      firstPartyBadge(app),
      h('span', {}, app.isFirstParty ? 'Skips the consent page.' : 'People are asked to allow it the first time.'),
    ),
  );
}

/** Essentials: what an app developer copies into their configuration. */
async function renderEssentials(page) {
  const { app, ctx } = page;
  const origin = window.location.origin;
  let tenantId = null;
  let tenantError = null;
  try {
    tenantId = (await ctx.organization())?.id ?? null;
  } catch (error) {
    if (ctx.handleAuthError(error)) return;
    tenantError = error;
  }
  if (!ctx.isCurrent()) return;
  replace(
    page.essentials,
    h('div', { class: 'card-header' }, h('h2', { id: 'essentials-title' }, 'Essentials')),
    h(
      'p',
      { class: 'hint card-lead' },
      'What the app’s developer needs: libraries such as MSAL take the client ID and the authority; generic OpenID Connect libraries take the client ID and the metadata document.',
    ),
    copyField({
      id: 'app-client-id',
      label: 'Application (client) ID',
      value: app.appId,
      hint: 'The client_id the app sends.',
    }),
    tenantId
      ? copyField({ id: 'app-tenant-id', label: 'Directory (tenant) ID', value: tenantId })
      : h(
          'p',
          { class: 'notice notice-warning' },
          `The tenant ID couldn't be loaded (${tenantError?.message ?? 'unknown error'}).`,
        ),
    copyField({
      id: 'app-discovery-url',
      label: 'OpenID Connect metadata document',
      value: `${origin}/.well-known/openid-configuration`,
    }),
    tenantId
      ? copyField({
          id: 'app-authority',
          label: 'Authority',
          value: `${origin}/${tenantId}/v2.0`,
          hint: 'Entra-style authority, for MSAL and other Microsoft identity libraries.',
        })
      : null,
    copyField({ id: 'app-object-id', label: 'Object ID', value: app.id, hint: 'Addresses it in /v1.0/applications.' }),
    h(
      'dl',
      { class: 'details' },
      h('dt', {}, 'Created'),
      h('dd', {}, timeElement(app.createdDateTime)),
      h('dt', {}, 'Client type'),
      h(
        'dd',
        {},
        (app.passwordCredentials ?? []).length > 0 && !app.isFallbackPublicClient
          ? 'Confidential: signs in with a client secret'
          : 'Public: no client secret (PKCE)',
      ),
    ),
  );
}

function renderSettings(page) {
  const { app, ctx, messages } = page;
  const local = messageRegions();
  page.settingsMessages = local;
  const fields = applicationFields('app', app);
  const save = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Save');
  const form = h(
    'form',
    { novalidate: true },
    local.alert,
    local.status,
    fields.elements,
    h('div', { class: 'form-actions' }, save),
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    local.clear();
    fields.clearInvalid();
    const { body, invalid } = fields.read();
    if (invalid) {
      invalid[0].setAttribute('aria-invalid', 'true');
      local.error(invalid[1]);
      invalid[0].focus();
      return;
    }
    // Only what changed: each property sent is one line of the audit record.
    const changes = Object.fromEntries(
      Object.entries(body).filter(([key, value]) => JSON.stringify(value) !== JSON.stringify(page.app[key])),
    );
    if (Object.keys(changes).length === 0) {
      local.info('Nothing has changed.');
      return;
    }
    save.disabled = true;
    try {
      await patch(page.base, changes);
      page.app = await get(page.base);
      if (!ctx.isCurrent()) return;
      renderHeader(page);
      renderSettings(page);
      messages.clear();
      page.settingsMessages.success('Changes saved.');
      page.settings.querySelector('button[type="submit"]')?.focus();
      await renderEssentials(page);
    } catch (error) {
      if (ctx.handleAuthError(error)) return;
      save.disabled = false;
      local.error(error instanceof ApiError ? error.message : "We couldn't save the changes. Try again.");
      fields.markInvalid(error.message)?.focus();
    }
  });
  replace(page.settings, h('div', { class: 'card-header' }, h('h2', { id: 'settings-title' }, 'Settings')), form);
}

function renderDanger(page) {
  const { app, ctx, messages } = page;
  const remove = h('button', { type: 'button', class: 'btn btn-danger-quiet' }, 'Delete application');
  const slot = h('div');
  remove.addEventListener('click', () => {
    const yes = h('button', { type: 'button', class: 'btn btn-danger' }, 'Delete permanently');
    const no = h('button', { type: 'button', class: 'btn btn-quiet' }, 'Cancel');
    const close = () => {
      slot.replaceChildren();
      remove.hidden = false;
      remove.focus();
    };
    no.addEventListener('click', close);
    yes.addEventListener('click', async () => {
      yes.disabled = true;
      no.disabled = true;
      try {
        await del(page.base);
        ctx.navigate('/admin/applications', { flash: `Application “${page.app.displayName}” deleted.` });
      } catch (error) {
        if (ctx.handleAuthError(error)) return;
        close();
        messages.error(error.message);
      }
    });
    slot.replaceChildren(
      h(
        'div',
        { class: 'confirm' },
        h(
          'p',
          {},
          h('strong', {}, `Delete ${page.app.displayName}?`),
          ' Nobody can sign in to it any more, its client secrets stop working and its consents are removed. This can’t be undone.',
        ),
        h('div', { class: 'row' }, yes, no),
      ),
    );
    remove.hidden = true;
    no.focus();
  });
  replace(
    page.danger,
    h('div', { class: 'card-header' }, h('h2', { id: 'delete-title' }, 'Delete')),
    h(
      'p',
      { class: 'hint card-lead' },
      `Deleting ${app.displayName} removes the registration and everything that belongs to it.`,
    ),
    h('div', { class: 'form-actions' }, remove),
    slot,
  );
}
