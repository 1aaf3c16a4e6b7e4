// The one registry of errors a client can see: code → HTTP status and a public message written for a person.
// Variable detail that is safe to show (a valid range, a field name) is passed as `detail`; anything else goes to logs.

const REGISTRY = {
  badRequest: { status: 400, message: 'The request is not valid.' },
  invalidRequest: { status: 400, message: 'The request is not valid.' },
  unauthenticated: { status: 401, message: 'Sign in first.' },
  // Graph's code for a bearer token that is malformed, expired, not for this API or no longer backed by its
  // application or user.
  InvalidAuthenticationToken: { status: 401, message: 'Access token is invalid or has expired.' },
  reauthenticationRequired: {
    status: 401,
    message: 'Sign in again with your passkey to continue: this needs a sign-in from the last few minutes.',
  },
  bootstrapSessionOnly: {
    status: 403,
    message:
      'You signed in with a Temporary Access Pass, which only allows setting up security info. Sign in with a passkey.',
  },
  accessDenied: { status: 403, message: 'You do not have permission to do this.' },
  csrfTokenInvalid: {
    status: 403,
    message: 'The request is missing its CSRF token or came from another site. Reload the page.',
  },
  itemNotFound: { status: 404, message: 'The resource was not found.' },
  methodNotAllowed: { status: 405, message: 'This method is not supported on this resource.' },
  conflict: { status: 409, message: 'The request conflicts with the current state.' },
  payloadTooLarge: { status: 413, message: 'The request body is too large.' },
  unsupportedMediaType: { status: 415, message: 'Send the request body as application/json.' },
  flowExpired: { status: 410, message: 'This sign-in took too long and has expired. Start again.' },
  tapIncorrect: { status: 400, message: 'That Temporary Access Pass is not right. Check it and try again.' },
  tapExpired: { status: 400, message: 'This Temporary Access Pass has expired. Ask your administrator for a new one.' },
  tapNotYetValid: { status: 400, message: 'This Temporary Access Pass is not valid yet.' },
  tapAlreadyUsed: {
    status: 400,
    message: 'This Temporary Access Pass was for one use only and has been used. Ask your administrator for a new one.',
  },
  tapNotAllowed: {
    status: 400,
    message: 'Temporary Access Pass sign-in is not allowed for this account by policy. Contact your administrator.',
  },
  tooManyAttempts: { status: 429, message: 'Too many attempts. Wait before trying again.' },
  tooManyRequests: {
    status: 429,
    message: 'Too many sign-ins were started from your network. Wait a minute and try again.',
  },
  passkeyNotRecognized: {
    status: 400,
    message:
      'That passkey is not registered for an active account here. Try another passkey or ask your administrator.',
  },
  passkeyVerificationFailed: { status: 400, message: 'The passkey response could not be verified. Try again.' },
  passkeyRegistrationFailed: { status: 400, message: 'The new passkey could not be verified. Try again.' },
  registrationWindowClosed: {
    status: 403,
    message: 'The time to set up security info with this Temporary Access Pass has ended. Ask for a new pass.',
  },
  internalServerError: { status: 500, message: 'Something went wrong on our side. The error has been logged.' },
  serviceUnavailable: { status: 503, message: 'The service is temporarily unavailable. Try again shortly.' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof REGISTRY;

export class PasslessError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly publicMessage: string;
  readonly retryAfterSeconds: number | undefined;
  /** Machine-readable facts the client may format itself (e.g. when a pass becomes valid). */
  readonly fields: Record<string, string | number> | undefined;

  constructor(
    code: ErrorCode,
    options: {
      detail?: string;
      cause?: unknown;
      retryAfterSeconds?: number;
      fields?: Record<string, string | number>;
    } = {},
  ) {
    const entry = REGISTRY[code];
    const publicMessage = options.detail ?? entry.message;
    super(publicMessage, { cause: options.cause });
    this.code = code;
    this.status = entry.status;
    this.publicMessage = publicMessage;
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.fields = options.fields;
  }
}

export function isPasslessError(error: unknown): error is PasslessError {
  return error instanceof PasslessError;
}

export function statusOf(code: ErrorCode): number {
  return REGISTRY[code].status;
}
