/**
 * One error model for every service (STYLE.md §8): a stable string `code`, an HTTP status,
 * and `expose` — whether the message may reach a client. Only errors with status < 500 are exposed.
 */
export class AppError extends Error {
  readonly code: string;
  readonly status: number;
  readonly expose: boolean;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: string, message: string, status = 500, options: { details?: Record<string, unknown>; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.status = status;
    this.expose = status < 500;
    this.details = options.details;
  }
}

export const badRequest = (code: string, message: string, details?: Record<string, unknown>) =>
  new AppError(code, message, 400, details ? { details } : {});
export const notFound = (code: string, message: string) => new AppError(code, message, 404);
export const conflict = (code: string, message: string, details?: Record<string, unknown>) =>
  new AppError(code, message, 409, details ? { details } : {});
export const unprocessable = (code: string, message: string, details?: Record<string, unknown>) =>
  new AppError(code, message, 422, details ? { details } : {});
export const unavailable = (code: string, message: string, cause?: unknown) => new AppError(code, message, 503, { cause });

/** RFC 9457 problem details, as every service answers them. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  code: string;
  detail?: string;
  instance?: string;
  traceId?: string;
  requestId?: string;
  [extension: string]: unknown;
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/**
 * 502/503/504 say that a dependency failed, not what broke inside: their stable code and the
 * message (written to name only the service, never a URL or a stack) reach the client so it
 * knows to retry. Every other 5xx is `internal_error` with no detail.
 */
const UPSTREAM_STATUSES = new Set([502, 503, 504]);

/** Builds the problem body for an error. A 5xx body says nothing internal. */
export function toProblem(error: AppError, context: { instance?: string; requestId?: string; traceId?: string } = {}): Problem {
  const problem: Problem = {
    type: `https://emporium.dev/problems/${error.expose || UPSTREAM_STATUSES.has(error.status) ? error.code : 'internal_error'}`,
    title: error.expose || UPSTREAM_STATUSES.has(error.status) ? titleFor(error.status) : 'Internal Server Error',
    status: error.status,
    code: error.expose || UPSTREAM_STATUSES.has(error.status) ? error.code : 'internal_error',
  };
  if (error.expose || UPSTREAM_STATUSES.has(error.status)) problem.detail = error.message;
  if (error.expose && error.details) Object.assign(problem, { errors: error.details });
  if (context.instance) problem.instance = context.instance;
  if (context.requestId) problem.requestId = context.requestId;
  if (context.traceId) problem.traceId = context.traceId;
  return problem;
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  428: 'Precondition Required',
  429: 'Too Many Requests',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

export function titleFor(status: number): string {
  return TITLES[status] ?? (status < 500 ? 'Client Error' : 'Server Error');
}

/** Errors carrying a `code` that is ours to decide by, e.g. from a domain module. */
export function isAppError(error: unknown): error is AppError {
  return error instanceof AppError;
}
