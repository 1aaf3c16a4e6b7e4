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

export function registerSecurityHeaders(app: FastifyInstance, config: PasslessConfig): void {
  app.addHook('onSend', async (request, reply, payload) => {
    applySecurityHeaders(request, reply, config);
    return payload;
  });
}

/** Also called for the answers Fastify gives outside the hook chain (malformed URLs). */
export function applySecurityHeaders(request: FastifyRequest, reply: FastifyReply, config: PasslessConfig): void {
  reply.header('content-security-policy', CSP);
  reply.header('x-content-type-options', 'nosniff');
  reply.header('x-frame-options', 'DENY');
  reply.header('referrer-policy', 'no-referrer');
  reply.header('cross-origin-opener-policy', 'same-origin');
  reply.header('cross-origin-resource-policy', 'same-origin');
  reply.header(
    'permissions-policy',
    'camera=(), microphone=(), geolocation=(), publickey-credentials-get=(self), publickey-credentials-create=(self)',
  );
  if (sendsHsts(config)) reply.header('strict-transport-security', 'max-age=31536000; includeSubDomains');
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
