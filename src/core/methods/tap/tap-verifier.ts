// A pass of 8-48 characters has well under 112 bits, so ASVS 5.0 6.5.2 requires a password-hashing function
// with a salt: scrypt (memory-hard, in node:crypto, no native addon) with a 128-bit salt. The parameters are
// stored in the verifier so they can be raised later without breaking existing passes.
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

const PARAMS = { N: 16_384, r: 8, p: 1 } as const;
const KEY_LENGTH = 32;

function derive(secret: string, salt: Buffer, params: { N: number; r: number; p: number }): Promise<Buffer> {
  return new Promise((resolvePromise, reject) => {
    scrypt(secret, salt, KEY_LENGTH, { ...params, maxmem: 64 * 1024 * 1024 }, (error, key) =>
      error ? reject(error) : resolvePromise(key),
    );
  });
}

export async function createTapVerifier(code: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(code, salt, PARAMS);
  return `scrypt$${PARAMS.N}$${PARAMS.r}$${PARAMS.p}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

/** Constant-time comparison; a malformed verifier never matches. */
export async function verifyTapCode(code: string, verifier: string): Promise<boolean> {
  const [scheme, n, r, p, salt, expected] = verifier.split('$');
  if (scheme !== 'scrypt' || !salt || !expected) return false;
  const key = await derive(code, Buffer.from(salt, 'base64url'), { N: Number(n), r: Number(r), p: Number(p) });
  const expectedKey = Buffer.from(expected, 'base64url');
  return expectedKey.length === key.length && timingSafeEqual(key, expectedKey);
}

/**
 * An unknown account, or an account without a pass, still pays for one derivation, so response timing
 * does not tell an attacker which accounts exist or hold a pass (ASVS 5.0 6.3.8).
 */
let decoy: Promise<string> | undefined;
export async function verifyAgainstDecoy(code: string): Promise<false> {
  decoy ??= createTapVerifier(randomBytes(12).toString('base64url'));
  await verifyTapCode(code, await decoy);
  return false;
}
