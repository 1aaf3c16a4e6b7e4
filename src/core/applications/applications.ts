// Application registrations with Graph's core fields (issue 3): validation of what an admin may set, and the
// Graph projection. Pure: no storage, no HTTP.
import { PasslessError } from '../errors.ts';
import { isUuid } from '../ids.ts';

export interface RequiredResourceAccess {
  resourceAppId: string;
  resourceAccess: { id: string; type: 'Scope' | 'Role' }[];
}

export interface Application {
  id: string;
  appId: string;
  displayName: string;
  signInAudience: string;
  webRedirectUris: string[];
  spaRedirectUris: string[];
  publicClientRedirectUris: string[];
  isFallbackPublicClient: boolean;
  /** Passless extension: first-party applications skip the consent page. */
  isFirstParty: boolean;
  /** Passless extension: how ID tokens for this application are signed (ES256 by default; RS256 for old clients). */
  idTokenSigningAlgorithm: 'ES256' | 'RS256';
  requiredResourceAccess: RequiredResourceAccess[];
  createdAt: Date;
}

export interface PasswordCredential {
  keyId: string;
  applicationId: string;
  displayName: string | null;
  hint: string;
  startDateTime: Date;
  endDateTime: Date;
}

export type ApplicationFields = Omit<Application, 'id' | 'appId' | 'createdAt'>;

export const MAX_REDIRECT_URIS = 256;
export const MAX_REDIRECT_URI_LENGTH = 256;
export const MAX_PASSWORD_CREDENTIALS = 20;
/** Entra's portal offers secrets up to 24 months; Passless enforces it, and defaults to it. */
export const MAX_SECRET_LIFETIME_MS = 2 * 365 * 24 * 60 * 60 * 1000 + 24 * 60 * 60 * 1000; // two years (and a leap day)
export const DEFAULT_SECRET_LIFETIME_MS = 2 * 365 * 24 * 60 * 60 * 1000;

const SETTABLE = [
  'displayName',
  'signInAudience',
  'web',
  'spa',
  'publicClient',
  'isFallbackPublicClient',
  'isFirstParty',
  'idTokenSigningAlgorithm',
  'requiredResourceAccess',
] as const;
const READ_ONLY = ['id', 'appId', 'createdDateTime'];

const bad = (detail: string) => new PasslessError('badRequest', { detail });

function checkKeys(body: Record<string, unknown>): void {
  for (const key of Object.keys(body)) {
    if (key === 'passwordCredentials') {
      throw bad(
        'passwordCredentials cannot be set here: add a client secret with POST /v1.0/applications/{id}/addPassword and remove one with removePassword.',
      );
    }
    if (READ_ONLY.includes(key)) throw bad(`${key} is read-only and cannot be set.`);
    if (key === '@odata.type') {
      if (body[key] !== '#microsoft.graph.application')
        throw bad("@odata.type must be '#microsoft.graph.application'.");
      continue;
    }
    if (!(SETTABLE as readonly string[]).includes(key)) {
      throw bad(`Property '${key.slice(0, 100)}' is not supported on application. Supported: ${SETTABLE.join(', ')}.`);
    }
  }
}

function parseDisplayName(value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '' || value.length > 256) {
    throw bad('displayName must be a non-empty string of at most 256 characters.');
  }
  return value.trim();
}

function isLoopback(url: URL): boolean {
  return url.hostname === 'localhost' || url.hostname === '127.0.0.1' || url.hostname === '[::1]';
}

/**
 * Graph's rules: an absolute URI without a fragment or wildcard, at most 256 characters; web and spa take https
 * or http on a loopback host; publicClient also takes a custom scheme (myapp://auth) for native apps.
 */
export function parseRedirectUri(value: unknown, property: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_REDIRECT_URI_LENGTH) {
    throw bad(`${property} must hold strings of 1 to ${MAX_REDIRECT_URI_LENGTH} characters.`);
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw bad(
      `${property}: '${value}' is not an absolute URI; give the full URI, such as https://app.contoso.com/callback.`,
    );
  }
  if (value.includes('#')) throw bad(`${property}: '${value}' has a fragment (#); redirect URIs cannot contain one.`);
  if (value.includes('*')) throw bad(`${property}: '${value}' has a wildcard (*); give each redirect URI in full.`);
  const scheme = url.protocol;
  if (scheme === 'https:') return value;
  if (scheme === 'http:') {
    if (isLoopback(url)) return value;
    throw bad(
      `${property}: '${value}' uses http; use https, or http only with localhost or 127.0.0.1 for development.`,
    );
  }
  if (
    property === 'publicClient.redirectUris' &&
    /^[a-z][a-z0-9+.-]*:$/i.test(scheme) &&
    !/^(javascript|data|file|vbscript):$/i.test(scheme)
  ) {
    return value;
  }
  throw bad(
    `${property}: '${value}' must use https (or http with localhost or 127.0.0.1)${property === 'publicClient.redirectUris' ? ', or a custom scheme for a native app' : ''}.`,
  );
}

function parseRedirectUris(value: unknown, property: 'web' | 'spa' | 'publicClient'): string[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw bad(`${property} must be an object such as {"redirectUris": ["https://app.contoso.com/callback"]}.`);
  }
  for (const key of Object.keys(value)) {
    if (key !== 'redirectUris')
      throw bad(`${property}.${key.slice(0, 100)} is not supported; only ${property}.redirectUris is.`);
  }
  const uris = (value as { redirectUris?: unknown }).redirectUris ?? [];
  const name = `${property}.redirectUris`;
  if (!Array.isArray(uris)) throw bad(`${name} must be an array of URIs.`);
  if (uris.length > MAX_REDIRECT_URIS) throw bad(`${name} may hold at most ${MAX_REDIRECT_URIS} URIs.`);
  const parsed = uris.map((u) => parseRedirectUri(u, name));
  if (new Set(parsed).size !== parsed.length) throw bad(`${name} lists the same URI twice; give each once.`);
  return parsed;
}

function parseRequiredResourceAccess(value: unknown): RequiredResourceAccess[] {
  const shape =
    'requiredResourceAccess must be an array of {"resourceAppId": "<guid>", "resourceAccess": [{"id": "<guid>", "type": "Scope" | "Role"}]}.';
  if (!Array.isArray(value) || value.length > 50) throw bad(`${shape} (at most 50 entries)`);
  return value.map((entry) => {
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) throw bad(shape);
    const { resourceAppId, resourceAccess, ...rest } = entry as Record<string, unknown>;
    if (Object.keys(rest).length > 0 || !isUuid(resourceAppId)) throw bad(shape);
    if (!Array.isArray(resourceAccess) || resourceAccess.length > 400) throw bad(shape);
    return {
      resourceAppId: resourceAppId.toLowerCase(),
      resourceAccess: resourceAccess.map((access) => {
        if (typeof access !== 'object' || access === null || Array.isArray(access)) throw bad(shape);
        const { id, type, ...other } = access as Record<string, unknown>;
        if (Object.keys(other).length > 0 || !isUuid(id)) throw bad(shape);
        if (type !== 'Scope' && type !== 'Role') throw bad(shape);
        return { id: id.toLowerCase(), type };
      }),
    };
  });
}

function parseSignInAudience(value: unknown): string {
  // Passless is one directory: only single-tenant applications make sense.
  if (value !== 'AzureADMyOrg') {
    throw bad("signInAudience must be 'AzureADMyOrg': Passless is a single directory.");
  }
  return value;
}

function parseFields(body: Record<string, unknown>): Partial<ApplicationFields> {
  checkKeys(body);
  const fields: Partial<ApplicationFields> = {};
  if (body.displayName !== undefined) fields.displayName = parseDisplayName(body.displayName);
  if (body.signInAudience !== undefined) fields.signInAudience = parseSignInAudience(body.signInAudience);
  if (body.web !== undefined) fields.webRedirectUris = parseRedirectUris(body.web, 'web');
  if (body.spa !== undefined) fields.spaRedirectUris = parseRedirectUris(body.spa, 'spa');
  if (body.publicClient !== undefined) {
    fields.publicClientRedirectUris = parseRedirectUris(body.publicClient, 'publicClient');
  }
  if (body.isFallbackPublicClient !== undefined) {
    if (typeof body.isFallbackPublicClient !== 'boolean') throw bad('isFallbackPublicClient must be true or false.');
    fields.isFallbackPublicClient = body.isFallbackPublicClient;
  }
  if (body.isFirstParty !== undefined) {
    if (typeof body.isFirstParty !== 'boolean') throw bad('isFirstParty must be true or false.');
    fields.isFirstParty = body.isFirstParty;
  }
  if (body.idTokenSigningAlgorithm !== undefined) {
    if (body.idTokenSigningAlgorithm !== 'ES256' && body.idTokenSigningAlgorithm !== 'RS256') {
      throw bad("idTokenSigningAlgorithm must be 'ES256' (the default) or 'RS256'.");
    }
    fields.idTokenSigningAlgorithm = body.idTokenSigningAlgorithm;
  }
  if (body.requiredResourceAccess !== undefined) {
    fields.requiredResourceAccess = parseRequiredResourceAccess(body.requiredResourceAccess);
  }
  return fields;
}

export function parseApplicationCreate(body: Record<string, unknown>): ApplicationFields {
  if (body.displayName === undefined) throw bad('displayName is required.');
  const fields = parseFields(body);
  return {
    displayName: fields.displayName!,
    signInAudience: fields.signInAudience ?? 'AzureADMyOrg',
    webRedirectUris: fields.webRedirectUris ?? [],
    spaRedirectUris: fields.spaRedirectUris ?? [],
    publicClientRedirectUris: fields.publicClientRedirectUris ?? [],
    isFallbackPublicClient: fields.isFallbackPublicClient ?? false,
    isFirstParty: fields.isFirstParty ?? false,
    idTokenSigningAlgorithm: fields.idTokenSigningAlgorithm ?? 'ES256',
    requiredResourceAccess: fields.requiredResourceAccess ?? [],
  };
}

export function parseApplicationUpdate(body: Record<string, unknown>): Partial<ApplicationFields> {
  return parseFields(body);
}

/** The body of addPassword: `{"passwordCredential": {"displayName"?, "endDateTime"?}}`. */
export function parseAddPassword(
  body: Record<string, unknown>,
  now: Date,
): { displayName: string | null; endDateTime: Date } {
  const shape = 'The body must be {"passwordCredential": {"displayName": "…", "endDateTime": "…"}} (both optional).';
  for (const key of Object.keys(body)) if (key !== 'passwordCredential') throw bad(shape);
  const credential = body.passwordCredential ?? {};
  if (typeof credential !== 'object' || credential === null || Array.isArray(credential)) throw bad(shape);
  const { displayName = null, endDateTime, ...rest } = credential as Record<string, unknown>;
  for (const key of Object.keys(rest)) {
    // Graph SDKs send the read-only members as null; a value means the caller expects to choose it.
    if (['keyId', 'hint', 'secretText', 'customKeyIdentifier', 'startDateTime'].includes(key) && rest[key] === null)
      continue;
    if (key === 'secretText')
      throw bad('secretText cannot be chosen: Passless generates the secret and returns it once.');
    throw bad(`passwordCredential.${key.slice(0, 100)} is not supported. ${shape}`);
  }
  if (displayName !== null && (typeof displayName !== 'string' || displayName.length > 256)) {
    throw bad('passwordCredential.displayName must be a string of at most 256 characters.');
  }
  let end = new Date(now.getTime() + DEFAULT_SECRET_LIFETIME_MS);
  if (endDateTime !== undefined && endDateTime !== null) {
    const parsed = typeof endDateTime === 'string' ? new Date(endDateTime) : new Date(Number.NaN);
    if (
      typeof endDateTime !== 'string' ||
      !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(endDateTime) ||
      Number.isNaN(parsed.getTime())
    ) {
      throw bad('passwordCredential.endDateTime must be an ISO 8601 date and time, such as 2027-01-31T00:00:00Z.');
    }
    if (parsed.getTime() <= now.getTime()) throw bad('passwordCredential.endDateTime must be in the future.');
    if (parsed.getTime() > now.getTime() + MAX_SECRET_LIFETIME_MS) {
      throw bad('passwordCredential.endDateTime may be at most two years from now.');
    }
    end = parsed;
  }
  return { displayName: displayName as string | null, endDateTime: end };
}

export function renderPasswordCredential(credential: PasswordCredential, secretText: string | null = null) {
  return {
    customKeyIdentifier: null,
    displayName: credential.displayName,
    endDateTime: credential.endDateTime.toISOString(),
    hint: credential.hint,
    keyId: credential.keyId,
    secretText,
    startDateTime: credential.startDateTime.toISOString(),
  };
}

export function renderApplication(app: Application, credentials: PasswordCredential[]) {
  return {
    '@odata.type': '#microsoft.graph.application',
    id: app.id,
    appId: app.appId,
    displayName: app.displayName,
    signInAudience: app.signInAudience,
    createdDateTime: app.createdAt.toISOString(),
    isFallbackPublicClient: app.isFallbackPublicClient,
    isFirstParty: app.isFirstParty,
    idTokenSigningAlgorithm: app.idTokenSigningAlgorithm,
    web: { redirectUris: app.webRedirectUris },
    spa: { redirectUris: app.spaRedirectUris },
    publicClient: { redirectUris: app.publicClientRedirectUris },
    requiredResourceAccess: app.requiredResourceAccess,
    passwordCredentials: credentials.map((c) => renderPasswordCredential(c)),
  };
}
