// Small DOM helpers. Server data only ever reaches the page through textContent,
// attribute values and DOM nodes built here — never through innerHTML.

/**
 * Build an element: h('button', {class: 'btn', type: 'button', onclick: fn, 'aria-label': 'x'}, 'Text', child).
 * Keys starting with "on" attach listeners; `class`, `text`, `dataset`, `hidden`, `disabled`, `checked`, `value`
 * are handled as properties; everything else becomes an attribute (null/false skip it).
 */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props ?? {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') {
      el.addEventListener(key.slice(2).toLowerCase(), value);
    } else if (key === 'class') {
      el.className = Array.isArray(value) ? value.filter(Boolean).join(' ') : value;
    } else if (key === 'text') {
      el.textContent = String(value);
    } else if (key === 'dataset') {
      Object.assign(el.dataset, value);
    } else if (['hidden', 'disabled', 'checked', 'readOnly', 'required', 'value', 'selected'].includes(key)) {
      el[key] = value;
    } else {
      el.setAttribute(key, value === true ? '' : String(value));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replace all children of `el`. */
export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

export const $ = (selector, root = document) => root.querySelector(selector);

/**
 * Show an error in a role="alert" element. The element is hidden while empty so that a page
 * has at most the visible alerts that actually say something. Re-setting the same text is
 * re-announced because the text is cleared first.
 */
export function showAlert(el, message, ...extra) {
  if (!el) return;
  const same = !el.hidden && el.textContent === String(message) && extra.length === 0;
  el.hidden = false;
  if (!same) {
    delete el.dataset.alertToken;
    el.replaceChildren();
    append(el, [h('p', { class: 'message-text' }, message), ...extra]);
    return;
  }
  // The same message again (e.g. a second wrong attempt): clear it first so that
  // assistive technology announces it again.
  el.replaceChildren();
  const token = String(Math.random());
  el.dataset.alertToken = token;
  setTimeout(() => {
    if (el.dataset.alertToken !== token || el.hidden) return;
    el.replaceChildren();
    append(el, [h('p', { class: 'message-text' }, message)]);
  }, 50);
}

export function clearAlert(el) {
  if (!el) return;
  delete el.dataset.alertToken;
  el.replaceChildren();
  el.hidden = true;
}

/**
 * Write into a polite role="status" region (always present in the page, so screen readers
 * announce its changes). `tone`: 'info' | 'success' | 'progress'.
 */
export function showStatus(el, message, { tone = 'info' } = {}, ...extra) {
  if (!el) return;
  el.replaceChildren();
  if (!message) return;
  el.append(
    h(
      'p',
      { class: ['message', `message-${tone}`] },
      tone === 'progress' ? h('span', { class: 'spinner', 'aria-hidden': 'true' }) : null,
      h('span', { class: 'message-text' }, message),
      ...extra,
    ),
  );
}

export function clearStatus(el) {
  el?.replaceChildren();
}

/** Mark a container busy and disable its buttons while `work` runs. */
export async function whileBusy(container, work) {
  const buttons = [...container.querySelectorAll('button, input, select, textarea')].filter((b) => !b.disabled);
  container.setAttribute('aria-busy', 'true');
  for (const b of buttons) b.disabled = true;
  try {
    return await work();
  } finally {
    container.removeAttribute('aria-busy');
    for (const b of buttons) if (b.isConnected) b.disabled = false;
  }
}

/** Move focus to a heading or region (adds tabindex=-1 when needed). */
export function focusElement(el) {
  if (!el) return;
  if (!el.hasAttribute('tabindex') && !/^(A|BUTTON|INPUT|SELECT|TEXTAREA)$/.test(el.tagName)) {
    el.setAttribute('tabindex', '-1');
  }
  el.focus({ preventScroll: false });
}

/** The little inline SVG mark used in page headers (built with DOM APIs, no markup strings). */
export function logoMark() {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('class', 'brand-mark');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  const path = document.createElementNS(ns, 'path');
  path.setAttribute(
    'd',
    'M12 2a5 5 0 0 0-5 5v3H6a2 2 0 0 0-2 2v8a2 2 0 0 0 2 2h12a2 2 0 0 0 2-2v-8a2 2 0 0 0-2-2h-1V7a5 5 0 0 0-5-5Zm-3 8V7a3 3 0 1 1 6 0v3H9Zm3 3.5a1.75 1.75 0 0 1 1 3.19V18.5h-2v-1.81a1.75 1.75 0 0 1 1-3.19Z',
  );
  svg.append(path);
  return svg;
}

/** A badge (pill) with a tone: 'neutral' | 'success' | 'warning' | 'danger' | 'info'. */
export function badge(text, tone = 'neutral') {
  return h('span', { class: ['badge', `badge-${tone}`] }, text);
}

/** Copy text to the clipboard; falls back to selecting the field so the person can press Ctrl+C. */
export async function copyText(text, field) {
  try {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch {
    // fall through to the selection fallback
  }
  if (field) {
    field.focus();
    field.select();
    try {
      // Deprecated but still the only synchronous fallback in some browsers.
      if (document.execCommand('copy')) return true;
    } catch {
      // ignore
    }
  }
  return false;
}

/**
 * A button whose visible text is short ("Delete") and whose accessible name adds context
 * ("Delete YubiKey 5") through visually hidden text, so each one is distinguishable.
 */
export function contextButton(visibleText, context, props = {}) {
  return h('button', { type: 'button', ...props }, visibleText, h('span', { class: 'visually-hidden' }, ` ${context}`));
}
