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

export function createLogger(options: LoggerOptions): Logger {
  const usePretty = options.pretty ?? process.stdout.isTTY === true;
  const base = { service: options.service };
  const common = {
    level: options.level ?? 'info',
    base,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
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
