// The per-address guard on starting sign-ins (an unauthenticated flood must not fill the flows table).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createRateLimiter } from '../../src/server/plugins/rate-limit.ts';
import { startTestApp, type TestApp } from '../kit/app.ts';
import { assertGraphError } from '../kit/directory.ts';

describe('starting sign-ins is limited per client address', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp({ PASSLESS_SIGN_IN_STARTS_PER_MINUTE: '5' });
  });
  after(async () => {
    await t.close();
  });

  test('past the budget an address gets 429 with Retry-After, other addresses are unaffected', async () => {
    const flood = t.client({ ip: '203.0.113.7' });
    // Five starts (three identify, two username-less passkey options) use up the budget of five.
    for (let i = 0; i < 3; i++) {
      const res = await flood.request('POST', '/api/signin/identify', { identifier: `x${i}@contoso.test` });
      assert.equal(res.status, 200);
    }
    for (let i = 0; i < 2; i++)
      assert.equal((await flood.request('POST', '/api/signin/passkey/options', {})).status, 200);
    const refused = await flood.request('POST', '/api/signin/identify', { identifier: 'y@contoso.test' });
    assertGraphError(refused, 429, 'tooManyRequests', /Wait a minute/);
    assert.ok(Number(refused.headers['retry-after']) >= 1);
    assertGraphError(await flood.request('POST', '/api/signin/passkey/options', {}), 429, 'tooManyRequests');
    const other = t.client({ ip: '203.0.113.8' });
    assert.equal((await other.request('POST', '/api/signin/identify', { identifier: 'y@contoso.test' })).status, 200);
    // Only five flows were written for the flooding address (plus the other address's one).
    const flows = await t.handle.db.selectFrom('flows').select('id').execute();
    assert.equal(flows.length, 6);
  });
});

test('the bucket refills at the configured rate', () => {
  let now = 0;
  const limiter = createRateLimiter(60, () => now);
  for (let i = 0; i < 60; i++) limiter.take('a');
  assert.throws(() => limiter.take('a'), /network/);
  now += 1_000; // one token a second at 60 a minute
  limiter.take('a');
  assert.throws(() => limiter.take('a'));
});
