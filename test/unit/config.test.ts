import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { ConfigError, loadConfig, renderConfigurationDoc } from '../../src/core/config/config.ts';

test('defaults: port 8080, ./data, origin and RP ID from localhost', () => {
  const config = loadConfig({});
  assert.equal(config.port, 8080);
  assert.equal(config.dataDir, './data');
  assert.equal(config.origin, 'http://localhost:8080');
  assert.equal(config.rpId, 'localhost');
  assert.equal(config.databaseUrl, null);
  assert.equal(config.secureCookies, false);
});

test('PASSLESS_PUBLIC_URL sets origin, RP ID and secure cookies', () => {
  const config = loadConfig({ PASSLESS_PUBLIC_URL: 'https://id.contoso.com', PASSLESS_PORT: '9000' });
  assert.equal(config.origin, 'https://id.contoso.com');
  assert.equal(config.rpId, 'id.contoso.com');
  assert.equal(config.secureCookies, true);
});

test('a bad value stops the start with a message naming the setting', () => {
  const cases: [Record<string, string>, RegExp][] = [
    [{ PASSLESS_PORT: 'eighty' }, /PASSLESS_PORT/],
    [{ PASSLESS_PUBLIC_URL: 'id.contoso.com' }, /PASSLESS_PUBLIC_URL/],
    [{ PASSLESS_PUBLIC_URL: 'http://id.contoso.com' }, /PASSLESS_PUBLIC_URL.*https/],
    [{ DATABASE_URL: 'mysql://x' }, /DATABASE_URL/],
    [{ PASSLESS_BOOTSTRAP_ADMIN: 'not an upn' }, /PASSLESS_BOOTSTRAP_ADMIN/],
  ];
  for (const [env, message] of cases) {
    assert.throws(
      () => loadConfig(env),
      (e: unknown) => e instanceof ConfigError && message.test(e.message),
    );
  }
});

test('PASSLESS_KEY_ENCRYPTION_KEY must be 32 bytes of base64url, and a bad one is named but not echoed', () => {
  const good = Buffer.alloc(32, 7).toString('base64url');
  assert.equal(loadConfig({ PASSLESS_KEY_ENCRYPTION_KEY: good }).keyEncryptionKey, good);
  assert.equal(loadConfig({}).keyEncryptionKey, null);
  const bad = [
    'too-short-secret-value',
    `${good}=`, // padded base64
    Buffer.alloc(32, 7).toString('base64').replace(/A/g, '+'), // standard alphabet
    Buffer.alloc(31, 7).toString('base64url'),
    Buffer.alloc(33, 7).toString('base64url'),
    `${good.slice(0, 42)}!`,
  ];
  for (const value of bad) {
    assert.throws(
      () => loadConfig({ PASSLESS_KEY_ENCRYPTION_KEY: value }),
      (e: unknown) =>
        e instanceof ConfigError && /PASSLESS_KEY_ENCRYPTION_KEY/.test(e.message) && !e.message.includes(value),
      value,
    );
  }
});

test('docs/configuration.md is generated from the schema and has not drifted', () => {
  assert.equal(readFileSync(new URL('../../docs/configuration.md', import.meta.url), 'utf8'), renderConfigurationDoc());
});

test('the domain core imports neither HTTP nor SQL libraries', async () => {
  const { readdirSync } = await import('node:fs');
  const { join } = await import('node:path');
  const root = new URL('../../src/core', import.meta.url).pathname;
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory()) walk(join(dir, entry.name));
      else if (entry.name.endsWith('.ts')) files.push(join(dir, entry.name));
    }
  };
  walk(root);
  for (const file of files) {
    const source = readFileSync(file, 'utf8');
    assert.doesNotMatch(source, /from '(fastify|kysely|pg|@electric-sql\/pglite|@fastify\/[^']+)'/, file);
    assert.doesNotMatch(source, /from '\.\.\/.*(storage|server|services)\//, file);
  }
});
