// Sign-in log codes for the token endpoint: Entra's AADSTS numbers where one is published for the same failure.
// Pure.
import { DEVICE_CODE_GRANT } from './protocol.ts';

export interface TokenOutcome {
  errorCode: number;
  failureReason: string;
}

/** Polling answers of the device flow are not sign-in attempts: they are not logged. */
export const UNLOGGED_TOKEN_ERRORS = new Set(['authorization_pending', 'slow_down']);

export function tokenFailure(error: string, description: string | undefined): TokenOutcome {
  const detail = description ? ` (${description.slice(0, 200)})` : '';
  switch (error) {
    case 'invalid_client':
      return {
        errorCode: 7000215,
        failureReason: `Invalid client secret provided, or the client is unknown${detail}.`,
      };
    case 'invalid_grant':
      if (description && /pkce|code_verifier/i.test(description)) {
        return {
          errorCode: 501481,
          failureReason: 'The code_verifier does not match the code_challenge supplied in the authorization request.',
        };
      }
      return {
        errorCode: 70008,
        failureReason: `The provided authorization code or refresh token has expired, been used or been revoked${detail}.`,
      };
    case 'expired_token':
      return { errorCode: 70020, failureReason: 'The device code has expired.' };
    case 'access_denied':
      return { errorCode: 70016, failureReason: 'The person declined the device sign-in.' };
    case 'invalid_scope':
      return {
        errorCode: 70011,
        failureReason: `The provided value for the input parameter scope is not valid${detail}.`,
      };
    case 'unauthorized_client':
      return { errorCode: 700016, failureReason: `The application is not allowed to use this grant${detail}.` };
    case 'invalid_target':
      return { errorCode: 500011, failureReason: `The resource is not known to this tenant${detail}.` };
    default:
      return { errorCode: 900400, failureReason: `Token request failed: ${error}${detail}.` };
  }
}

const GRANT_LABELS: Record<string, string> = {
  authorization_code: 'Authorization code',
  refresh_token: 'Refresh token',
  client_credentials: 'Client credentials',
  [DEVICE_CODE_GRANT]: 'Device code',
};

export function grantLabel(grantType: unknown): string {
  return (typeof grantType === 'string' && GRANT_LABELS[grantType]) || 'Token request';
}
