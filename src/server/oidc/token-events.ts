// Every token issuance, refresh and failure goes to the sign-in log with the application's id and name.
// A token request that stored something writes its row in the same statement (payload-unit.ts); the others share
// one INSERT per turn of the event loop. Either way the row is written before the response leaves.
import type { FastifyBaseLogger } from 'fastify';
import type Provider from 'oidc-provider';
import type { KoaContextWithOIDC } from 'oidc-provider';
import { grantLabel, tokenFailure, UNLOGGED_TOKEN_ERRORS } from '../../core/oidc/token-outcomes.ts';
import type { Deps } from '../../services/deps.ts';
import { insertTokenSignInEvents, tokenSignInEventsQuery } from '../../storage/repositories/logs.repository.ts';
import { newCorrelationId } from '../plugins/errors.ts';
import { currentPayloadUnit } from './payload-unit.ts';

function accountOf(ctx: KoaContextWithOIDC): string | null {
  const e = ctx.oidc.entities as Record<string, { accountId?: string } | undefined>;
  return (
    e.AuthorizationCode?.accountId ??
    e.RefreshToken?.accountId ??
    e.DeviceCode?.accountId ??
    e.Account?.accountId ??
    null
  );
}

type Event = Parameters<typeof insertTokenSignInEvents>[1][number];

/**
 * Rows written together: the token requests that finish in the same turn of the event loop share one INSERT, so
 * a busy token endpoint costs the database one statement per batch, not per token. Each request still waits
 * for its own row before its response leaves.
 */
function signInLogBatch(deps: Deps, log?: FastifyBaseLogger) {
  let pending: { events: Event[]; written: Promise<void> } | null = null;
  return {
    add(event: Event): Promise<void> {
      if (!pending) {
        const batch: { events: Event[]; written: Promise<void> } = { events: [], written: Promise.resolve() };
        batch.written = new Promise<void>((resolve) => setImmediate(resolve)).then(async () => {
          if (pending === batch) pending = null;
          await insertTokenSignInEvents(deps.db, batch.events).catch((error) =>
            log?.error(error, 'could not write the sign-in log rows of token requests'),
          );
        });
        pending = batch;
      }
      pending.events.push(event);
      return pending.written;
    },
  };
}

export function registerTokenEvents(provider: Provider, deps: Deps, log?: FastifyBaseLogger): void {
  const batch = signInLogBatch(deps, log);
  const write = (ctx: KoaContextWithOIDC, outcome: { errorCode: number; failureReason: string }) => {
    const client = ctx.oidc.client;
    const clientId =
      client?.clientId ?? (typeof ctx.oidc.params?.client_id === 'string' ? ctx.oidc.params.client_id : null);
    const event: Event = {
      record: {
        userId: accountOf(ctx),
        ipAddress: ctx.ip,
        userAgent: String(ctx.get('user-agent') ?? ''),
        clientAppUsed: client?.tokenEndpointAuthMethod === 'none' ? 'Mobile Apps and Desktop clients' : 'Other clients',
        authenticationMethod: grantLabel(ctx.oidc.params?.grant_type),
        errorCode: outcome.errorCode,
        failureReason: outcome.failureReason,
        appId: clientId ? clientId.slice(0, 100) : null,
        appDisplayName: client?.clientName ?? null,
      },
      now: deps.clock(),
      // MSAL sends its client-request-id in the token URL's query, other Microsoft clients as a header.
      correlationId: newCorrelationId(ctx.get('client-request-id') || ctx.query['client-request-id']),
    };
    // A token request that stored something (a code's consumption, a token) writes its row in the same statement
    // as those, so there is no token without its row; one that stored nothing (client credentials) joins a batch.
    if (currentPayloadUnit()?.alongside(tokenSignInEventsQuery(deps.db, [event]))) return;
    const written = batch.add(event);

    // Awaited before the response leaves (see the middleware below): whoever got a token can find it logged.
    (ctx.state as { signInLogWrite?: Promise<void> }).signInLogWrite = written;
  };
  provider.use(async (ctx, next) => {
    await next();
    await (ctx.state as { signInLogWrite?: Promise<void> }).signInLogWrite;
  });
  provider.on('grant.success', (ctx: KoaContextWithOIDC) => write(ctx, { errorCode: 0, failureReason: '' }));
  provider.on(
    'grant.error',
    (ctx: KoaContextWithOIDC, error: { error?: string; error_description?: string; error_detail?: string }) => {
      const code = error.error ?? 'server_error';
      if (UNLOGGED_TOKEN_ERRORS.has(code)) return;
      // error_detail is the provider's reason behind a generic description ("PKCE verification failed").
      write(ctx, tokenFailure(code, error.error_detail ?? error.error_description));
    },
  );
}
