import { randomBytes, randomUUID } from 'node:crypto';
import { distinctIds, type RunningPartnerReceiver, startPartnerReceiver } from '@emporium/sandbox-partner-webhooks';
import fc from 'fast-check';
import { Webhook } from 'standardwebhooks';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { isWebhookSecret } from '../src/domain/endpoint-rules.js';
import { createWebhookSender } from '../src/outbound/webhook-sender.js';

/**
 * Property tests of the signatures notifications puts on partner webhooks: what its own sender
 * (src/outbound/webhook-sender.ts) puts on the wire verifies at the partner receiver sandbox, for
 * any body, delivery id and key; any single change to what it sent never verifies; and the
 * signature lives 5 minutes either way from the moment it was made. The sender and the receiver
 * are the real ones, over loopback HTTP. Every key is made per case from crypto.randomBytes.
 */

const RUNS = 200;
const TOLERANCE_S = 5 * 60;

let receiver: RunningPartnerReceiver;
const sender = createWebhookSender({ timeoutMs: 5_000 });
beforeAll(async () => {
  receiver = await startPartnerReceiver();
});
afterEach(() => {
  vi.useRealTimers();
});
afterAll(async () => {
  await receiver?.close();
});

// ---- generators

/** A header-safe character (visible ASCII). */
const visible = fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c));
const aDeliveryId = fc.oneof(fc.uuid(), fc.string({ unit: visible, minLength: 1, maxLength: 80 }));
/** Any JSON document, with strings of any Unicode code point. */
const aJsonBody = fc.json({ stringUnit: 'binary', maxDepth: 4 });
/** Standard Webhooks keys are 24 to 64 bytes: the range notifications accepts. */
const aKeyLength = fc.integer({ min: 24, max: 64 });

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

// ---- the wire

interface Wire {
  id: string;
  timestamp: string;
  signature: string;
  body: Buffer;
}

/** Every way of breaking a delivery on the wire, each one alone. */
const aTampering = fc.oneof(
  fc.record({ part: fc.constant('body' as const), edit: aByteEdit }),
  fc.record({ part: fc.constant('id' as const), edit: aHeaderEdit }),
  fc.record({ part: fc.constant('timestamp' as const), edit: aHeaderEdit }),
  fc.record({ part: fc.constant('signature' as const), edit: aHeaderEdit }),
  fc.record({ part: fc.constant('truncated signature' as const), keep: fc.nat() }),
  fc.record({ part: fc.constant('another partner' as const) }),
);
type Tampering = typeof aTampering extends fc.Arbitrary<infer T> ? T : never;

function tamper(w: Wire, t: Exclude<Tampering, { part: 'another partner' }>): Wire {
  switch (t.part) {
    case 'body':
      return { ...w, body: editBytes(w.body, t.edit) };
    case 'id':
      return { ...w, id: editHeader(w.id, t.edit) };
    case 'timestamp':
      return { ...w, timestamp: editHeader(w.timestamp, t.edit) };
    case 'signature':
      return { ...w, signature: editHeader(w.signature, t.edit) };
    case 'truncated signature':
      return { ...w, signature: w.signature.slice(0, t.keep % w.signature.length) };
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
 * (The timestamp and body cases are pinned by the receiver's sandboxes/partner-webhooks/test/signatures.property.test.ts.)
 */
function carriesTheSignedContent(sent: Wire, t: Wire): boolean {
  const listSyntax =
    t.signature !== sent.signature && t.signature.split(' ').some((entry) => entry.split(',').slice(0, 2).join(',') === sent.signature);
  const sameText = !t.body.equals(sent.body) && t.body.toString('utf8') === sent.body.toString('utf8');
  return listSyntax || sameText;
}

async function aPartner(keyBytes = 32) {
  const partner = `n-${randomUUID()}`;
  const secret = `whsec_${randomBytes(keyBytes).toString('base64')}`;
  // Only secrets notifications itself would store are used.
  expect(isWebhookSecret(secret)).toBe(true);
  receiver.secrets.set(partner, secret);
  return { partner, secret };
}

/** Sends with notifications' own sender; returns what arrived at the receiver, as it arrived. */
async function sendAs(partner: string, secret: string, deliveryId: string, body: string): Promise<Wire> {
  const before = receiver.log.list(partner).length;
  const outcome = await sender.send({ deliveryId, url: receiver.hookUrl(partner), secret, body });
  expect(outcome).toEqual({ ok: true });
  const arrived = receiver.log.list(partner)[before]!;
  expect(arrived).toMatchObject({ webhookId: deliveryId, body, validSignature: true, accepted: true, answeredStatus: 200 });
  return {
    id: arrived.headers['webhook-id']!,
    timestamp: arrived.headers['webhook-timestamp']!,
    signature: arrived.headers['webhook-signature']!,
    body: Buffer.from(arrived.body),
  };
}

/** Posts a (tampered) copy of what was sent to a partner's hook, as an attacker on the path would. */
const replay = (partner: string, w: Wire) =>
  fetch(receiver.hookUrl(partner), {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'webhook-id': w.id, 'webhook-timestamp': w.timestamp, 'webhook-signature': w.signature },
    body: w.body,
  });

/** A refusal: 400 problem+json invalid_signature; the arrival is not accepted and the partner counts no new event. */
async function expectRefusedWithoutEffect(partner: string, res: Response, events = 1) {
  expect(res.status).toBe(400);
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(((await res.json()) as { code: string }).code).toBe('invalid_signature');
  const arrivals = receiver.log.list(partner);
  expect(arrivals.at(-1)).toMatchObject({ validSignature: false, accepted: false, answeredStatus: 400 });
  expect(distinctIds(arrivals)).toBe(events);
}

describe('what notifications signs, the partner verifies', () => {
  it('when notifications sends any JSON body under any delivery id with any key of 24 to 64 bytes, then the partner receiver verifies it and reads the very body sent; the retry is one event', async () => {
    await fc.assert(
      fc.asyncProperty(aKeyLength, aDeliveryId, aJsonBody, async (keyBytes, deliveryId, body) => {
        const { partner, secret } = await aPartner(keyBytes);
        const sentAt = Math.floor(Date.now() / 1000);
        const wire = await sendAs(partner, secret, deliveryId, body);
        expect(wire.id).toBe(deliveryId);
        // A decimal second of the moment of sending, and a v1 signature (HMAC-SHA256, base64).
        expect(wire.timestamp).toMatch(/^\d+$/);
        expect(Math.abs(Number(wire.timestamp) - sentAt)).toBeLessThanOrEqual(2);
        expect(wire.signature).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
        // And the library both use agrees, reading the JSON the partner gets.
        expect(
          new Webhook(secret).verify(wire.body, {
            'webhook-id': wire.id,
            'webhook-timestamp': wire.timestamp,
            'webhook-signature': wire.signature,
          }),
        ).toEqual(JSON.parse(body));

        // A retry signs afresh under the same id: the partner processes it once.
        await sendAs(partner, secret, deliveryId, body);
        expect(receiver.log.list(partner).map((a) => a.accepted)).toEqual([true, true]);
        expect(distinctIds(receiver.log.list(partner))).toBe(1);
      }),
      { numRuns: RUNS },
    );
  });
});

describe('nothing but what notifications sent verifies', () => {
  it('when one byte of the body, the id or the timestamp is changed, inserted or removed, the signature is altered or truncated, or the delivery is sent to another partner, then it never verifies and has no effect', async () => {
    await fc.assert(
      fc.asyncProperty(aDeliveryId, aJsonBody, aTampering, async (deliveryId, body, t) => {
        const { partner, secret } = await aPartner();
        const wire = await sendAs(partner, secret, deliveryId, body);
        if (t.part === 'another partner') {
          // Each endpoint has its own key: a delivery meant for one partner is a forgery for any other.
          const other = await aPartner();
          await expectRefusedWithoutEffect(other.partner, await replay(other.partner, wire), 0);
          return;
        }
        const tampered = tamper(wire, t);
        // Edits that still carry exactly what was signed are not refusals (see carriesTheSignedContent).
        fc.pre(!carriesTheSignedContent(wire, tampered));
        await expectRefusedWithoutEffect(partner, await replay(partner, tampered));
      }),
      { numRuns: RUNS },
    );
  });
});

describe('a signature of notifications lives 5 minutes either way', () => {
  it('when the partner checks it d seconds after it was made, then it verifies exactly when |d| ≤ 300', async () => {
    const aDelay = fc.oneof(fc.integer({ min: -TOLERANCE_S - 5, max: TOLERANCE_S + 5 }), fc.integer({ min: -(10 ** 8), max: 10 ** 8 }));
    await fc.assert(
      fc.asyncProperty(aDeliveryId, aJsonBody, aDelay, async (deliveryId, body, d) => {
        const { partner, secret } = await aPartner();
        const wire = await sendAs(partner, secret, deliveryId, body);
        // The partner's clock, d seconds after the second the signature names (Date only).
        vi.useFakeTimers({ toFake: ['Date'], now: (Number(wire.timestamp) + d) * 1000 });
        let verified: boolean;
        try {
          new Webhook(secret).verify(wire.body, {
            'webhook-id': wire.id,
            'webhook-timestamp': wire.timestamp,
            'webhook-signature': wire.signature,
          });
          verified = true;
        } catch {
          verified = false;
        } finally {
          vi.useRealTimers();
        }
        expect(verified).toBe(Math.abs(d) <= TOLERANCE_S);
      }),
      { numRuns: RUNS },
    );
  });
});
