// Security headers on every response; strict CSP for the pages (no inline script or style).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { PasslessConfig } from '../../core/config/config.ts';

const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * For the pages node-oidc-provider renders itself (provider-pages.ts): Passless's own script and styles only (the
 * provider adds the hash of its own inline auto-submit script to script-src). No form-action: its forms post to,
 * and its redirects after them go to, applications.
 */
export const PROVIDER_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** What every response carries, Fastify's and the OpenID Connect provider's alike. */
export function baseSecurityHeaders(config: PasslessConfig): [string, string][] {
  return [
    ['x-content-type-options', 'nosniff'],
    ['x-frame-options', 'DENY'],
    ['referrer-policy', 'no-referrer'],
    ...(sendsHsts(config)
      ? [['strict-transport-security', 'max-age=31536000; includeSubDomains'] as [string, string]]
      : []),
  ];
}

export function registerSecurityHeaders(app: FastifyInstance, config: PasslessConfig): void {
  app.addHook('onSend', async (request, reply, payload) => {
    applySecurityHeaders(request, reply, config);
    return payload;
  });
}

/** Also called for the answers Fastify gives outside the hook chain (malformed URLs). */
export function applySecurityHeaders(request: FastifyRequest, reply: FastifyReply, config: PasslessConfig): void {
  for (const [name, value] of baseSecurityHeaders(config)) reply.header(name, value);
  reply.header('content-security-policy', CSP);
  reply.header('cross-origin-opener-policy', 'same-origin');
  reply.header('cross-origin-resource-policy', 'same-origin');
  reply.header(
    'permissions-policy',
    'camera=(), microphone=(), geolocation=(), publickey-credentials-get=(self), publickey-credentials-create=(self)',
  );
  if (!request.url.startsWith('/assets/')) reply.header('cache-control', 'no-store');
}

/**
 * HSTS for an https deployment, except on localhost or a loopback address: a browser would apply it to every
 * port of that host for a year, forcing a developer's other http://localhost servers to https.
 */
export function sendsHsts(config: PasslessConfig): boolean {
  if (!config.secureCookies) return false;
  const host = new URL(config.origin).hostname;
  return !(host === 'localhost' || host.endsWith('.localhost') || host === '[::1]' || /^127\./.test(host));
}
