// My Security Info: one item per sign-in method, with Rename (passkeys) and Delete.
// Deleting asks for confirmation only when it would leave no way to sign in.

import { del, patch, seg } from './api.js';
import {
  isPasskey,
  isTap,
  methodItem,
  methodTypeName,
  passkeyKindBadge,
  passkeyMetaItems,
  passkeyName,
  tapMetaItems,
  tapUsabilityBadge,
} from './methods-view.js';
import { clearAlert, contextButton, focusElement, h, showAlert, showStatus, whileBusy } from './ui.js';

/**
 * `page`: {el, state, loadMethods, reportError, closeAddPanel} from security-info.js.
 * Returns {renderMethod, closeEditors}.
 */
export function createMethodListUi({ el, state, loadMethods, reportError, closeAddPanel }) {
  function renderMethod(method) {
    if (isTap(method)) {
      return methodItem(method, {
        title: 'Temporary Access Pass',
        badges: [tapUsabilityBadge(method)],
        meta: tapMetaItems(method),
        actions: [deleteButton(method, 'Temporary Access Pass')],
      }).item;
    }
    if (isPasskey(method)) {
      const name = passkeyName(method);
      const view = methodItem(method, {
        title: name,
        badges: [passkeyKindBadge(method)],
        meta: passkeyMetaItems(method),
      });
      const rename = contextButton('Rename', name, { class: 'btn btn-quiet btn-small', dataset: { action: 'rename' } });
      rename.addEventListener('click', () => openRename(method, view));
      view.actions.append(rename, deleteButton(method, name));
      return view.item;
    }
    return methodItem(method, { title: methodTypeName(method), meta: [] }).item;
  }

  /** Visible text "Delete"; accessible name "Delete <what>". */
  function deleteButton(method, what) {
    const button = contextButton('Delete', what, {
      class: 'btn btn-danger-quiet btn-small',
      dataset: { action: 'delete' },
    });
    button.addEventListener('click', () => requestDelete(method, button));
    return button;
  }

  // ---------------------------------------------------------------------------
  // Delete (with a confirmation only when it would leave no way to sign in)

  const isUsable = (m) => isPasskey(m) || (isTap(m) && m.isUsable === true);

  function requestDelete(method, button) {
    clearAlert(el.alert);
    const remainingUsable = state.methods.filter((m) => m.id !== method.id && isUsable(m));
    if (remainingUsable.length > 0 || !isUsable(method)) {
      deleteMethod(method);
      return;
    }
    const item = button.closest('li');
    const slot = item.querySelector('.method-edit');
    const actions = item.querySelector('.method-actions');
    const warning = isTap(method)
      ? "This pass is your only way to sign in. If you delete it before adding a passkey, you'll need a new pass from your IT team."
      : "This passkey is your only way to sign in. If you delete it, you'll need a Temporary Access Pass from your IT team to get back in.";
    const keep = h('button', { type: 'button', class: 'btn btn-quiet btn-small' }, 'Keep it');
    const confirm = h('button', { type: 'button', class: 'btn btn-danger btn-small' }, 'Remove anyway');
    keep.addEventListener('click', () => {
      slot.hidden = true;
      slot.replaceChildren();
      actions.hidden = false;
      button.focus();
    });
    confirm.addEventListener('click', () => deleteMethod(method));
    slot.replaceChildren(
      h('div', { class: 'confirm' }, h('p', {}, warning), h('div', { class: 'row' }, confirm, keep)),
    );
    slot.hidden = false;
    actions.hidden = true;
    keep.focus();
  }

  async function deleteMethod(method) {
    const tap = isTap(method);
    const path = tap
      ? `/v1.0/me/authentication/temporaryAccessPassMethods/${seg(method.id)}`
      : `/v1.0/me/authentication/fido2Methods/${seg(method.id)}`;
    showStatus(el.status, tap ? 'Deleting your Temporary Access Pass…' : `Deleting “${passkeyName(method)}”…`, {
      tone: 'progress',
    });
    try {
      await whileBusy(el.list, () => del(path));
      await loadMethods();
      showStatus(el.status, tap ? 'Temporary Access Pass deleted.' : `Passkey “${passkeyName(method)}” deleted.`, {
        tone: 'success',
      });
      focusElement(el.methodsTitle);
    } catch (error) {
      reportError(error, "We couldn't delete that sign-in method. Try again.");
    }
  }

  // ---------------------------------------------------------------------------
  // Rename

  function closeEditors() {
    for (const slot of el.list.querySelectorAll('.method-edit')) {
      slot.hidden = true;
      slot.replaceChildren();
    }
    for (const actions of el.list.querySelectorAll('.method-actions')) actions.hidden = false;
  }

  function openRename(method, view) {
    closeAddPanel();
    closeEditors();
    clearAlert(el.alert);
    const current = passkeyName(method);
    const input = h('input', {
      id: `rename-${method.id}`,
      type: 'text',
      maxlength: '64',
      autocomplete: 'off',
      required: true,
      value: current,
    });
    const save = h('button', { type: 'submit', class: 'btn btn-primary btn-small' }, 'Save');
    const cancel = h('button', { type: 'button', class: 'btn btn-quiet btn-small' }, 'Cancel');
    const form = h(
      'form',
      { novalidate: true, class: 'panel' },
      h('div', { class: 'field' }, h('label', { for: input.id }, 'Passkey name'), input),
      h('div', { class: 'form-actions' }, save, cancel),
    );
    const restore = () => {
      view.editSlot.hidden = true;
      view.editSlot.replaceChildren();
      view.actions.hidden = false;
      view.actions.querySelector('[data-action="rename"]')?.focus();
    };
    cancel.addEventListener('click', restore);
    form.addEventListener('keydown', (event) => {
      if (event.key === 'Escape') restore();
    });
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const displayName = input.value.trim();
      if (displayName === '') {
        showAlert(el.alert, 'Enter a name for your passkey.');
        input.focus();
        return;
      }
      if (displayName === current) return restore();
      try {
        await whileBusy(form, () => patch(`/v1.0/me/authentication/fido2Methods/${seg(method.id)}`, { displayName }));
        await loadMethods();
        showStatus(el.status, `Passkey renamed to “${displayName}”.`, { tone: 'success' });
        el.list.querySelector(`[data-method-id="${CSS.escape(String(method.id))}"] [data-action="rename"]`)?.focus();
      } catch (error) {
        reportError(error, "We couldn't rename that passkey. Try again.");
      }
    });
    view.editSlot.replaceChildren(form);
    view.editSlot.hidden = false;
    view.actions.hidden = true;
    input.focus();
    input.select();
  }

  return { renderMethod, closeEditors };
}
