// Encryption at rest of private keys under the key-encryption key (PASSLESS_KEY_ENCRYPTION_KEY):
// AES-256-GCM with a fresh 96-bit nonce per value, and the key id as associated data so a sealed key
// cannot be moved onto another row (swapping ciphertexts between kids fails authentication).
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const FORMAT = 'v1';

export class KeyUnwrapError extends Error {}

/** `v1.<nonce>.<ciphertext>.<tag>`, base64url parts: text, so both database drivers return the same type. */
export function sealSecret(kek: Buffer, plaintext: string, associatedData: string): string {
  if (kek.length !== 32) throw new Error('the key-encryption key must be 32 bytes');
  const nonce = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', kek, nonce);
  cipher.setAAD(Buffer.from(associatedData, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  const parts = [nonce, ciphertext, cipher.getAuthTag()].map((b) => b.toString('base64url'));
  return [FORMAT, ...parts].join('.');
}

/** Throws KeyUnwrapError for a wrong key, a value sealed for another id, or any tampering. */
export function openSecret(kek: Buffer, sealed: string, associatedData: string): string {
  const [format, nonce, ciphertext, tag, ...rest] = sealed.split('.');
  if (format !== FORMAT || !nonce || ciphertext === undefined || !tag || rest.length > 0) {
    throw new KeyUnwrapError('unknown sealed-key format');
  }
  // A truncated tag would weaken the authentication GCM gives; accept only the full 128 bits.
  if (Buffer.from(tag, 'base64url').length !== 16) throw new KeyUnwrapError('sealed key has a truncated tag');
  try {
    const decipher = createDecipheriv('aes-256-gcm', kek, Buffer.from(nonce, 'base64url'));
    decipher.setAAD(Buffer.from(associatedData, 'utf8'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
  } catch {
    throw new KeyUnwrapError('the key-encryption key does not open this value (wrong key or tampered data)');
  }
}
