import assert from 'node:assert/strict';
import { test } from 'node:test';
import { delayAfterFailures, recordFailure, secondsUntilAllowed, THROTTLE } from './throttle.ts';

const now = new Date('2026-06-01T09:00:00Z');

test('the first failures cost nothing, then waits grow, and the lock comes far below NIST’s 100', () => {
  const delays = Array.from({ length: 12 }, (_, i) => delayAfterFailures(i + 1));
  assert.deepEqual(delays.slice(0, 3), [0, 0, 0]);
  for (let i = 3; i < THROTTLE.lockAfter - 1; i++) assert.ok(delays[i]! > delays[i - 1]!, `delay grows at ${i + 1}`);
  assert.equal(delayAfterFailures(THROTTLE.lockAfter), THROTTLE.lockMinutes * 60);
  assert.ok(THROTTLE.lockAfter < 100);
});

test('consecutive failures count up; a long quiet spell forgets them', () => {
  let state = recordFailure(null, now);
  for (let i = 0; i < 4; i++) state = recordFailure(state, now);
  assert.equal(state.failures, 5);
  assert.equal(secondsUntilAllowed(state, now), delayAfterFailures(5));
  const muchLater = new Date(now.getTime() + (THROTTLE.memoryMinutes + 1) * 60_000);
  assert.equal(recordFailure(state, muchLater).failures, 1);
  assert.equal(secondsUntilAllowed(null, now), 0);
});

test('the schedule storage applies is the same rule, ending at the lock', async () => {
  const { delaySchedule } = await import('./throttle.ts');
  const schedule = delaySchedule();
  assert.equal(schedule.length, THROTTLE.lockAfter);
  assert.deepEqual(
    schedule,
    Array.from({ length: THROTTLE.lockAfter }, (_, i) => delayAfterFailures(i + 1)),
  );
  assert.equal(schedule.at(-1), THROTTLE.lockMinutes * 60);
});
