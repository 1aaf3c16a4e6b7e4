// The "Authentication methods" card of a user's page: the Temporary Access Pass and passkeys,
// with Delete buttons, and the "Create Temporary Access Pass" panel.

import { optional } from './admin-common.js';
import { openTapForm } from './admin-tap.js';
import { del, get, seg } from './api.js';
import {
  isPasskey,
  isTap,
  methodItem,
  methodTypeName,
  passkeyKindBadge,
  passkeyMetaItems,
  passkeyName,
  sortMethods,
  tapMetaItems,
  tapUsabilityBadge,
} from './methods-view.js';
import { contextButton, focusElement, h, replace } from './ui.js';

// ---------------------------------------------------------------------------
// Authentication methods

/** The methods card: header with "Create Temporary Access Pass", the list, and the pass panel (kept across refreshes). */
function buildMethodsCard(page) {
  const { ctx, user, base } = page;
  page.methodsBody = h('div');
  page.tapArea = h('div');
  const createButton = h('button', { type: 'button', class: 'btn btn-primary' }, 'Create Temporary Access Pass');
  createButton.addEventListener('click', () => {
    createButton.hidden = true;
    openTapForm(page.tapArea, {
      ctx,
      user,
      base,
      hasTap: page.methodList.some(isTap),
      onCreated: () => loadMethods(page),
      onClose: () => {
        page.tapArea.replaceChildren();
        createButton.hidden = false;
        createButton.focus();
      },
    });
  });
  replace(
    page.methods,
    h('div', { class: 'card-header' }, h('h2', { id: 'methods-title' }, 'Authentication methods'), createButton),
    page.methodsBody,
    page.tapArea,
  );
}

export async function loadMethods(page) {
  const { base, ctx } = page;
  if (!page.methodsBody) buildMethodsCard(page);
  const result = await optional(get(`${base}/authentication/methods`));
  if (!ctx.isCurrent()) return;
  page.methodList = result.value?.value ?? [];
  renderMethodList(page, result.error);
}

function renderMethodList(page, loadError) {
  const { base } = page;
  const methods = sortMethods(page.methodList);
  if (loadError) {
    replace(page.methodsBody, h('p', { class: 'muted' }, `Methods couldn't be loaded: ${loadError.message}`));
    return;
  }
  if (methods.length === 0) {
    replace(
      page.methodsBody,
      h(
        'p',
        { class: 'empty' },
        'No sign-in methods yet. Create a Temporary Access Pass so this person can set up a passkey.',
      ),
    );
    return;
  }
  const items = methods.map((method) => {
    if (isTap(method)) {
      return methodItem(method, {
        title: 'Temporary Access Pass',
        badges: [tapUsabilityBadge(method)],
        meta: tapMetaItems(method, { audience: 'admin' }),
        actions: [
          deleteMethodButton(
            page,
            'Temporary Access Pass',
            `${base}/authentication/temporaryAccessPassMethods/${seg(method.id)}`,
            'Temporary Access Pass deleted.',
          ),
        ],
      }).item;
    }
    if (isPasskey(method)) {
      const name = passkeyName(method);
      return methodItem(method, {
        title: name,
        badges: [passkeyKindBadge(method)],
        meta: passkeyMetaItems(method, { audience: 'admin' }),
        actions: [
          deleteMethodButton(
            page,
            `passkey ${name}`,
            `${base}/authentication/fido2Methods/${seg(method.id)}`,
            `Passkey “${name}” deleted.`,
          ),
        ],
      }).item;
    }
    return methodItem(method, { title: methodTypeName(method) }).item;
  });
  replace(
    page.methodsBody,
    h('ul', { class: 'method-list' }, items),
    methods.some(isPasskey) ? null : h('p', { class: 'hint' }, 'No passkey registered yet.'),
  );
}

/** Visible text "Delete"; accessible name "Delete <what>" (e.g. "Delete passkey YubiKey"). */
function deleteMethodButton(page, what, path, doneMessage) {
  const button = contextButton('Delete', what, { class: 'btn btn-danger-quiet btn-small' });
  button.addEventListener('click', async () => {
    button.disabled = true;
    try {
      await del(path);
      page.messages.success(doneMessage);
      await loadMethods(page);
      focusElement(page.methods.querySelector('h2'));
    } catch (error) {
      if (page.ctx.handleAuthError(error)) return;
      button.disabled = false;
      page.messages.error(error.message);
    }
  });
  return button;
}
