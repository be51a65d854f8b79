import { type StandIn, startStandIn, waitFor } from '@emporium/testing';
import { Webhook } from 'standardwebhooks';
import { afterEach, describe, expect, it } from 'vitest';
import { aWebhookSecret, type Client, clientOf, FAST_WEBHOOKS, type Sandbox, startSandbox } from './support.js';

interface Setup {
  sandbox: Sandbox;
  client: Client;
  receiver: StandIn;
  secret: string;
}

type Seen = StandIn['seen'][number];

const started: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const stop of started.splice(0)) await stop();
});

/** A sandbox whose webhooks go to a stand-in receiver of its own. */
async function withReceiver(env: Record<string, string> = {}): Promise<Setup> {
  const receiver = await startStandIn();
  const secret = aWebhookSecret();
  const sandbox = await startSandbox({
    SANDBOX_WEBHOOK_URLS: `${receiver.url}/hooks`,
    SANDBOX_WEBHOOK_SECRET: secret,
    ...FAST_WEBHOOKS,
    ...env,
  });
  started.push(
    () => sandbox.close(),
    () => receiver.close(),
  );
  return { sandbox, client: clientOf(sandbox), receiver, secret };
}

const eventOf = (seen: Seen) => JSON.parse(seen.body);
const headersOf = (seen: Seen) => ({
  'webhook-id': String(seen.headers['webhook-id']),
  'webhook-timestamp': String(seen.headers['webhook-timestamp']),
  'webhook-signature': String(seen.headers['webhook-signature']),
});
/** The deliveries of events about one object (an intent or a refund). */
const about = (receiver: StandIn, objectId: string) => receiver.seen.filter((s) => eventOf(s).data.object.id === objectId);

describe('delivery', () => {
  it('when money moves, then each event reaches the receiver with a valid Standard Webhooks signature, a unique id and the object as it was', async () => {
    const { client, receiver, secret } = await withReceiver();
    const created = await client.createIntent({ amount: 1_500 });
    const intentId = created.json.id;
    await client.capture(intentId);
    const refund = await client.refund({ payment_intent: intentId, amount: 500 });
    await waitFor(() => receiver.seen.length >= 3, { description: 'three webhooks' });

    const verifier = new Webhook(secret);
    const events = receiver.seen.map((seen) => {
      expect(seen.method).toBe('POST');
      expect(seen.url).toBe('/hooks');
      expect(seen.headers['content-type']).toBe('application/json');
      const verified = verifier.verify(seen.body, headersOf(seen)) as any;
      expect(verified.id).toBe(seen.headers['webhook-id']);
      return verified;
    });
    expect(events.map((e) => e.type).sort()).toEqual(
      ['payment_intent.amount_capturable_updated', 'payment_intent.succeeded', 'refund.created'].sort(),
    );
    expect(new Set(events.map((e) => e.id)).size).toBe(3);
    for (const e of events)
      expect(e).toMatchObject({ id: expect.stringMatching(/^evt_/), created: expect.any(Number), data: { object: expect.any(Object) } });
    const byType = Object.fromEntries(events.map((e) => [e.type, e.data.object]));
    expect(byType['payment_intent.amount_capturable_updated']).toMatchObject({
      id: intentId,
      status: 'requires_capture',
      amount_capturable: 1_500,
    });
    expect(byType['payment_intent.succeeded']).toMatchObject({ id: intentId, status: 'succeeded', amount_received: 1_500 });
    expect(byType['refund.created']).toEqual(refund.json);

    // The signature binds the body: a tampered payload or another secret does not verify.
    const seen = receiver.seen[0]!;
    expect(() => verifier.verify(seen.body.replace('"amount":1500', '"amount":1'), headersOf(seen))).toThrow();
    expect(() => new Webhook(aWebhookSecret()).verify(seen.body, headersOf(seen))).toThrow();
  });

  it('when a payment needs authentication, is declined, or is canceled, then requires_action, payment_failed and canceled are sent', async () => {
    const { client, receiver } = await withReceiver();
    const action = await client.createIntent({ payment_method: 'pm_card_authenticationRequired' });
    await client.completeAction(action.json.id, { outcome: 'fail' });
    await client.cancel(action.json.id);
    await waitFor(() => about(receiver, action.json.id).length >= 3, { description: 'three events of the intent' });
    expect(
      about(receiver, action.json.id)
        .map((s) => eventOf(s).type)
        .sort(),
    ).toEqual(['payment_intent.canceled', 'payment_intent.payment_failed', 'payment_intent.requires_action'].sort());
  });

  it('when the receiver answers 500, then the same event is retried with backoff until it is accepted, and not after', async () => {
    const { client, receiver, secret } = await withReceiver();
    receiver.answer({ status: 500 }, { status: 500 }, { status: 200 });
    const first = await client.createIntent();
    await waitFor(() => about(receiver, first.json.id).length >= 3, { description: 'three attempts' });
    const attempts = about(receiver, first.json.id);
    expect(new Set(attempts.map((s) => s.headers['webhook-id'])).size).toBe(1);
    for (const a of attempts) expect(() => new Webhook(secret).verify(a.body, headersOf(a))).not.toThrow();
    // A later event gets through first time; by then the accepted one has not been sent again.
    const second = await client.createIntent();
    await waitFor(() => about(receiver, second.json.id).length === 1, { description: 'the next event' });
    expect(about(receiver, first.json.id)).toHaveLength(3);
  });

  it('when the receiver does not answer in time, then the event is sent again', async () => {
    const { client, receiver } = await withReceiver({ SANDBOX_WEBHOOK_TIMEOUT_MS: '200' });
    receiver.answer('hang', { status: 204 });
    const created = await client.createIntent();
    await waitFor(() => about(receiver, created.json.id).length >= 2, { description: 'a second attempt' });
    const [a, b] = about(receiver, created.json.id);
    expect(a!.headers['webhook-id']).toBe(b!.headers['webhook-id']);
  });
});

describe('webhook faults', () => {
  it('when duplicate copies=3 is set once, then the receiver gets that event three times with one id, and the next once', async () => {
    const { sandbox, client, receiver } = await withReceiver();
    await sandbox.setFaults([{ operation: 'webhook', kind: 'duplicate', copies: 3, times: 1 }]);
    const first = await client.createIntent();
    const second = await client.createIntent();
    await waitFor(() => about(receiver, first.json.id).length === 3 && about(receiver, second.json.id).length === 1, {
      description: 'three copies and one',
    });
    const copies = about(receiver, first.json.id);
    expect(new Set(copies.map((s) => s.headers['webhook-id'])).size).toBe(1);
    expect(new Set(copies.map((s) => s.body)).size).toBe(1);
  });

  it('when shuffle holds three events, then they arrive newest first', async () => {
    const { sandbox, client, receiver } = await withReceiver();
    await sandbox.setFaults([{ operation: 'webhook', kind: 'shuffle', count: 3, times: 3 }]);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await client.createIntent()).json.id);
    await waitFor(() => receiver.seen.length === 3, { description: 'the three held events' });
    expect(receiver.seen.map((s) => eventOf(s).data.object.id)).toEqual([...ids].reverse());
  });

  it('when the first event is delayed, then a later one overtakes it and it still arrives, after the delay', async () => {
    const { sandbox, client, receiver } = await withReceiver();
    await sandbox.setFaults([{ operation: 'webhook', kind: 'delay', ms: 500, times: 1 }]);
    const started = Date.now();
    const first = await client.createIntent();
    const second = await client.createIntent();
    await waitFor(() => receiver.seen.length === 2, { description: 'both events' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(490);
    expect(receiver.seen.map((s) => eventOf(s).data.object.id)).toEqual([second.json.id, first.json.id]);
  });

  it('when an event is dropped, then it never reaches the receiver while the next one does', async () => {
    const { sandbox, client, receiver } = await withReceiver();
    await sandbox.setFaults([{ operation: 'webhook', kind: 'drop', times: 1 }]);
    const dropped = await client.createIntent();
    const delivered = await client.createIntent();
    const captured = await client.capture(dropped.json.id);
    await waitFor(() => about(receiver, delivered.json.id).length === 1 && about(receiver, captured.json.id).length === 1, {
      description: 'the events after the dropped one',
    });
    expect(about(receiver, dropped.json.id).map((s) => eventOf(s).type)).toEqual(['payment_intent.succeeded']);
    expect(((await (await fetch(`${sandbox.url}/v1/test/faults`)).json()) as any).rules).toEqual([]);
  });
});
