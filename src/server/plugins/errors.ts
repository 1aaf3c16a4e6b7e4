// One error handler: the Graph error shape for every API response; a 5xx is always a bug and is logged.
import { randomUUID } from 'node:crypto';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { type ErrorCode, isPasslessError, PasslessError } from '../../core/errors.ts';

export function graphError(request: FastifyRequest, code: string, message: string) {
  return {
    error: {
      code,
      message,
      innerError: {
        date: new Date().toISOString().slice(0, 19),
        'request-id': request.id,
        'client-request-id': request.correlationId,
      },
    },
  };
}

function fromFastifyError(error: FastifyError): PasslessError | null {
  if (error.validation) {
    const first = error.validation[0];
    const where = `${error.validationContext ?? 'body'}${first?.instancePath ?? ''}`.replace(/\//g, '.');
    const detail =
      first?.keyword === 'additionalProperties'
        ? `${where} has an unknown property "${(first.params as { additionalProperty?: string }).additionalProperty}".`
        : `${where} ${first?.message ?? 'is not valid'}.`;
    return new PasslessError('badRequest', { detail: `Invalid request: ${detail}` });
  }
  const byCode: Record<string, [ErrorCode, string?]> = {
    FST_ERR_CTP_INVALID_JSON_BODY: ['badRequest', 'The request body is not valid JSON.'],
    FST_ERR_CTP_EMPTY_JSON_BODY: ['badRequest', 'The request body is empty; send a JSON object.'],
    FST_ERR_CTP_BODY_TOO_LARGE: ['payloadTooLarge'],
    FST_ERR_CTP_INVALID_MEDIA_TYPE: ['unsupportedMediaType'],
    FST_ERR_CTP_INVALID_CONTENT_LENGTH: ['badRequest', 'The Content-Length header does not match the body.'],
  };
  const mapped = error.code ? byCode[error.code] : undefined;
  if (mapped) return new PasslessError(mapped[0], { detail: mapped[1] });
  if (error instanceof SyntaxError || error.statusCode === 400) {
    return new PasslessError('badRequest', { detail: 'The request body is not valid JSON.' });
  }
  if (error.statusCode === 413) return new PasslessError('payloadTooLarge');
  if (error.statusCode === 415) return new PasslessError('unsupportedMediaType');
  return null;
}

export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const known = isPasslessError(error) ? error : fromFastifyError(error);
    if (!known) {
      request.log.error({ err: error }, 'unhandled error');
      return sendError(request, reply, new PasslessError('internalServerError'));
    }
    if (known.cause) request.log.info({ code: known.code, cause: String(known.cause) }, 'request refused');
    return sendError(request, reply, known);
  });
  app.setNotFoundHandler((request, reply) => {
    sendError(
      request,
      reply,
      new PasslessError('itemNotFound', {
        detail: `Resource not found for the segment '${request.url.split('?')[0]!.slice(0, 200)}'.`,
      }),
    );
  });
}

export function sendError(request: FastifyRequest, reply: FastifyReply, error: PasslessError) {
  if (error.retryAfterSeconds !== undefined) reply.header('retry-after', String(error.retryAfterSeconds));
  const body = graphError(request, error.code, error.publicMessage) as ReturnType<typeof graphError> & {
    error: Record<string, unknown>;
  };
  if (error.retryAfterSeconds !== undefined) body.error.retryAfterSeconds = error.retryAfterSeconds;
  Object.assign(body.error, error.fields);
  return reply.status(error.status).type('application/json; charset=utf-8').send(body);
}

export function newCorrelationId(header: unknown): string {
  return typeof header === 'string' && /^[0-9a-f-]{36}$/i.test(header) ? header : randomUUID();
}
