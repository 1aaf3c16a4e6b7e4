// node --import tsx bench/micro/webauthn-verify.ts
// CPU per passkey assertion verification, in one process, no HTTP and no database: SimpleWebAuthn's
// verifyAuthenticationResponse (WebCrypto: async digest/importKey/verify jobs) against the same checks done with
// node:crypto's synchronous hash + verify and a cached KeyObject. Shows what the server's crypto costs per sign-in.
import { createHash, createPublicKey, type KeyObject, verify } from 'node:crypto';
import {
  type AuthenticationResponseJSON,
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
} from '@simplewebauthn/server';
import {
  createAuthenticationResponse,
  createRegistrationResponse,
  createSoftwareAuthenticator,
} from '../../test/kit/software-authenticator.ts';

const origin = 'http://localhost:8080';
const rpID = 'localhost';
const authenticator = createSoftwareAuthenticator();
const regOptions = await generateRegistrationOptions({
  rpName: 'bench',
  rpID,
  userName: 'u@example.com',
  authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
});
const reg = await verifyRegistrationResponse({
  response: createRegistrationResponse(authenticator, { optionsJSON: regOptions, origin }),
  expectedChallenge: regOptions.challenge,
  expectedOrigin: origin,
  expectedRPID: rpID,
});
if (!reg.verified) throw new Error('registration failed');
const credential = reg.registrationInfo.credential;

const N = 3000;
const assertions: { response: AuthenticationResponseJSON; challenge: string }[] = [];
for (let i = 0; i < N; i++) {
  const options = await generateAuthenticationOptions({ rpID, userVerification: 'required' });
  assertions.push({
    response: createAuthenticationResponse(authenticator, { optionsJSON: options, origin }),
    challenge: options.challenge,
  });
}

async function measure(name: string, concurrency: number, fn: (i: number) => Promise<unknown> | unknown) {
  for (let i = 0; i < 300; i++) await fn(i); // warm-up
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < N) await fn(next++);
    }),
  );
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  process.stdout.write(
    `${name.padEnd(62)} ${((1000 * wall) / N).toFixed(1).padStart(6)} µs wall/op  ` +
      `${((cpu.user + cpu.system) / N).toFixed(1).padStart(6)} µs CPU/op (all threads)\n`,
  );
}

const simple = (i: number) =>
  verifyAuthenticationResponse({
    response: assertions[i]!.response,
    expectedChallenge: assertions[i]!.challenge,
    expectedOrigin: origin,
    expectedRPID: rpID,
    credential,
    requireUserVerification: true,
  }).then((r) => {
    if (!r.verified) throw new Error('not verified');
  });

// The same checks with node:crypto: clientDataJSON type/challenge/origin, rpIdHash, UP+UV flags, signature.
const keyCache = new Map<string, KeyObject>();
const rpIdHash = createHash('sha256').update(rpID).digest();
function keyOf(cose: Uint8Array): KeyObject {
  const id = credential.id;
  let key = keyCache.get(id);
  if (!key) {
    // COSE EC2: -2 x, -3 y (32 bytes each) — enough for this micro-benchmark's own key.
    const buf = Buffer.from(cose);
    const x = buf.subarray(buf.indexOf(Buffer.from([0x21, 0x58, 0x20])) + 3).subarray(0, 32);
    const y = buf.subarray(buf.indexOf(Buffer.from([0x22, 0x58, 0x20])) + 3).subarray(0, 32);
    key = createPublicKey({
      key: { kty: 'EC', crv: 'P-256', x: x.toString('base64url'), y: y.toString('base64url') },
      format: 'jwk',
    });
    keyCache.set(id, key);
  }
  return key;
}
const nodeCrypto = (i: number) => {
  const { response, challenge } = assertions[i]!;
  const clientDataJSON = Buffer.from(response.response.clientDataJSON, 'base64url');
  const clientData = JSON.parse(clientDataJSON.toString('utf8')) as { type: string; challenge: string; origin: string };
  if (clientData.type !== 'webauthn.get' || clientData.challenge !== challenge || clientData.origin !== origin) {
    throw new Error('clientData mismatch');
  }
  const authData = Buffer.from(response.response.authenticatorData, 'base64url');
  if (!authData.subarray(0, 32).equals(rpIdHash) || (authData[32]! & 0x05) !== 0x05) throw new Error('authData');
  const signed = Buffer.concat([authData, createHash('sha256').update(clientDataJSON).digest()]);
  if (!verify('sha256', signed, keyOf(credential.publicKey), Buffer.from(response.response.signature, 'base64url'))) {
    throw new Error('bad signature');
  }
};

process.stdout.write(`${N} assertions, Node.js ${process.version}\n`);
await measure('generateAuthenticationOptions', 1, () =>
  generateAuthenticationOptions({ rpID, userVerification: 'required' }),
);
await measure('SimpleWebAuthn verifyAuthenticationResponse, one at a time', 1, simple);
await measure('SimpleWebAuthn verifyAuthenticationResponse, 16 in flight', 16, simple);
await measure('node:crypto (sync hash + verify, cached KeyObject)', 1, nodeCrypto);
