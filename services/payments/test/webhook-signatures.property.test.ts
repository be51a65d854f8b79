import { randomBytes, randomUUID } from 'node:crypto';
import { sql } from '@emporium/db';
import fc from 'fast-check';
import { Webhook } from 'standardwebhooks';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createWebhookVerifier } from '../src/domain/handle-webhook.js';
import { expectProblem, type Harness, metric, startHarness } from './support/payments.js';

/**
 * Property tests of the provider's webhook signatures as payments checks them (Standard Webhooks:
 * HMAC-SHA256 of `id.timestamp.body`, 5-minute tolerance): the verifier payments builds from its
 * secret, for 200 generated cases per property under a frozen clock (Date only); then the HTTP
 * route, for about 25 cases per property, where every refusal must answer 400 problem+json
 * `invalid_signature` and leave nothing behind (the webhook_events table, the dedup by event id).
 * Every key is made per case from crypto.randomBytes.
 */

const TOLERANCE_S = 5 * 60;
const PURE_RUNS = 200;
const HTTP_RUNS = 25;

const newSecret = (bytes = 32) => `whsec_${randomBytes(bytes).toString('base64')}`;

interface Delivery {
  id: string;
  timestamp: string;
  signature: string;
  body: Buffer;
}

/** Signs as the provider sandbox does (sandboxes/payment-provider/src/webhooks/dispatcher.ts). */
function sign(secret: string, id: string, atSeconds: number, body: string): Delivery {
  return {
    id,
    timestamp: String(atSeconds),
    signature: new Webhook(secret).sign(id, new Date(atSeconds * 1000), body),
    body: Buffer.from(body),
  };
}

const HEADERS = ['webhook-id', 'webhook-timestamp', 'webhook-signature'] as const;
const headersOf = (d: Delivery, without: readonly string[] = []) => {
  const all: Record<string, string> = { 'webhook-id': d.id, 'webhook-timestamp': d.timestamp, 'webhook-signature': d.signature };
  for (const name of without) delete all[name];
  return all;
};

// ---- generators

/** A header-safe character (visible ASCII). */
const visible = fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c));
const aHeaderId = fc.string({ unit: visible, minLength: 1, maxLength: 80 });
/** Any JSON document, with strings of any Unicode code point. */
const aJsonBody = fc.json({ stringUnit: 'binary', maxDepth: 4 });
const aKeyLength = fc.integer({ min: 24, max: 64 });
const notANumber = fc.string({ unit: visible, minLength: 1, maxLength: 20 }).filter((s) => Number.isNaN(Number.parseInt(s, 10)));

/** Signatures that are not the valid one: other versions, unknown schemes, a v1 of other bytes. */
const aDecoySignature = fc.oneof(
  fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => `v1,${Buffer.from(b).toString('base64')}`),
  fc
    .tuple(fc.constantFrom('v0', 'v2', 'v1a', 'V1', 'whsec'), fc.uint8Array({ minLength: 1, maxLength: 64 }))
    .map(([version, b]) => `${version},${Buffer.from(b).toString('base64')}`),
);
/** The valid signature somewhere in a space-delimited list of decoys. */
const aSignatureList = fc.record({ decoys: fc.array(aDecoySignature, { maxLength: 4 }), at: fc.nat() });
const withDecoys = (valid: string, list: { decoys: string[]; at: number }) => {
  const all = [...list.decoys];
  all.splice(list.at % (all.length + 1), 0, valid);
  return all.join(' ');
};

/** One byte changed (to any other byte), inserted or removed, at a position taken modulo the length. */
type Edit = { op: 'change'; at: number; xor: number } | { op: 'insert'; at: number; byte: number } | { op: 'remove'; at: number };
const aByteEdit: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({ op: fc.constant('change' as const), at: fc.nat(), xor: fc.integer({ min: 1, max: 255 }) }),
  fc.record({ op: fc.constant('insert' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ op: fc.constant('remove' as const), at: fc.nat() }),
);
/** The same edits for a header value: it stays visible ASCII (what HTTP carries). */
const aHeaderEdit: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({ op: fc.constant('change' as const), at: fc.nat(), xor: fc.integer({ min: 1, max: 93 }) }),
  fc.record({ op: fc.constant('insert' as const), at: fc.nat(), byte: fc.integer({ min: 0x21, max: 0x7e }) }),
  fc.record({ op: fc.constant('remove' as const), at: fc.nat() }),
);

function editBytes(bytes: Buffer, e: Edit): Buffer {
  if (e.op === 'insert') {
    const at = e.at % (bytes.length + 1);
    return Buffer.concat([bytes.subarray(0, at), Buffer.from([e.byte]), bytes.subarray(at)]);
  }
  const at = e.at % bytes.length;
  if (e.op === 'remove') return Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + 1)]);
  const out = Buffer.from(bytes);
  out[at] = bytes[at]! ^ e.xor;
  return out;
}

function editHeader(value: string, e: Edit): string {
  if (e.op !== 'change') return editBytes(Buffer.from(value, 'latin1'), e).toString('latin1');
  const at = e.at % value.length;
  const moved = 0x21 + ((value.charCodeAt(at) - 0x21 + e.xor) % 94);
  return value.slice(0, at) + String.fromCharCode(moved) + value.slice(at + 1);
}

/** Every way of breaking a genuine delivery by one byte, each one alone. */
const aTampering = fc.oneof(
  fc.record({ part: fc.constant('body' as const), edit: aByteEdit }),
  fc.record({ part: fc.constant('id' as const), edit: aHeaderEdit }),
  fc.record({ part: fc.constant('timestamp' as const), edit: aHeaderEdit }),
  fc.record({ part: fc.constant('signature' as const), edit: aHeaderEdit }),
  fc.record({ part: fc.constant('truncated signature' as const), keep: fc.nat() }),
);
type Tampering = typeof aTampering extends fc.Arbitrary<infer T> ? T : never;

function tamper(d: Delivery, t: Tampering): Delivery {
  switch (t.part) {
    case 'body':
      return { ...d, body: editBytes(d.body, t.edit) };
    case 'id':
      return { ...d, id: editHeader(d.id, t.edit) };
    case 'timestamp':
      return { ...d, timestamp: editHeader(d.timestamp, t.edit) };
    case 'signature':
      return { ...d, signature: editHeader(d.signature, t.edit) };
    case 'truncated signature':
      return { ...d, signature: d.signature.slice(0, t.keep % d.signature.length) };
  }
}

/**
 * Whether a tampered copy still carries, for the verifier, exactly what was signed. Standard
 * Webhooks' reference library (which every side here uses) is lenient in two ways we keep, neither
 * of which changes what was signed: it reads the signature list loosely ("v1,…," is the signed
 * "v1,…"), and it decodes the body as UTF-8 before the HMAC (around an encoded U+FFFD, other bytes
 * can decode to the same text). Its third leniency, a timestamp header read with parseInt
 * ("1700000000x" as the signed second), our verifiers close: plain digits only. Such an edit carries the signed id, second and text;
 * every other one-byte edit must be refused.
 * (The body case is pinned by 'the body counts as UTF-8 text' below, the timestamp case by the partner
 * receiver's sandboxes/partner-webhooks/test/signatures.property.test.ts.)
 */
function carriesTheSignedContent(genuine: Delivery, t: Delivery): boolean {
  const listSyntax =
    t.signature !== genuine.signature &&
    t.signature.split(' ').some((entry) => entry.split(',').slice(0, 2).join(',') === genuine.signature);
  const sameText = !t.body.equals(genuine.body) && t.body.toString('utf8') === genuine.body.toString('utf8');
  return listSyntax || sameText;
}

/** Whether payments' verifier (built from its secret, given the raw body) takes the delivery. */
function verifies(secret: string, d: Delivery, without: readonly string[] = []): boolean {
  try {
    createWebhookVerifier(secret).verify(d.body, headersOf(d, without));
    return true;
  } catch {
    return false;
  }
}

describe('payments’ verifier, for any delivery', () => {
  const NOW_S = Math.floor(Date.now() / 1000);
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'], now: NOW_S * 1000 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });
  const anOffsetWithin = fc.integer({ min: -TOLERANCE_S, max: TOLERANCE_S });

  it('when any JSON body under any id is signed with the provider’s key, stamped up to 5 minutes either side of now, among signatures of other versions or keys, then it verifies and yields that JSON', () => {
    fc.assert(
      fc.property(
        aKeyLength,
        fc.string({ unit: 'binary', minLength: 1, maxLength: 80 }),
        aJsonBody,
        anOffsetWithin,
        aSignatureList,
        (keyBytes, id, body, offset, list) => {
          const secret = newSecret(keyBytes);
          const genuine = sign(secret, id, NOW_S + offset, body);
          const event = createWebhookVerifier(secret).verify(
            genuine.body,
            headersOf({ ...genuine, signature: withDecoys(genuine.signature, list) }),
          );
          expect(event).toEqual(JSON.parse(body));
        },
      ),
      { numRuns: PURE_RUNS },
    );
  });

  it('when it is signed with another key, changed by one byte anywhere, stale, from the future, short of a header or stamped with no number, then it never verifies', () => {
    const aRefusal = fc.oneof(
      fc.record({ kind: fc.constant('forged' as const), keyBytes: aKeyLength }),
      fc.record({ kind: fc.constant('tampered' as const), tampering: aTampering }),
      fc.record({ kind: fc.constant('outside' as const), seconds: fc.integer({ min: TOLERANCE_S + 1, max: 10 ** 9 }), past: fc.boolean() }),
      fc.record({ kind: fc.constant('missing' as const), headers: fc.subarray([...HEADERS], { minLength: 1 }) }),
      fc.record({ kind: fc.constant('not a number' as const), timestamp: notANumber }),
    );
    fc.assert(
      fc.property(aHeaderId, aJsonBody, anOffsetWithin, aRefusal, (id, body, offset, refusal) => {
        const secret = newSecret();
        const genuine = sign(secret, id, NOW_S + offset, body);
        expect(verifies(secret, genuine)).toBe(true);
        const taken = (() => {
          switch (refusal.kind) {
            case 'forged':
              return verifies(secret, sign(newSecret(refusal.keyBytes), id, NOW_S + offset, body));
            case 'tampered': {
              const tampered = tamper(genuine, refusal.tampering);
              fc.pre(!carriesTheSignedContent(genuine, tampered));
              return verifies(secret, tampered);
            }
            case 'outside':
              return verifies(secret, sign(secret, id, NOW_S + (refusal.past ? -refusal.seconds : refusal.seconds), body));
            case 'missing':
              return verifies(secret, genuine, refusal.headers);
            case 'not a number':
              return verifies(secret, { ...genuine, timestamp: refusal.timestamp });
          }
        })();
        expect(taken).toBe(false);
      }),
      { numRuns: PURE_RUNS },
    );
  });

  it('a timestamp header with a leading zero (the signed second to parseInt, not what was signed) never verifies', () => {
    const secret = newSecret();
    const genuine = sign(secret, 'evt_leading_zero', NOW_S, '{}');
    expect(verifies(secret, genuine)).toBe(true);
    expect(verifies(secret, { ...genuine, timestamp: `0${genuine.timestamp}` })).toBe(false);
    expect(verifies(secret, { ...genuine, timestamp: `00${genuine.timestamp}` })).toBe(false);
  });

  it('the body counts as UTF-8 text: a byte edit verifies only when the bytes decode to the very text signed (around an encoded U+FFFD), any other is refused', () => {
    // payments hands the verifier the raw Buffer, and the library decodes it before the HMAC:
    // invalid UTF-8 becomes U+FFFD, so dropping the last byte of an encoded U+FFFD (EF BF BD)
    // decodes to the same text. The event parsed is then exactly the event signed.
    const withReplacement = fc.tuple(aJsonBody, fc.nat()).map(([json, at]) => {
      const i = at % (json.length + 1);
      return JSON.stringify({ note: `${json.slice(0, i)}\uFFFD${json.slice(i)}` });
    });
    fc.assert(
      fc.property(withReplacement, aByteEdit, fc.boolean(), (body, edit, atReplacement) => {
        const secret = newSecret();
        const genuine = sign(secret, `msg_${randomUUID()}`, NOW_S, body);
        // Half the cases aim at the last byte of the encoded U+FFFD, where the lenient case lives.
        const target = genuine.body.indexOf(Buffer.from('\uFFFD')) + 2;
        const tampered = { ...genuine, body: editBytes(genuine.body, atReplacement ? { ...edit, at: target } : edit) };
        expect(verifies(secret, tampered)).toBe(tampered.body.toString('utf8') === body);
      }),
      { numRuns: PURE_RUNS },
    );
  });
});

describe('POST /api/payments/webhooks/provider, for any delivery', () => {
  let h: Harness;
  beforeAll(async () => {
    // Only this file's deliveries reach payments: the sandbox sends none of its own.
    h = await startHarness({ webhooks: false });
  });
  afterAll(() => h?.close());

  // Not enough clock left to cross the 5-minute line while a case runs (the clock is real here).
  const anOffsetWithin = fc.integer({ min: -(TOLERANCE_S - 10), max: TOLERANCE_S - 10 });
  const nowS = () => Math.floor(Date.now() / 1000);

  /** A provider event that concerns no intent: payments records it and does nothing more (no call to the provider). */
  const anEvent = fc.record({
    type: fc.constantFrom('charge.updated', 'customer.created', 'balance.available', 'payout.paid', 'refund.updated'),
    created: fc.nat(),
    data: fc.record({
      object: fc.dictionary(fc.string({ unit: 'binary', maxLength: 12 }), fc.jsonValue({ stringUnit: 'binary', maxDepth: 2 }), {
        maxKeys: 6,
      }),
    }),
  });
  const bodyOf = (eventId: string, event: object) => JSON.stringify({ id: eventId, ...event });

  const deliver = (d: Delivery, without: readonly string[] = []) =>
    h.payments.app.inject({
      method: 'POST',
      url: '/api/payments/webhooks/provider',
      headers: { 'content-type': 'application/json', ...headersOf(d, without) },
      payload: d.body,
    });
  const recorded = async (eventId: string) =>
    (await h.payments.ctx.db.selectFrom('webhook_events').select('event_id').where('event_id', '=', eventId).executeTakeFirst()) !==
    undefined;
  const rows = async () => (await sql<{ n: number }>`SELECT count(*)::int AS n FROM webhook_events`.execute(h.payments.ctx.db)).rows[0]!.n;
  const refusals = () => metric(h.payments, 'emporium_payments_webhooks_total', { outcome: 'invalid_signature' });

  /**
   * A refusal has no effect: 400 problem+json `invalid_signature`, counted as such, no row in
   * webhook_events; and the genuine delivery coming next is processed as new, not as a duplicate.
   */
  async function expectRefusedWithoutEffect(attempt: () => ReturnType<typeof deliver>, genuine: Delivery, eventId: string) {
    const [before, refused] = [await rows(), await refusals()];
    expectProblem(await attempt(), 400, 'invalid_signature');
    expect(await rows()).toBe(before);
    expect(await recorded(eventId)).toBe(false);
    expect(await refusals()).toBe(refused + 1);

    const real = await deliver(genuine);
    expect({ status: real.statusCode, body: real.json() }).toEqual({ status: 200, body: { received: true, result: 'ignored' } });
    expect(await rows()).toBe(before + 1);
  }

  it('when a provider event is signed with the webhook secret, under any id, up to 5 minutes either side of now, among other signatures, then it is taken once and recorded once', async () => {
    await fc.assert(
      fc.asyncProperty(aHeaderId, anEvent, anOffsetWithin, aSignatureList, async (id, event, offset, list) => {
        const eventId = `evt_${randomUUID()}`;
        const genuine = sign(h.webhookSecret, id, nowS() + offset, bodyOf(eventId, event));
        const before = await rows();

        const res = await deliver({ ...genuine, signature: withDecoys(genuine.signature, list) });
        expect({ status: res.statusCode, body: res.json() }).toEqual({ status: 200, body: { received: true, result: 'ignored' } });
        expect(await recorded(eventId)).toBe(true);
        // The provider's retry of the same event, signed afresh: deduplicated by the event id.
        const again = await deliver(sign(h.webhookSecret, `${id}-retry`, nowS(), bodyOf(eventId, event)));
        expect(again.json()).toEqual({ received: true, result: 'duplicate' });
        expect(await rows()).toBe(before + 1);
      }),
      { numRuns: HTTP_RUNS },
    );
  });

  it('when any JSON is correctly signed, then the signature is never the problem: an event is taken, anything else is 400 malformed_event and recorded nowhere', async () => {
    await fc.assert(
      fc.asyncProperty(aHeaderId, aJsonBody, async (id, body) => {
        const before = await rows();
        const res = await deliver(sign(h.webhookSecret, id, nowS(), body));
        expect(res.json().code).not.toBe('invalid_signature');
        if (res.statusCode !== 200) {
          expectProblem(res, 400, 'malformed_event');
          expect(await rows()).toBe(before);
        }
      }),
      { numRuns: HTTP_RUNS },
    );
  });

  it('when the event is signed with another key, stale, from the future, short of a header or stamped with no number, then 400 invalid_signature and nothing recorded', async () => {
    const aRefusal = fc.oneof(
      fc.record({ kind: fc.constant('forged' as const), keyBytes: aKeyLength }),
      fc.record({ kind: fc.constant('stale' as const), seconds: fc.integer({ min: TOLERANCE_S + 1, max: 10 ** 9 }) }),
      // 10 s beyond the line: a slow case must not bring it back within the tolerance.
      fc.record({ kind: fc.constant('future' as const), seconds: fc.integer({ min: TOLERANCE_S + 10, max: 10 ** 9 }) }),
      fc.record({ kind: fc.constant('missing' as const), headers: fc.subarray([...HEADERS], { minLength: 1 }) }),
      fc.record({ kind: fc.constant('not a number' as const), timestamp: notANumber }),
    );
    await fc.assert(
      fc.asyncProperty(aHeaderId, anEvent, aRefusal, async (id, event, refusal) => {
        const eventId = `evt_${randomUUID()}`;
        const body = bodyOf(eventId, event);
        const genuine = sign(h.webhookSecret, id, nowS(), body);
        const attempt = () => {
          switch (refusal.kind) {
            case 'forged':
              return deliver(sign(newSecret(refusal.keyBytes), id, nowS(), body));
            case 'stale':
              return deliver(sign(h.webhookSecret, id, nowS() - refusal.seconds, body));
            case 'future':
              return deliver(sign(h.webhookSecret, id, nowS() + refusal.seconds, body));
            case 'missing':
              return deliver(genuine, refusal.headers);
            case 'not a number':
              return deliver({ ...genuine, timestamp: refusal.timestamp });
          }
        };
        await expectRefusedWithoutEffect(attempt, genuine, eventId);
      }),
      { numRuns: HTTP_RUNS },
    );
  });

  it('when one byte of the body, the id or the timestamp is changed, inserted or removed, or the signature is altered or truncated, then 400 invalid_signature and nothing recorded', async () => {
    await fc.assert(
      fc.asyncProperty(aHeaderId, anEvent, anOffsetWithin, aTampering, async (id, event, offset, tampering) => {
        const eventId = `evt_${randomUUID()}`;
        const genuine = sign(h.webhookSecret, id, nowS() + offset, bodyOf(eventId, event));
        const tampered = tamper(genuine, tampering);
        fc.pre(!carriesTheSignedContent(genuine, tampered));
        await expectRefusedWithoutEffect(() => deliver(tampered), genuine, eventId);
      }),
      { numRuns: HTTP_RUNS },
    );
  });
});
