// OData envelopes and query options as Microsoft Graph uses them (graph-entra.md §8).
import type { FastifyRequest } from 'fastify';
import { PasslessError } from '../../../core/errors.ts';

export function collection(
  request: FastifyRequest,
  origin: string,
  context: string,
  value: unknown[],
  nextSkipToken?: string | null,
) {
  const body: Record<string, unknown> = { '@odata.context': `${origin}/v1.0/$metadata#${context}` };
  if (nextSkipToken) {
    const url = new URL(request.url, origin);
    url.searchParams.set('$skiptoken', nextSkipToken);
    body['@odata.nextLink'] = url.toString();
  }
  body.value = value;
  return body;
}

export function entity(origin: string, context: string, value: Record<string, unknown>) {
  return { '@odata.context': `${origin}/v1.0/$metadata#${context}/$entity`, ...value };
}

export function parseTop(raw: unknown, max = 999, fallback = 100): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > max) {
    throw new PasslessError('badRequest', {
      detail: `Invalid value for $top: it must be a whole number from 1 to ${max}.`,
    });
  }
  return n;
}

export function encodeSkipToken(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

export function decodeSkipToken<T>(raw: unknown, check: (v: unknown) => v is T): T | undefined {
  if (raw === undefined) return undefined;
  try {
    const text = Buffer.from(String(raw), 'base64url').toString('utf8');
    const value: unknown = JSON.parse(text);
    // A NUL can only be forged (no database text holds one); refuse it here rather than in the database.
    if (check(value) && !text.includes('\\u0000')) return value;
  } catch {
    // fall through to the error below
  }
  throw new PasslessError('badRequest', { detail: 'Invalid $skiptoken: follow @odata.nextLink exactly as returned.' });
}
