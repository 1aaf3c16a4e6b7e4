// A per-address token bucket for the unauthenticated endpoints that create sign-in flows, so one source cannot
// fill the flows table. It lives in process memory on purpose: losing it (a restart) only resets the limit,
// and several instances each apply it, so it needs no shared state and costs no database round trip.
import { PasslessError } from '../../core/errors.ts';

interface Bucket {
  tokens: number;
  updatedAt: number;
}

const MAX_TRACKED_ADDRESSES = 50_000;

export function createRateLimiter(perMinute: number, clock: () => number = Date.now) {
  const buckets = new Map<string, Bucket>();
  const refillPerMs = perMinute / 60_000;

  function prune(now: number): void {
    // Full buckets carry no information; drop them first, then the oldest if still too many.
    for (const [address, bucket] of buckets) {
      if (bucket.tokens + (now - bucket.updatedAt) * refillPerMs >= perMinute) buckets.delete(address);
    }
    for (const address of buckets.keys()) {
      if (buckets.size <= MAX_TRACKED_ADDRESSES / 2) break;
      buckets.delete(address);
    }
  }

  return {
    /** Takes one token for the address or throws 429 tooManyRequests with the seconds to wait. */
    take(address: string): void {
      const now = clock();
      if (buckets.size >= MAX_TRACKED_ADDRESSES) prune(now);
      const bucket = buckets.get(address) ?? { tokens: perMinute, updatedAt: now };
      bucket.tokens = Math.min(perMinute, bucket.tokens + (now - bucket.updatedAt) * refillPerMs);
      bucket.updatedAt = now;
      buckets.set(address, bucket);
      if (bucket.tokens < 1) {
        throw new PasslessError('tooManyRequests', {
          retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / refillPerMs / 1000)),
        });
      }
      bucket.tokens -= 1;
    },
  };
}
