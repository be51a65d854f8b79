import { pino, type Logger } from 'pino';
import pretty from 'pino-pretty';
import { activeTraceFields } from './tracing.js';

export type { Logger };

/**
 * Paths that must never be written (STYLE.md §13): credentials, tokens and card data.
 * pino replaces their values before serialisation, wherever a caller puts them.
 */
export const REDACT_PATHS = [
  'password',
  '*.password',
  'token',
  '*.token',
  'accessToken',
  '*.accessToken',
  'refreshToken',
  '*.refreshToken',
  'secret',
  '*.secret',
  'paymentMethod',
  '*.paymentMethod',
  'card',
  '*.card',
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["idempotency-key"]',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
];

export interface LoggerOptions {
  service: string;
  level?: string;
  /** Human-readable output; defaults to true when stdout is a terminal. */
  pretty?: boolean;
  /** Where to write; stdout by default (tests pass a stream to read the lines). */
  destination?: NodeJS.WritableStream;
}

/**
 * A request as a log line shows it: method, path WITHOUT the query string (queries may carry
 * tokens — an OIDC logout's id_token_hint, say — and are not worth the risk), host and address.
 */
function requestForLog(req: {
  method?: string;
  url?: string;
  host?: string;
  hostname?: string;
  ip?: string;
  remoteAddress?: string;
  socket?: { remoteAddress?: string };
}) {
  return {
    method: req.method,
    url: typeof req.url === 'string' ? req.url.split('?')[0] : req.url,
    host: req.host ?? req.hostname,
    remoteAddress: req.remoteAddress ?? req.ip ?? req.socket?.remoteAddress,
  };
}

export function createLogger(options: LoggerOptions): Logger {
  const usePretty = options.pretty ?? process.stdout.isTTY === true;
  const base = { service: options.service };
  const common = {
    level: options.level ?? 'info',
    base,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    serializers: { req: requestForLog },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label: string) => ({ level: label }) },
    // The active span's trace_id and span_id on every line written within it (nothing without tracing).
    mixin: () => activeTraceFields() ?? {},
  };
  if (usePretty) {
    return pino(
      common,
      pretty({ colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname', destination: options.destination ?? 1 }),
    );
  }
  return options.destination ? pino(common, options.destination as pino.DestinationStream) : pino(common);
}
