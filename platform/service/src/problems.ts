import { AppError, PROBLEM_CONTENT_TYPE, toProblem } from '@emporium/errors';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** Maps what Fastify itself raises to our stable codes (STYLE.md §8). */
function fromFastify(error: FastifyError): AppError | undefined {
  if (error.validation) {
    const details = Object.fromEntries(
      error.validation
        .slice(0, 20)
        .map((v, i) => [
          `${error.validationContext ?? 'request'}${v.instancePath || ''}${v.params && 'additionalProperty' in v.params ? `/${String(v.params.additionalProperty)}` : ''}${v.params && 'missingProperty' in v.params ? `/${String(v.params.missingProperty)}` : ''}` ||
            String(i),
          v.message ?? 'invalid',
        ]),
    );
    return new AppError('validation_failed', `The ${error.validationContext ?? 'request'} is not valid: ${error.message}`, 400, {
      details,
    });
  }
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new AppError('body_too_large', 'The request body is larger than this endpoint accepts', 413);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new AppError('unsupported_media_type', 'The request content type is not supported; send application/json', 415);
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new AppError('empty_body', 'The request body is empty but declared as JSON', 400);
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new AppError('malformed_body', 'The request body is not valid JSON', 400);
  }
  if (error instanceof SyntaxError || (error as { type?: string }).type === 'entity.parse.failed') {
    return new AppError('malformed_body', 'The request body is not valid JSON', 400);
  }
  if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) {
    return new AppError((error.code ?? 'bad_request').toLowerCase(), error.message, error.statusCode);
  }
  return undefined;
}

export function sendProblem(request: FastifyRequest, reply: FastifyReply, error: AppError): FastifyReply {
  const problem = toProblem(error, { instance: request.url.split('?')[0], requestId: request.id });
  // An error that names its own headers (platform/auth: WWW-Authenticate on 401/403, RFC 6750 §3).
  const headers = (error as { headers?: unknown }).headers;
  if (headers && typeof headers === 'object') for (const [name, value] of Object.entries(headers)) reply.header(name, String(value));
  return reply.status(error.status).type(PROBLEM_CONTENT_TYPE).send(problem);
}

export function installProblemHandlers(app: FastifyInstance): void {
  app.setErrorHandler((raw: FastifyError, request, reply) => {
    const error = raw instanceof AppError ? raw : (fromFastify(raw) ?? new AppError('internal_error', raw.message, 500, { cause: raw }));
    if (error.status >= 500) request.log.error({ err: raw }, 'request failed');
    else request.log.info({ code: error.code, status: error.status }, 'request rejected');
    return sendProblem(request, reply, error);
  });
  app.setNotFoundHandler((request, reply) =>
    sendProblem(request, reply, new AppError('route_not_found', `No route for ${request.method} ${request.url.split('?')[0]}`, 404)),
  );
}
