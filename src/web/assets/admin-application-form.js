// The fields of an application registration, shared by "New application" and the application's Settings card:
// display name, redirect URIs by platform, public client flows and first-party.

import { h } from './ui.js';

const PLATFORMS = [
  {
    key: 'web',
    label: 'Web redirect URIs',
    hint: 'Server-side apps that keep a client secret, for example https://app.contoso.com/signin-oidc.',
  },
  {
    key: 'spa',
    label: 'Single-page application redirect URIs',
    hint: 'Apps running in the browser (code flow with PKCE), for example https://app.contoso.com/.',
  },
  {
    key: 'publicClient',
    label: 'Public client (mobile & desktop) redirect URIs',
    hint: 'Native apps: http://localhost (any port) or a custom scheme such as myapp://auth.',
  },
];

const lines = (text) =>
  text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter(Boolean);

function checkbox(id, label, hint, checked) {
  const input = h('input', { id, type: 'checkbox', checked, 'aria-describedby': `${id}-hint` });
  return {
    input,
    element: h(
      'div',
      { class: 'field check' },
      input,
      h('div', {}, h('label', { for: id }, label), h('p', { class: 'hint', id: `${id}-hint` }, hint)),
    ),
  };
}

/**
 * Builds the fields (ids start with `prefix`), filled from `app` when given. Returns {elements, displayName,
 * read()}: read() gives the Graph body, or {invalid: [input, message]} when something is missing.
 */
export function applicationFields(prefix, app = null) {
  const displayName = h('input', {
    id: `${prefix}-name`,
    type: 'text',
    autocomplete: 'off',
    maxlength: '256',
    required: true,
    value: app?.displayName ?? '',
  });
  const uriAreas = PLATFORMS.map((platform) => {
    const id = `${prefix}-${platform.key}`;
    const area = h('textarea', {
      id,
      rows: '3',
      spellcheck: 'false',
      autocapitalize: 'none',
      'aria-describedby': `${id}-hint ${prefix}-uris-hint`,
    });
    area.value = (app?.[platform.key]?.redirectUris ?? []).join('\n');
    return {
      platform,
      area,
      element: h(
        'div',
        { class: 'field' },
        h('label', { for: id }, platform.label),
        area,
        h('p', { class: 'hint', id: `${id}-hint` }, platform.hint),
      ),
    };
  });
  const publicFlows = checkbox(
    `${prefix}-public-flows`,
    'Allow public client flows',
    'The app gets tokens without a client secret, for example with the device code flow on a CLI. Leave it off for web apps that keep a secret.',
    app?.isFallbackPublicClient === true,
  );
  const firstParty = checkbox(
    `${prefix}-first-party`,
    'First-party application',
    'Skips the consent page: people are not asked to allow this app. Only for apps your organization runs itself.',
    app?.isFirstParty === true,
  );

  const elements = [
    h('div', { class: 'field' }, h('label', { for: `${prefix}-name` }, 'Display name'), displayName),
    h(
      'fieldset',
      { class: 'uri-list' },
      h('legend', {}, 'Redirect URIs'),
      h(
        'p',
        { class: 'hint', id: `${prefix}-uris-hint` },
        'One URI per line, matched exactly. Where Passless sends people back after they sign in.',
      ),
      uriAreas.map((u) => u.element),
    ),
    publicFlows.element,
    firstParty.element,
  ];

  function read() {
    const name = displayName.value.trim();
    if (!name) return { invalid: [displayName, 'Enter a display name for the application.'] };
    const body = {
      displayName: name,
      isFallbackPublicClient: publicFlows.input.checked,
      isFirstParty: firstParty.input.checked,
    };
    for (const { platform, area } of uriAreas) body[platform.key] = { redirectUris: lines(area.value) };
    return { body };
  }

  /** Marks the field the server's message is about (it names the property, e.g. "web.redirectUris: …"). */
  function markInvalid(message) {
    for (const { platform, area } of uriAreas) {
      if (String(message).startsWith(`${platform.key}.`)) {
        area.setAttribute('aria-invalid', 'true');
        return area;
      }
    }
    if (/displayName/.test(message)) {
      displayName.setAttribute('aria-invalid', 'true');
      return displayName;
    }
    return null;
  }

  function clearInvalid() {
    for (const input of [displayName, ...uriAreas.map((u) => u.area)]) input.removeAttribute('aria-invalid');
  }

  return { elements, displayName, read, markInvalid, clearInvalid };
}
