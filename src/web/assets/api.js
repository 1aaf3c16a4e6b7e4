// Shared HTTP helpers for the Passless pages.
// Every request is JSON, same-origin, with cookies; state-changing requests carry the CSRF token
// from GET /api/session (docs/http-contract.md). Errors in the Graph shape become ApiError.

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

let csrfToken = null;

/** Remember the CSRF token that state-changing requests must send. */
export function setCsrfToken(token) {
  csrfToken = typeof token === 'string' && token !== '' ? token : null;
}

/** An error answered by the server (or a network failure), with the Graph error fields. */
export class ApiError extends Error {
  constructor({ code, message, status, retryAfterSeconds = null, details = null }) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.status = status;
    this.retryAfterSeconds = retryAfterSeconds;
    /** The whole `error` object from the response body, for extra fields. */
    this.details = details;
  }
}

function fallbackMessage(status) {
  if (status === 0) return "We couldn't reach the server. Check your connection and try again.";
  if (status === 401) return 'Your session has ended. Sign in again.';
  if (status === 403) return "You don't have permission to do that.";
  if (status === 404) return "We couldn't find what you were looking for. It may have been deleted.";
  if (status === 429) return 'Too many requests. Wait a moment and try again.';
  if (status >= 500) return `Something went wrong on our side (HTTP ${status}). Try again in a moment.`;
  return `The request failed (HTTP ${status}).`;
}

function parseRetryAfter(errorBody, response) {
  const fromBody = Number(errorBody?.retryAfterSeconds);
  if (Number.isFinite(fromBody) && fromBody >= 0) return Math.ceil(fromBody);
  const header = response.headers.get('Retry-After');
  if (!header) return null;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, Math.ceil(seconds));
  const date = Date.parse(header);
  return Number.isNaN(date) ? null : Math.max(0, Math.ceil((date - Date.now()) / 1000));
}

/**
 * Call the server. `body` (any JSON value) is sent as JSON. Resolves with the parsed JSON body,
 * or null for 204 / empty bodies. Rejects with ApiError for 4xx/5xx and network failures.
 */
export async function request(path, { method = 'GET', body, headers = {}, signal } = {}) {
  const upper = method.toUpperCase();
  const finalHeaders = { Accept: 'application/json', ...headers };
  if (body !== undefined) finalHeaders['Content-Type'] = 'application/json';
  if (STATE_CHANGING.has(upper) && csrfToken) finalHeaders['x-csrf-token'] = csrfToken;

  let response;
  try {
    response = await fetch(path, {
      method: upper,
      headers: finalHeaders,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
      cache: 'no-store',
      signal,
    });
  } catch (cause) {
    if (cause?.name === 'AbortError') throw cause;
    throw new ApiError({ code: 'networkError', message: fallbackMessage(0), status: 0 });
  }

  const text = response.status === 204 ? '' : await response.text();
  let data = null;
  if (text !== '') {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }

  if (!response.ok) {
    const error = data && typeof data.error === 'object' && data.error !== null ? data.error : null;
    throw new ApiError({
      code: typeof error?.code === 'string' ? error.code : `http${response.status}`,
      message:
        typeof error?.message === 'string' && error.message.trim() !== ''
          ? error.message
          : fallbackMessage(response.status),
      status: response.status,
      retryAfterSeconds: parseRetryAfter(error, response),
      details: error,
    });
  }
  return data;
}

export const get = (path, options = {}) => request(path, { ...options, method: 'GET' });
export const post = (path, body = {}, options = {}) => request(path, { ...options, method: 'POST', body });
export const patch = (path, body = {}, options = {}) => request(path, { ...options, method: 'PATCH', body });
export const del = (path, options = {}) => request(path, { ...options, method: 'DELETE' });

/**
 * GET /api/session. Resolves with the session document (and stores its CSRF token),
 * or null when nobody is signed in (401).
 */
export async function loadSession() {
  try {
    const session = await get('/api/session');
    setCsrfToken(session?.csrfToken);
    return session;
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      setCsrfToken(null);
      return null;
    }
    throw error;
  }
}

/** POST /api/signout; the caller navigates away afterwards. */
export async function signOut() {
  try {
    await post('/api/signout');
  } catch (error) {
    // An already-ended session is the outcome we wanted anyway.
    if (!(error instanceof ApiError && error.status === 401)) throw error;
  }
}

/**
 * Turn an absolute or relative `@odata.nextLink` into a same-origin path,
 * so paging never leaves this origin even if the server reports another host.
 */
export function toSameOriginPath(link) {
  const url = new URL(link, window.location.origin);
  return url.pathname + url.search;
}

/** Path-segment encoding for ids placed in URLs. */
export const seg = (value) => encodeURIComponent(String(value));
