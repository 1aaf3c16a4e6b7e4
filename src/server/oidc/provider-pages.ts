// The HTML pages node-oidc-provider renders itself: errors, the device flow's user-code pages (RFC 8628) and
// RP-initiated logout. They look like the Passless pages (same stylesheet and layout) and, like them, carry no
// inline script or style, so they work under the pages' strict CSP. Every value that reaches the markup goes
// through escapeHtml, including what the provider hands over already escaped (it is decoded first).
import type { Configuration, KoaContextWithOIDC } from 'oidc-provider';

export function escapeHtml(value: unknown): string {
  return String(value).replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
}

function unescapeHtml(value: string): string {
  return value.replace(
    /&(amp|lt|gt|quot|#39);/g,
    (_, name: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'" })[name]!,
  );
}

interface ProviderForm {
  action: string;
  hidden: [string, string][];
}

/**
 * The provider hands each page a ready-made form (action and hidden fields such as its XSRF token). Its markup
 * has no label and an inline `onfocus` handler the CSP would block, so the pages build their own form from its
 * action and hidden fields instead of embedding it.
 */
export function parseProviderForm(form: string): ProviderForm {
  const action = /<form\b[^>]*\baction="([^"]*)"/.exec(form)?.[1];
  if (action === undefined) throw new Error('oidc-provider handed over a form without an action');
  const hidden: [string, string][] = [];
  for (const input of form.matchAll(/<input\b[^>]*>/g)) {
    const tag = input[0];
    if (!/\btype="hidden"/.test(tag)) continue;
    const name = /\bname="([^"]*)"/.exec(tag)?.[1];
    const value = /\bvalue="([^"]*)"/.exec(tag)?.[1];
    if (name !== undefined) hidden.push([unescapeHtml(name), unescapeHtml(value ?? '')]);
  }
  return { action: unescapeHtml(action), hidden };
}

function hiddenFields(form: ProviderForm): string {
  return form.hidden
    .map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`)
    .join('\n          ');
}

interface PageOptions {
  title: string;
  /** HTML of the card, already escaped. */
  card: string;
  /** Module scripts under /assets/. */
  scripts?: string[];
}

function page({ title, card, scripts = [] }: PageOptions): string {
  const scriptTags = scripts.map((src) => `\n  <script type="module" src="${escapeHtml(src)}"></script>`).join('');
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <meta name="color-scheme" content="light dark">
  <meta name="referrer" content="no-referrer">
  <title>${escapeHtml(title)} · Passless</title>
  <link rel="icon" href="/assets/favicon.svg" type="image/svg+xml">
  <link rel="stylesheet" href="/assets/app.css">${scriptTags}
</head>
<body class="page-provider">
  <a class="skip-link" href="#main">Skip to content</a>
  <main id="main" class="auth-layout">
    <div class="auth-brand">
      <span class="brand">Passless</span>
    </div>
    <div class="card auth-card">
${card}
    </div>
    <p class="auth-footer">Passless never asks for a password.</p>
  </main>
</body>
</html>`;
}

function send(ctx: KoaContextWithOIDC, html: string): void {
  // The forms carry the provider's XSRF token; like every Passless page, nothing here is for a cache.
  ctx.set('cache-control', 'no-store');
  ctx.type = 'html';
  ctx.body = html;
}

/** The application's display name, or its client id when it has none. */
function applicationName(ctx: KoaContextWithOIDC): string | undefined {
  const client = ctx.oidc?.client;
  if (!client) return undefined;
  return client.clientName || client.clientId;
}

// ---------------------------------------------------------------------------
// Errors

/** What a person can make of each protocol error. Unknown codes get the generic text. */
const ERROR_EXPLANATIONS: Record<string, string> = {
  invalid_request: 'The application sent a sign-in request that Passless cannot accept.',
  invalid_client: 'The application is not registered with Passless, or its registration is incomplete.',
  invalid_redirect_uri: 'The application asked to send you back to an address that is not registered for it.',
  unauthorized_client: 'This application is not allowed to sign in this way.',
  invalid_scope: 'The application asked for a permission that Passless does not know.',
  invalid_target: 'The application asked for access to a resource that Passless does not know.',
  unsupported_response_type: 'The application asked for a kind of answer that Passless does not give.',
  unsupported_response_mode: 'The application asked for a kind of answer that Passless does not give.',
  invalid_request_object: 'The application sent a sign-in request that Passless cannot accept.',
  access_denied: 'The sign-in was cancelled or declined.',
  login_required: 'You need to sign in to continue.',
  consent_required: 'The application needs your consent to continue.',
  interaction_required: 'You need to sign in to continue.',
  session_not_found: 'Your sign-in session could not be found. It may have expired.',
  invalid_grant: 'This sign-in has expired or was already used.',
  temporarily_unavailable: 'Passless cannot complete the sign-in right now. Try again in a moment.',
  server_error: 'Something went wrong on our side. Try again in a moment.',
};

const GENERIC_EXPLANATION = 'The sign-in could not be completed.';

export const renderError: NonNullable<Configuration['renderError']> = async (ctx: KoaContextWithOIDC, out) => {
  const explanation = ERROR_EXPLANATIONS[out.error] ?? GENERIC_EXPLANATION;
  // server_error's description is the provider's placeholder text, never anything a person can use.
  const detail = out.error !== 'server_error' && out.error_description ? out.error_description : '';
  send(
    ctx,
    page({
      title: 'Sign-in error',
      card: `      <h1 class="step-title">Sign-in error</h1>
      <div class="alert" role="alert">
        <p class="message-text">${escapeHtml(explanation)}</p>
      </div>
      <dl class="details">
        <dt>Error</dt><dd><code>${escapeHtml(out.error)}</code></dd>${
          detail ? `\n        <dt>Details</dt><dd>${escapeHtml(detail)}</dd>` : ''
        }
      </dl>
      <p class="help-text">Go back to the application and start again. If this keeps happening, tell your IT team
        what is shown above.</p>`,
    }),
  );
};

// ---------------------------------------------------------------------------
// Device flow (RFC 8628): enter the code, confirm, done

type DeviceFlow = NonNullable<NonNullable<Configuration['features']>['deviceFlow']>;
type RpLogout = NonNullable<NonNullable<Configuration['features']>['rpInitiatedLogout']>;

/** What the input page says for each error the provider re-renders it with (lib/helpers/re_render_errors.js). */
function userCodeError(
  err: Error | undefined,
): { message: string; invalidCode: boolean; showErrorCode?: boolean } | null {
  if (!err) return null;
  switch (err.name) {
    case 'NoCodeError':
      return { message: 'Enter the code shown on your device.', invalidCode: true };
    // A wrong code and an expired one get the same answer, so the page never confirms that a guessed code
    // existed; both are fixed the same way.
    case 'NotFoundError':
    case 'ExpiredError':
      return {
        message:
          'That code didn’t work. Check it against the code on your device and try again. Codes expire after 10 minutes: if yours has, start again on your device to get a new one.',
        invalidCode: true,
      };
    case 'AlreadyUsedError':
      return {
        message:
          'That code has already been used or cancelled. Start again on your device to get a new code. If you didn’t use or cancel it yourself, tell your IT team.',
        invalidCode: true,
      };
    case 'AbortedError':
      return {
        message:
          'The sign-in was cancelled, so your device was not signed in. To try again, start again on your device.',
        invalidCode: false,
      };
    default:
      return {
        message: 'Something went wrong with this sign-in. Enter the code again, or start again on your device.',
        invalidCode: false,
        showErrorCode: true,
      };
  }
}

/** The code the person typed, when the provider hands it back with the error (it does for wrong codes). */
function typedCode(err: Error | undefined): string {
  const code = (err as { userCode?: unknown } | undefined)?.userCode;
  return typeof code === 'string' ? code : '';
}

const userCodeInputSource: NonNullable<DeviceFlow['userCodeInputSource']> = async (ctx, form, out, err) => {
  const provided = parseProviderForm(form);
  const problem = userCodeError(err);
  const code = typedCode(err);
  send(
    ctx,
    page({
      title: 'Sign in on another device',
      card: `      <h1 class="step-title">Sign in on another device</h1>
      <p class="lead">Enter the code shown on the device you are signing in to.</p>
${
  problem
    ? `      <div class="alert" role="alert" id="user-code-error">
        <p class="message-text">${escapeHtml(problem.message)}</p>${
          problem.showErrorCode && out?.error
            ? `\n        <p class="hint">Error: <code>${escapeHtml(out.error)}</code></p>`
            : ''
        }
      </div>
`
    : ''
}      <form method="post" action="${escapeHtml(provided.action)}" class="stack" novalidate>
          ${hiddenFields(provided)}
        <div class="field">
          <label for="user-code">Code</label>
          <input id="user-code" name="user_code" type="text" class="mono" value="${escapeHtml(code)}"
                 autocomplete="off" autocapitalize="characters" autocorrect="off" spellcheck="false" autofocus
                 required aria-describedby="user-code-hint${problem?.invalidCode ? ' user-code-error' : ''}"${
                   problem?.invalidCode ? ' aria-invalid="true"' : ''
                 }>
          <p class="hint" id="user-code-hint">Eight letters, like BCDF-GHJK. Capitals, spaces and dashes don’t matter.</p>
        </div>
        <button type="submit" class="btn btn-primary btn-block">Continue</button>
      </form>`,
    }),
  );
};

function deviceDetail(info: Record<string, unknown> | undefined, key: string): string | undefined {
  const value = info?.[key];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

const userCodeConfirmSource: NonNullable<DeviceFlow['userCodeConfirmSource']> = async (
  ctx,
  form,
  client,
  deviceInfo,
  userCode,
) => {
  const provided = parseProviderForm(form);
  const application = client.clientName || client.clientId;
  const ip = deviceDetail(deviceInfo, 'ip');
  const userAgent = deviceDetail(deviceInfo, 'ua');
  send(
    ctx,
    page({
      title: 'Confirm this sign-in',
      card: `      <h1 class="step-title">Confirm this sign-in</h1>
      <p class="lead"><strong>${escapeHtml(application)}</strong> wants to sign in as you on a device.</p>
      <div class="notice notice-warning">
        <p><strong>Only continue if you started this on your own device.</strong> Someone who sends you a code can
          use it to sign in as you.</p>
      </div>
      <dl class="details" aria-label="Sign-in request">
        <dt>Application</dt><dd>${escapeHtml(application)}</dd>
        <dt>Code</dt><dd><code class="user-code">${escapeHtml(userCode)}</code>
          <p class="hint">Your device must show this same code.</p></dd>${
            ip ? `\n        <dt>Requested from</dt><dd>${escapeHtml(ip)}</dd>` : ''
          }${userAgent ? `\n        <dt>Device software</dt><dd>${escapeHtml(userAgent)}</dd>` : ''}
      </dl>
      <form method="post" action="${escapeHtml(provided.action)}">
          ${hiddenFields(provided)}
        <div class="form-actions">
          <button type="submit" class="btn btn-primary">Continue</button>
          <button type="submit" class="btn btn-secondary" name="abort" value="yes">Cancel</button>
        </div>
      </form>`,
    }),
  );
};

const successSource: NonNullable<DeviceFlow['successSource']> = async (ctx) => {
  const application = applicationName(ctx);
  send(
    ctx,
    page({
      title: 'Signed in on your device',
      card: `      <h1 class="step-title">You're signed in on your device</h1>
      <div class="status-region" role="status">
        <p class="message message-success">${
          application ? `${escapeHtml(application)} is signed in. ` : ''
        }You can close this window.</p>
      </div>`,
    }),
  );
};

/** Spread into features.deviceFlow. */
export const devicePages: Pick<DeviceFlow, 'userCodeInputSource' | 'userCodeConfirmSource' | 'successSource'> = {
  userCodeInputSource,
  userCodeConfirmSource,
  successSource,
};

// ---------------------------------------------------------------------------
// RP-initiated logout

const logoutSource: NonNullable<RpLogout['logoutSource']> = async (ctx, form) => {
  const provided = parseProviderForm(form);
  const application = applicationName(ctx);
  send(
    ctx,
    page({
      title: 'Sign out',
      // logout.js ends the Passless session (POST /api/signout) before the form goes to the provider.
      scripts: ['/assets/logout.js'],
      card: `      <h1 class="step-title">Sign out of Passless?</h1>
      ${
        application
          ? `<p class="lead"><strong>${escapeHtml(application)}</strong> asks you to sign out.</p>`
          : '<p class="lead">You are about to sign out of Passless in this browser.</p>'
      }
      <p>Every application you signed in to with Passless will ask you to sign in again.</p>
      <form method="post" action="${escapeHtml(provided.action)}" id="logout-form">
          ${hiddenFields(provided)}
        <div class="form-actions">
          <button type="submit" class="btn btn-primary" name="logout" value="yes">Sign out</button>
        </div>
      </form>`,
    }),
  );
};

const postLogoutSuccessSource: NonNullable<RpLogout['postLogoutSuccessSource']> = async (ctx) => {
  const application = applicationName(ctx);
  send(
    ctx,
    page({
      title: 'Signed out',
      card: `      <h1 class="step-title">You have signed out.</h1>
      <div class="status-region" role="status">
        <p class="message message-success">${
          application ? `You have signed out of ${escapeHtml(application)}. ` : ''
        }You can close this window.</p>
      </div>
      <p><a href="/signin">Sign in again</a></p>`,
    }),
  );
};

/** Spread into features.rpInitiatedLogout. */
export const logoutPages: Pick<RpLogout, 'logoutSource' | 'postLogoutSuccessSource'> = {
  logoutSource,
  postLogoutSuccessSource,
};
