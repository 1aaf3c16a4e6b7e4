// Software FIDO2 authenticator for tests: produces genuine ES256 registration and
// assertion responses (the same bytes a browser + platform authenticator would send),
// so the server's real WebAuthn verification runs end to end without a browser.
import { createHash, generateKeyPairSync, type KeyObject, randomBytes, randomInt, sign } from 'node:crypto';
import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from '@simplewebauthn/server';

export interface SoftwareAuthenticatorOptions {
  /** AAGUID as a UUID string; all-zero (what 'none' attestation usually carries) by default. */
  aaguid?: string;
  backupEligible?: boolean;
  backedUp?: boolean;
  /** Default true; false models a security key used without PIN (UP only). */
  userVerification?: boolean;
  /** Default 0. If > 0 the counter increments per assertion; at 0 it stays 0 like synced passkeys. */
  signCountStart?: number;
  /** Forces incrementing even when signCountStart is 0. */
  incrementCounter?: boolean;
}

export interface StoredCredential {
  credentialId: Uint8Array;
  privateKey: KeyObject;
  publicKey: KeyObject;
  rpId: string;
  /** base64url of user.id exactly as given in the creation options */
  userHandle: string;
  userName: string;
  signCount: number;
}

export interface SoftwareAuthenticator {
  options: Required<SoftwareAuthenticatorOptions>;
  /** Resident (discoverable) credentials; tests may inspect or mutate them. */
  credentials: StoredCredential[];
}

export type RegistrationTamper = 'challenge' | 'origin' | 'rpId' | 'signature' | 'userVerification';
export type AuthenticationTamper = RegistrationTamper | 'userHandle' | 'counterRollback';

export interface CreateRegistrationResponseArgs {
  optionsJSON: PublicKeyCredentialCreationOptionsJSON;
  origin: string;
  tamper?: RegistrationTamper;
}

export interface CreateAuthenticationResponseArgs {
  optionsJSON: PublicKeyCredentialRequestOptionsJSON;
  origin: string;
  /** base64url; default: first credential for the RP ID (within allowCredentials if non-empty) */
  credentialId?: string;
  tamper?: AuthenticationTamper;
}

const [FLAG_UP, FLAG_UV, FLAG_BE, FLAG_BS, FLAG_AT] = [0x01, 0x04, 0x08, 0x10, 0x40];
const COSE_ALG_ES256 = -7;
const EVIL_ORIGIN = 'https://evil.example';
const EVIL_RP_ID = 'evil.example';

export function createSoftwareAuthenticator(options: SoftwareAuthenticatorOptions = {}): SoftwareAuthenticator {
  return {
    options: {
      aaguid: options.aaguid ?? '00000000-0000-0000-0000-000000000000',
      backupEligible: options.backupEligible ?? false,
      backedUp: options.backedUp ?? false,
      userVerification: options.userVerification ?? true,
      signCountStart: options.signCountStart ?? 0,
      incrementCounter: options.incrementCounter ?? false,
    },
    credentials: [],
  };
}

export function createRegistrationResponse(
  authenticator: SoftwareAuthenticator,
  { optionsJSON, origin, tamper }: CreateRegistrationResponseArgs,
): RegistrationResponseJSON {
  const rpId = optionsJSON.rp.id ?? new URL(origin).hostname;
  if (!optionsJSON.pubKeyCredParams.some((p) => p.alg === COSE_ALG_ES256)) {
    throw new Error('software authenticator only supports ES256, which the RP did not offer');
  }
  // Mirrors a real authenticator's InvalidStateError so double-registration paths are testable.
  const excluded = new Set((optionsJSON.excludeCredentials ?? []).map((c) => c.id));
  if (authenticator.credentials.some((c) => c.rpId === rpId && excluded.has(b64url(c.credentialId)))) {
    throw new Error('InvalidStateError: authenticator already holds an excluded credential');
  }

  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const credential: StoredCredential = {
    credentialId: new Uint8Array(randomBytes(randomInt(16, 33))),
    privateKey,
    publicKey,
    rpId,
    userHandle: optionsJSON.user.id,
    userName: optionsJSON.user.name,
    signCount: authenticator.options.signCountStart,
  };

  const jwk = publicKey.export({ format: 'jwk' });
  const coseKey = cbor(
    new Map<number, unknown>([
      [1, 2], // kty: EC2
      [3, COSE_ALG_ES256],
      [-1, 1], // crv: P-256
      [-2, Buffer.from(jwk.x as string, 'base64url')],
      [-3, Buffer.from(jwk.y as string, 'base64url')],
    ]),
  );
  const idLength = credential.credentialId.length;
  const authData = Buffer.concat([
    authDataHeader(authenticator, rpId, tamper, credential.signCount, FLAG_AT),
    Buffer.from(authenticator.options.aaguid.replace(/-/g, ''), 'hex'),
    Buffer.from([idLength >> 8, idLength & 0xff]),
    credential.credentialId,
    coseKey,
  ]);
  const clientDataJSON = clientData('webauthn.create', optionsJSON.challenge, origin, tamper);

  // 'none' carries no signature, so the 'signature' tamper switches to packed self-attestation
  // (signed by the credential key itself) over the wrong bytes.
  const attStmt =
    tamper === 'signature'
      ? { alg: COSE_ALG_ES256, sig: sign('sha256', signatureBase(authData, clientDataJSON, true), privateKey) }
      : {};
  const attestationObject = cbor({ fmt: tamper === 'signature' ? 'packed' : 'none', attStmt, authData });

  // A resident credential for the same RP + user replaces the old one, as on real authenticators.
  authenticator.credentials = authenticator.credentials.filter(
    (c) => !(c.rpId === rpId && c.userHandle === credential.userHandle),
  );
  authenticator.credentials.push(credential);

  return publicKeyCredential(credential.credentialId, {
    clientDataJSON: b64url(clientDataJSON),
    attestationObject: b64url(attestationObject),
    authenticatorData: b64url(authData),
    transports: ['internal'],
    publicKeyAlgorithm: COSE_ALG_ES256,
    publicKey: b64url(publicKey.export({ format: 'der', type: 'spki' })),
  });
}

export function createAuthenticationResponse(
  authenticator: SoftwareAuthenticator,
  { optionsJSON, origin, credentialId, tamper }: CreateAuthenticationResponseArgs,
): AuthenticationResponseJSON {
  const rpId = optionsJSON.rpId ?? new URL(origin).hostname;
  const allowed = new Set((optionsJSON.allowCredentials ?? []).map((c) => c.id));
  const credential = authenticator.credentials.find((c) =>
    credentialId !== undefined
      ? b64url(c.credentialId) === credentialId
      : c.rpId === rpId && (allowed.size === 0 || allowed.has(b64url(c.credentialId))),
  );
  if (!credential) throw new Error(`NotAllowedError: no credential for rpId ${rpId}`);

  // A cloned authenticator replays an older counter; the real counter is left untouched. It must
  // not be 0, which verifiers read as "no counter support", hiding the regression. When the last
  // counter is 1 the replay is equal rather than lower, which verifiers reject just the same.
  if (tamper === 'counterRollback' && credential.signCount === 0) {
    throw new Error('counterRollback needs a non-zero counter (use signCountStart > 0 or incrementCounter)');
  }
  const { signCountStart, incrementCounter } = authenticator.options;
  if (tamper !== 'counterRollback' && (signCountStart > 0 || incrementCounter)) credential.signCount += 1;
  const signCount = tamper === 'counterRollback' ? Math.max(credential.signCount - 1, 1) : credential.signCount;

  const authData = authDataHeader(authenticator, rpId, tamper, signCount, 0);
  const clientDataJSON = clientData('webauthn.get', optionsJSON.challenge, origin, tamper);
  const signedBytes = signatureBase(authData, clientDataJSON, tamper === 'signature');
  const signature = sign('sha256', signedBytes, credential.privateKey);
  return publicKeyCredential(credential.credentialId, {
    clientDataJSON: b64url(clientDataJSON),
    authenticatorData: b64url(authData),
    signature: b64url(signature),
    userHandle: tamper === 'userHandle' ? b64url(randomBytes(16)) : credential.userHandle,
  });
}

function publicKeyCredential<R>(credentialId: Uint8Array, response: R) {
  const id = b64url(credentialId);
  return {
    id,
    rawId: id,
    type: 'public-key' as const,
    response,
    authenticatorAttachment: 'platform' as const,
    clientExtensionResults: {},
  };
}

function authDataHeader(
  authenticator: SoftwareAuthenticator,
  rpId: string,
  tamper: string | undefined,
  signCount: number,
  extraFlags: number,
): Buffer {
  const { userVerification, backupEligible, backedUp } = authenticator.options;
  let flags = FLAG_UP | extraFlags;
  if (userVerification && tamper !== 'userVerification') flags |= FLAG_UV;
  if (backupEligible) flags |= FLAG_BE;
  if (backedUp) flags |= FLAG_BS;
  const tail = Buffer.from([flags, 0, 0, 0, 0]);
  tail.writeUInt32BE(signCount, 1);
  return Buffer.concat([sha256(Buffer.from(tamper === 'rpId' ? EVIL_RP_ID : rpId)), tail]);
}

function clientData(type: string, challenge: string, origin: string, tamper: string | undefined): Buffer {
  return Buffer.from(
    JSON.stringify({
      type,
      challenge: tamper === 'challenge' ? b64url(randomBytes(32)) : challenge,
      origin: tamper === 'origin' ? EVIL_ORIGIN : origin,
      crossOrigin: false,
    }),
  );
}

// Tampering the signed bytes (not the DER) keeps the signature well-formed, so a verifier
// rejects it for being wrong rather than for failing to parse.
function signatureBase(authData: Buffer, clientDataJSON: Buffer, corrupt: boolean): Buffer {
  const base = Buffer.concat([authData, sha256(clientDataJSON)]);
  if (corrupt) base[base.length - 1] ^= 0xff;
  return base;
}

function sha256(data: Uint8Array): Buffer {
  return createHash('sha256').update(data).digest();
}

function b64url(data: Uint8Array): string {
  return Buffer.from(data).toString('base64url');
}

// Minimal CBOR (RFC 8949) encoder: just the major types WebAuthn attestation objects need.
function cbor(value: unknown): Buffer {
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) throw new Error('cbor: only integers supported');
    return value >= 0 ? cborHead(0, value) : cborHead(1, -1 - value);
  }
  if (typeof value === 'string') {
    const bytes = Buffer.from(value, 'utf8');
    return Buffer.concat([cborHead(3, bytes.length), bytes]);
  }
  if (value instanceof Uint8Array) return Buffer.concat([cborHead(2, value.length), value]);
  // Maps for integer keys (COSE), plain objects for text keys (attestation object).
  if (value instanceof Map || (typeof value === 'object' && value !== null)) {
    const entries = value instanceof Map ? [...value] : Object.entries(value);
    return Buffer.concat([cborHead(5, entries.length), ...entries.flatMap(([k, v]) => [cbor(k), cbor(v)])]);
  }
  throw new Error(`cbor: unsupported value ${String(value)}`);
}

function cborHead(major: number, n: number): Buffer {
  if (n < 24) return Buffer.from([(major << 5) | n]);
  // Additional info 24/25/26 = argument follows in 1/2/4 bytes.
  const size = n < 0x100 ? 1 : n < 0x10000 ? 2 : 4;
  const head = Buffer.from([(major << 5) | (24 + Math.log2(size)), 0, 0, 0, 0].slice(0, 1 + size));
  head.writeUIntBE(n, 1, size);
  return head;
}
