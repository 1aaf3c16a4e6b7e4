// Session secrets: 256 bits from the CSPRNG, stored only as a SHA-256 verifier (a 256-bit random token needs
// no slow hash: ASVS 5.0 6.5.2). The CSRF token is derived from the session token, so it needs no storage.
import { createHash, randomBytes } from 'node:crypto';

export function generateSessionToken(): string {
  return randomBytes(32).toString('base64url');
}

export function hashSessionToken(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}

export function csrfTokenFor(sessionToken: string): string {
  return createHash('sha256').update(`passless-csrf:${sessionToken}`).digest('base64url');
}
