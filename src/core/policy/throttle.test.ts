import assert from 'node:assert/strict';
import { test } from 'node:test';
import { delayAfterFailures, delaySchedule, THROTTLES } from './throttle.ts';

test('an account: the first failures cost nothing, then waits grow, and the lock comes far below NIST’s 100', () => {
  const rule = THROTTLES.account;
  const delays = Array.from({ length: 12 }, (_, i) => delayAfterFailures(rule, i + 1));
  assert.deepEqual(delays.slice(0, rule.freeFailures), [0, 0, 0]);
  for (let i = rule.freeFailures; i < rule.lockAfter - 1; i++)
    assert.ok(delays[i]! > delays[i - 1]!, `grows at ${i + 1}`);
  assert.equal(delayAfterFailures(rule, rule.lockAfter), rule.lockMinutes * 60);
  assert.ok(rule.lockAfter < 100);
});

test('an address has a far larger budget than an account, so a busy office is not refused', () => {
  assert.ok(THROTTLES.address.freeFailures >= 10 * THROTTLES.account.freeFailures);
  assert.equal(delayAfterFailures(THROTTLES.address, THROTTLES.address.freeFailures), 0);
  assert.ok(delayAfterFailures(THROTTLES.address, THROTTLES.address.freeFailures + 1) > 0);
});

test('the schedule storage applies is the same rule, ending at the lock', () => {
  for (const rule of Object.values(THROTTLES)) {
    const schedule = delaySchedule(rule);
    assert.equal(schedule.length, rule.lockAfter);
    assert.deepEqual(
      schedule,
      Array.from({ length: rule.lockAfter }, (_, i) => delayAfterFailures(rule, i + 1)),
    );
    assert.equal(schedule.at(-1), rule.lockMinutes * 60);
  }
});
