import { AppError } from '@emporium/errors';
import type { FastifyError, FastifyInstance } from 'fastify';
import { ProviderError, type ProviderErrorType } from '../../domain/errors.js';

/** The provider's error body (API.md): `{ error: { type, code, message, … } }`. */
export function errorBody(error: ProviderError): { error: Record<string, unknown> } {
  return { error: { type: error.type, code: error.code, message: error.message, ...error.fields } };
}

/** Maps what Fastify raises (schema, body parsing) to the provider's invalid_request_error. */
function fromFastify(error: FastifyError): ProviderError | undefined {
  const first = error.validation?.[0];
  if (first) {
    const params = (first.params ?? {}) as Record<string, unknown>;
    const path = first.instancePath.replace(/^\//, '').replace(/\//g, '.');
    if ('missingProperty' in params) {
      const param = [path, String(params.missingProperty)].filter(Boolean).join('.');
      return new ProviderError('invalid_request_error', 'parameter_missing', `Missing required param: ${param}.`, 400, { param });
    }
    if ('additionalProperty' in params) {
      const param = [path, String(params.additionalProperty)].filter(Boolean).join('.');
      return new ProviderError('invalid_request_error', 'parameter_unknown', `Received unknown parameter: ${param}`, 400, { param });
    }
    return new ProviderError(
      'invalid_request_error',
      'parameter_invalid',
      `Invalid ${path || error.validationContext || 'request'}: ${first.message ?? 'invalid'}`,
      400,
      {
        param: path || error.validationContext,
      },
    );
  }
  if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) {
    const code =
      error.code === 'FST_ERR_CTP_BODY_TOO_LARGE'
        ? 'body_too_large'
        : error.code?.startsWith('FST_ERR_CTP')
          ? 'invalid_body'
          : 'invalid_request';
    return new ProviderError('invalid_request_error', code, error.message, error.statusCode);
  }
  return undefined;
}

/**
 * Answers every error of the sandbox's API in the provider's shape instead of the platform's
 * problem+json: the sandbox plays a third party, whose wire format the payments service parses.
 * Unknown routes under the prefix answer 404 the same way. A 5xx says nothing internal.
 */
export function installProviderErrors(app: FastifyInstance): void {
  app.setErrorHandler((raw: FastifyError, request, reply) => {
    let error: ProviderError;
    if (raw instanceof ProviderError) error = raw;
    else if (raw instanceof AppError && raw.status < 500) error = new ProviderError(typeOf(raw.status), raw.code, raw.message, raw.status);
    else error = fromFastify(raw) ?? new ProviderError('api_error', 'api_error', 'An unexpected error occurred.', 500);
    if (error.status >= 500 && !(raw instanceof ProviderError)) request.log.error({ err: raw }, 'request failed');
    else request.log.info({ code: error.code, status: error.status }, 'request refused');
    if (error.retryAfter !== undefined) void reply.header('retry-after', String(error.retryAfter));
    return reply
      .status(error.status)
      .type('application/json; charset=utf-8')
      .send(JSON.stringify(errorBody(error)));
  });
  app.setNotFoundHandler((request, reply) =>
    reply
      .status(404)
      .type('application/json; charset=utf-8')
      .send(
        JSON.stringify({
          error: {
            type: 'invalid_request_error',
            code: 'route_not_found',
            message: `Unrecognized request URL (${request.method}: ${request.url.split('?')[0]}).`,
          },
        }),
      ),
  );
}

function typeOf(status: number): ProviderErrorType {
  if (status === 401) return 'authentication_error';
  if (status === 429) return 'rate_limit_error';
  return 'invalid_request_error';
}
