import { randomBytes } from 'node:crypto';
import type { Logger } from '@emporium/observability';
import { type RunningService, startService } from '@emporium/service';
import type { PaymentProviderConfig } from './config.js';
import type { LedgerEntry } from './domain/ledger.js';
import type { FaultRuleBody } from './entry-points/http/schemas.js';
import { paymentProviderModule } from './index.js';

/** A fault rule as `PUT /v1/test/faults` takes it (API.md, "Faults"). */
export type FaultRuleInput = FaultRuleBody;

/** A running sandbox, for tests: every switch goes through its HTTP test routes. */
export interface PaymentProviderHandle {
  /** Base URL, e.g. http://127.0.0.1:41234 (the API is under /v1). */
  url: string;
  /** The secret key callers must send as `Authorization: Bearer …`. */
  secretKey: string;
  running: RunningService<unknown, PaymentProviderConfig>;
  /** Replaces the injected faults. */
  setFaults(rules: FaultRuleInput[]): Promise<void>;
  clearFaults(): Promise<void>;
  /** The oracle: money movements, all or those of one order. */
  ledger(orderId?: string): Promise<LedgerEntry[]>;
  close(): Promise<void>;
}

/**
 * Starts the sandbox in this process on a free port (127.0.0.1), as startService starts any
 * service. `env` adds or overrides settings; a random `sk_test_…` key is made when none is given.
 */
export async function startPaymentProvider(
  env: Record<string, string | undefined> = {},
  options: { logger?: Logger } = {},
): Promise<PaymentProviderHandle> {
  const secretKey = env.SANDBOX_SECRET_KEY ?? `sk_test_${randomBytes(16).toString('hex')}`;
  const running = await startService(paymentProviderModule, {
    env: { PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', ...env, SANDBOX_SECRET_KEY: secretKey },
    ...(options.logger ? { logger: options.logger } : {}),
  });
  const call = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${running.url}${path}`, {
      method,
      ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    });
    if (!response.ok) throw new Error(`payment-provider sandbox: ${method} ${path} answered ${response.status}: ${await response.text()}`);
    return response.json() as Promise<any>;
  };
  return {
    url: running.url,
    secretKey,
    running,
    setFaults: async (rules) => {
      await call('PUT', '/v1/test/faults', { rules });
    },
    clearFaults: async () => {
      await call('DELETE', '/v1/test/faults');
    },
    ledger: async (orderId) =>
      (await call('GET', `/v1/test/ledger${orderId === undefined ? '' : `?order_id=${encodeURIComponent(orderId)}`}`)).data,
    close: () => running.stop(),
  };
}
