/** Methods whose repetition has the effect of one request (RFC 9110 §9.2.2). */
const IDEMPOTENT_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE']);

/**
 * Whether a request may be sent again after a failure: its method is idempotent, or it carries an
 * `Idempotency-Key`, which makes the callee answer a repeat with the first outcome.
 */
export function isRetrySafe(method: string, headers: Headers): boolean {
  return IDEMPOTENT_METHODS.has(method.toUpperCase()) || Boolean(headers.get('idempotency-key'));
}
