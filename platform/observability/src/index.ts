export { createLogger, type Logger, REDACT_PATHS } from './logger.js';
export { createMetrics, type Metrics } from './metrics.js';
