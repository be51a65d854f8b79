/** The API operations a fault can target (API.md, "Faults"). */
export const API_OPERATIONS = ['create', 'capture', 'cancel', 'refund', 'get', 'search'] as const;
export type ApiOperation = (typeof API_OPERATIONS)[number];

export type ApiFaultKind =
  /** Answer `ms` later (the idempotency key is held meanwhile). */
  | { kind: 'latency'; ms: number }
  /** Fail without doing anything; nothing is stored under the key. 429 carries Retry-After. */
  | { kind: 'error_before_commit'; status: 429 | 500 | 502 | 503 | 504; retry_after?: number }
  /** Do it, store the response under the key, then answer this error instead. */
  | { kind: 'error_after_commit'; status: 429 | 500 | 502 | 503 | 504 }
  /** Do it, store the response under the key, then hold the answer `ms` (longer than the caller waits). */
  | { kind: 'timeout_after_commit'; ms: number };

export type WebhookFaultKind =
  /** Deliver each event `copies` times in all (same event id, same body). */
  | { kind: 'duplicate'; copies: number }
  /** Hold each event `ms` before its first delivery attempt. */
  | { kind: 'delay'; ms: number }
  /** Hold events until `count` are held (or `ms` passed since the first), then send them newest first. */
  | { kind: 'shuffle'; count: number; ms: number }
  /** Never send the event. */
  | { kind: 'drop' };

/** `times`: how many requests (or events) the rule affects before it retires; absent → until cleared. */
export type ApiFault = { operation: ApiOperation | '*'; times?: number } & ApiFaultKind;
export type WebhookFault = { operation: 'webhook'; times?: number } & WebhookFaultKind;
export type FaultRule = ApiFault | WebhookFault;

interface Armed {
  rule: FaultRule;
  remaining: number | undefined;
}

/**
 * The faults switched on by a test (`PUT /v1/test/faults`). Each request of an operation takes
 * every rule that matches it, in the order given, and uses up one of each rule's `times`.
 */
export class FaultBook {
  #armed: Armed[] = [];

  /** Replaces every rule. */
  set(rules: FaultRule[]): void {
    this.#armed = rules.map((rule) => ({ rule, remaining: rule.times }));
  }

  clear(): void {
    this.#armed = [];
  }

  /** The rules still armed, with what is left of their `times`. */
  list(): (FaultRule & { remaining?: number })[] {
    return this.#armed.map(({ rule, remaining }) => (remaining === undefined ? { ...rule } : { ...rule, remaining }));
  }

  /** The rules that apply to one request of `operation` (each used once). */
  take(operation: ApiOperation): ApiFault[] {
    return this.#take((rule) => rule.operation === operation || rule.operation === '*') as ApiFault[];
  }

  /** The rules that apply to one webhook event (each used once). */
  takeWebhook(): WebhookFault[] {
    return this.#take((rule) => rule.operation === 'webhook') as WebhookFault[];
  }

  #take(matches: (rule: FaultRule) => boolean): FaultRule[] {
    const taken: FaultRule[] = [];
    for (const armed of this.#armed) {
      if (!matches(armed.rule)) continue;
      taken.push(armed.rule);
      if (armed.remaining !== undefined) armed.remaining -= 1;
    }
    this.#armed = this.#armed.filter((a) => a.remaining === undefined || a.remaining > 0);
    return taken;
  }
}
