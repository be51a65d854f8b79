import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  idempotencyKeyInvalid,
  idempotencyKeyReused,
  idempotencyRequestInProgress,
  injectedFailure,
  ProviderError,
} from '../../domain/errors.js';
import type { ApiFault, ApiOperation, FaultBook } from '../../domain/faults.js';
import { errorBody } from './provider-errors.js';
import { type Claim, fingerprintOf, type IdempotencyStore, type StoredAnswer } from './idempotency.js';

/** What the HTTP edge needs beside the use cases. */
export interface EdgeDeps {
  faults: FaultBook;
  idempotency: IdempotencyStore;
  /** The idempotency scope of the caller: a hash of the secret key it authenticated with. */
  scope: string;
  /** Waits `ms` (a latency or a held answer); cut short when the server closes. */
  hold(ms: number): Promise<void>;
  faultInjected(operation: ApiOperation, fault: ApiFault): void;
}

const JSON_TYPE = 'application/json; charset=utf-8';

/**
 * Runs one API operation the way the provider does, in this order:
 *
 * 1. `Idempotency-Key` (POST only): a stored response is replayed byte for byte
 *    (`Idempotent-Replayed: true`); other parameters → 400 idempotency_key_reused; still running →
 *    409 idempotency_request_in_progress. Otherwise the key is claimed.
 * 2. Faults of the operation: `latency` waits (the key stays claimed), `error_before_commit`
 *    answers the error, does nothing and releases the key.
 * 3. The work itself, synchronous (atomic). Its answer, success or a refusal such as 402
 *    card_declined, is stored under the key — the commit.
 * 4. `error_after_commit` answers its error instead; `timeout_after_commit` holds the answer.
 *    A retry with the same key gets the stored success: the point of incidents F2/F3.
 *
 * Not stored: schema errors, 401, 409, injected errors before the commit, unexpected 5xx.
 */
export async function runOperation(
  deps: EdgeDeps,
  request: FastifyRequest,
  reply: FastifyReply,
  operation: ApiOperation,
  work: () => unknown,
): Promise<void> {
  const key = idempotencyKeyOf(request);
  let claim: Extract<Claim, { kind: 'claimed' }> | undefined;
  if (key !== undefined) {
    const found = deps.idempotency.claim(deps.scope, key, fingerprintOf(request.method, request.url.split('?')[0] ?? '', request.body));
    if (found.kind === 'replay') {
      send(reply.header('idempotency-key', key).header('idempotent-replayed', 'true'), found.answer);
      return;
    }
    if (found.kind === 'mismatch') throw idempotencyKeyReused();
    if (found.kind === 'in_flight') throw idempotencyRequestInProgress();
    claim = found;
    void reply.header('idempotency-key', key);
  }
  let committed = false;
  try {
    const faults = deps.faults.take(operation);
    for (const fault of faults) deps.faultInjected(operation, fault);
    for (const fault of faults) if (fault.kind === 'latency') await deps.hold(fault.ms);
    const before = faults.find((f) => f.kind === 'error_before_commit');
    if (before) throw injectedFailure(before.status, before.retry_after);

    let answer: StoredAnswer;
    try {
      answer = { status: 200, body: JSON.stringify(work()) };
    } catch (error) {
      if (!(error instanceof ProviderError) || error.status >= 500) throw error;
      answer = { status: error.status, body: JSON.stringify(errorBody(error)) };
    }
    claim?.complete(answer);
    committed = true;

    const after = faults.find((f) => f.kind === 'error_after_commit');
    if (after) throw injectedFailure(after.status);
    const timeout = faults.find((f) => f.kind === 'timeout_after_commit');
    if (timeout) await deps.hold(timeout.ms);
    send(reply, answer);
  } finally {
    if (!committed) claim?.release();
  }
}

function idempotencyKeyOf(request: FastifyRequest): string | undefined {
  if (request.method !== 'POST') return undefined;
  const key = request.headers['idempotency-key'];
  if (key === undefined) return undefined;
  if (typeof key !== 'string' || key.length === 0 || key.length > 255) throw idempotencyKeyInvalid();
  return key;
}

function send(reply: FastifyReply, answer: StoredAnswer): void {
  void reply.status(answer.status).type(JSON_TYPE).send(answer.body);
}
