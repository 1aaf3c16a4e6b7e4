import assert from 'node:assert/strict';
import { test } from 'node:test';
import { jwkThumbprint, publishedKeys, type SigningAlgorithm, type SigningKeyRecord } from './signing-keys.ts';

const at = (minute: number) => new Date(Date.UTC(2026, 0, 1, 0, minute));

function key(kid: string, alg: SigningAlgorithm, created: number, notAfter: number | null): SigningKeyRecord {
  return {
    kid,
    alg,
    publicJwk: { kid, alg, kty: alg === 'ES256' ? 'EC' : 'RSA', use: 'sig' },
    createdAt: at(created),
    retiredAt: notAfter === null ? null : at(created + 1),
    notAfter: notAfter === null ? null : at(notAfter),
  };
}

test('published keys: ES256 first, current before retired, newest first; past not_after dropped', () => {
  const keys = [
    key('rs-old', 'RS256', 0, 100),
    key('es-old', 'ES256', 0, 100),
    key('es-older', 'ES256', -10, 50),
    key('rs-new', 'RS256', 10, null),
    key('es-new', 'ES256', 10, null),
  ];
  assert.deepEqual(
    publishedKeys(keys, at(60)).map((k) => k.kid),
    ['es-new', 'es-old', 'rs-new', 'rs-old'],
  );
  assert.deepEqual(
    publishedKeys(keys, at(100)).map((k) => k.kid),
    ['es-new', 'rs-new'],
    'a key is unpublished exactly at not_after',
  );
});

test('the kid is the RFC 7638 thumbprint (the RFC 7638 §3.1 example key)', () => {
  const n =
    '0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw';
  assert.equal(jwkThumbprint({ kty: 'RSA', n, e: 'AQAB' }), 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs');
  assert.throws(() => jwkThumbprint({ kty: 'oct' }), /thumbprint/);
});
