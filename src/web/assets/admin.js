// /admin — the admin console shell: access check, navigation and history.pushState routing.

import { renderApplication } from './admin-application.js';
import { renderApplications } from './admin-applications.js';
import { renderAuditLog, renderSignInLog } from './admin-logs.js';
import { renderOverview } from './admin-overview.js';
import { renderPolicy } from './admin-policy.js';
import { renderUser } from './admin-user.js';
import { renderUsers } from './admin-users.js';
import { ApiError, get, loadSession, signOut } from './api.js';
import { $, focusElement, h, replace, showAlert } from './ui.js';

const main = $('#main');
const shell = $('#shell');
const sidenav = $('#sidenav');

const ROUTES = [
  { pattern: /^\/admin\/?$/, nav: 'users', render: renderUsers },
  { pattern: /^\/admin\/users\/([^/]+)\/?$/, nav: 'users', render: renderUser },
  { pattern: /^\/admin\/applications\/?$/, nav: 'applications', render: renderApplications },
  { pattern: /^\/admin\/applications\/([^/]+)\/?$/, nav: 'applications', render: renderApplication },
  { pattern: /^\/admin\/overview\/?$/, nav: 'overview', render: renderOverview },
  { pattern: /^\/admin\/policies\/temporary-access-pass\/?$/, nav: 'policy', render: renderPolicy },
  { pattern: /^\/admin\/audit\/?$/, nav: 'audit', render: renderAuditLog },
  { pattern: /^\/admin\/sign-ins\/?$/, nav: 'sign-ins', render: renderSignInLog },
];

const currentPath = () => window.location.pathname + window.location.search;

/** Shared by the views: the session, navigation, one-shot messages and cached look-ups. */
const ctx = {
  session: null,
  flash: null,
  navigate,
  /** Redirect to sign-in when the session has ended; returns true if it did. */
  handleAuthError(error) {
    if (error instanceof ApiError && error.status === 401) {
      window.location.assign(`/signin?returnTo=${encodeURIComponent(currentPath())}`);
      return true;
    }
    return false;
  },
  /** GET /api/deployment once: {signInUrl, organizationName}. */
  deployment() {
    ctx._deployment ??= get('/api/deployment').catch(() => ({
      signInUrl: `${window.location.origin}/signin`,
      organizationName: 'Passless',
    }));
    return ctx._deployment;
  },
  /** GET /v1.0/organization once: the tenant {id, displayName, verifiedDomains}; a failure is retried next time. */
  organization() {
    ctx._organization ??= get('/v1.0/organization').then(
      (answer) => answer?.value?.[0] ?? null,
      (error) => {
        ctx._organization = null;
        throw error;
      },
    );
    return ctx._organization;
  },
  /** Set the document title for the current view. */
  title(text) {
    document.title = `${text} · Passless admin`;
  },
  /** Take a message set by the previous view (e.g. "User created"). */
  takeFlash() {
    const message = ctx.flash;
    ctx.flash = null;
    return message;
  },
};

let renderToken = 0;

async function route({ focus = true } = {}) {
  const path = window.location.pathname;
  const token = ++renderToken;
  const match = ROUTES.map((r) => ({ r, m: path.match(r.pattern) })).find((x) => x.m);
  for (const link of sidenav.querySelectorAll('a[data-nav]')) {
    // "page" on the exact page, "true" on the section's link when showing one of its sub-pages.
    if (match && link.dataset.nav === match.r.nav)
      link.setAttribute(
        'aria-current',
        link.pathname === path.replace(/\/$/, '') || link.pathname === path ? 'page' : 'true',
      );
    else link.removeAttribute('aria-current');
  }
  const view = h('div', { class: 'view' });
  replace(main, view);
  /** Views check this before writing after an await, so a late answer never paints over a newer page. */
  const isCurrent = () => token === renderToken && view.isConnected;
  if (!match) {
    ctx.title('Page not found');
    view.append(
      h('h1', {}, 'Page not found'),
      h('p', {}, "There's nothing at this address in the admin console."),
      h('p', {}, h('a', { href: '/admin' }, 'Go to the user list')),
    );
  } else {
    try {
      const params = match.m.slice(1).map((p) => decodeURIComponent(p));
      await match.r.render(view, { ...ctx, isCurrent, params, query: new URLSearchParams(window.location.search) });
    } catch (error) {
      if (ctx.handleAuthError(error)) return;
      if (!isCurrent()) return;
      const alert = h('div', { class: 'alert', role: 'alert', hidden: true });
      view.append(alert);
      showAlert(alert, error?.message || 'Something went wrong while loading this page.');
    }
  }
  if (focus && isCurrent()) focusElement(view.querySelector('h1'));
}

function navigate(path, { replace: replaceState = false, flash = null } = {}) {
  ctx.flash = flash;
  if (replaceState) window.history.replaceState({}, '', path);
  else window.history.pushState({}, '', path);
  window.scrollTo(0, 0);
  route();
}

// Same-document navigation for links inside the admin console.
document.addEventListener('click', (event) => {
  if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey)
    return;
  const link = event.target.closest?.('a[href]');
  if (!link || (link.target && link.target !== '_self') || link.hasAttribute('download')) return;
  const url = new URL(link.href, window.location.href);
  if (url.origin !== window.location.origin || !/^\/admin(\/|$)/.test(url.pathname)) return;
  event.preventDefault();
  if (url.pathname + url.search === currentPath()) return route();
  navigate(url.pathname + url.search);
});

window.addEventListener('popstate', () => route());

$('#sign-out').addEventListener('click', async (event) => {
  event.currentTarget.disabled = true;
  try {
    await signOut();
  } finally {
    window.location.assign('/signin');
  }
});

function showDenied() {
  ctx.title("You don't have access");
  document.title = 'Admin console · Passless';
  replace(
    main,
    h(
      'div',
      { class: 'denied card' },
      h('h1', {}, "You don't have access to the admin console"),
      h(
        'p',
        { class: 'lead' },
        'Only people with an administrator role can use it. If you need access, ask an administrator in your organization.',
      ),
      h('p', {}, h('a', { class: 'btn btn-primary', href: '/security-info' }, 'My Security Info')),
    ),
  );
}

async function start() {
  let session;
  try {
    session = await loadSession();
  } catch (error) {
    const alert = h('div', { class: 'alert', role: 'alert', hidden: true });
    replace(main, h('h1', {}, 'Admin console'), alert);
    showAlert(alert, error?.message || "We couldn't load the admin console. Reload the page to try again.");
    return;
  }
  const path = currentPath();
  if (!session) {
    window.location.assign(`/signin?returnTo=${encodeURIComponent(path)}`);
    return;
  }
  if (session.session?.kind === 'bootstrap') {
    window.location.assign(`/signin?reason=reauthenticate&returnTo=${encodeURIComponent(path)}`);
    return;
  }
  ctx.session = session;
  const user = session.user ?? {};
  $('#user-name').textContent = user.displayName || user.userPrincipalName || '';
  $('#user-upn').textContent = user.displayName ? (user.userPrincipalName ?? '') : '';
  $('#topbar-user').hidden = false;

  if (!Array.isArray(session.roles) || session.roles.length === 0) {
    showDenied();
    return;
  }
  sidenav.hidden = false;
  shell.classList.remove('no-nav');
  route({ focus: false });
}

start();
