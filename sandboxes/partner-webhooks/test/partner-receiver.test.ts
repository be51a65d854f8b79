import { randomBytes, randomUUID } from 'node:crypto';
import { startService } from '@emporium/service';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { partnerWebhooksModule, type RunningPartnerReceiver, startPartnerReceiver } from '../src/index.js';

const newSecret = () => `whsec_${randomBytes(24).toString('base64')}`;
const partnerName = () => `p-${randomUUID().slice(0, 8)}`;

let receiver: RunningPartnerReceiver;
const configured = { partner: partnerName(), secret: newSecret() };

beforeAll(async () => {
  receiver = await startPartnerReceiver({ partners: { [configured.partner]: configured.secret } });
});
afterAll(async () => {
  await receiver?.close();
});

const http = async (method: string, path: string, body?: unknown) => {
  const res = await fetch(`${receiver.url}${path}`, {
    method,
    ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json()) as any };
};

/** A delivery as a Standard Webhooks sender makes it. */
function signed(secret: string, options: { id?: string; at?: Date; body?: string } = {}) {
  const id = options.id ?? `msg_${randomUUID()}`;
  const at = options.at ?? new Date();
  const body = options.body ?? JSON.stringify({ type: 'order.confirmed', timestamp: at.toISOString(), data: { orderId: randomUUID() } });
  return {
    id,
    body,
    headers: {
      'content-type': 'application/json',
      'webhook-id': id,
      'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
      'webhook-signature': new Webhook(secret).sign(id, at, body),
    },
  };
}

const post = (partner: string, d: { body: string; headers: Record<string, string> }, signal?: AbortSignal) =>
  fetch(receiver.hookUrl(partner), { method: 'POST', headers: d.headers, body: d.body, ...(signal ? { signal } : {}) });

describe('partner webhook receiver', () => {
  it('when a delivery is signed with the partner’s configured secret, then it answers 200 and records it with a valid signature', async () => {
    const d = signed(configured.secret);
    const res = await post(configured.partner, d);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ received: true, duplicate: false });

    const list = await http('GET', `/deliveries?partner=${configured.partner}`);
    expect(list.body).toMatchObject({ count: 1, distinctIds: 1 });
    expect(list.body.items[0]).toMatchObject({
      partner: configured.partner,
      webhookId: d.id,
      body: d.body,
      validSignature: true,
      accepted: true,
      answeredStatus: 200,
      headers: { 'webhook-id': d.id, 'webhook-signature': d.headers['webhook-signature'] },
    });
  });

  it('when the signature is made with another secret, or the body was changed, then it answers 400 invalid_signature and records it as invalid', async () => {
    const partner = partnerName();
    const secret = newSecret();
    expect((await http('PUT', `/partners/${partner}`, { secret })).status).toBe(200);

    const forged = signed(newSecret());
    const res = await post(partner, forged);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { code: string }).code).toBe('invalid_signature');

    const tampered = signed(secret);
    expect((await post(partner, { ...tampered, body: tampered.body.replace('order.confirmed', 'order.cancelled') })).status).toBe(400);

    const list = await http('GET', `/deliveries?partner=${partner}`);
    expect(list.body).toMatchObject({ count: 2, distinctIds: 0 });
    expect(list.body.items.map((d: any) => [d.validSignature, d.accepted, d.answeredStatus])).toEqual([
      [false, false, 400],
      [false, false, 400],
    ]);
  });

  it('when the timestamp is older than five minutes, then the signature is refused', async () => {
    const partner = partnerName();
    const secret = newSecret();
    await http('PUT', `/partners/${partner}`, { secret });
    expect((await post(partner, signed(secret, { at: new Date(Date.now() - 10 * 60_000) }))).status).toBe(400);
  });

  it('when no secret is registered for the partner, then it answers 404 unknown_partner', async () => {
    const res = await post(partnerName(), signed(newSecret()));
    expect(res.status).toBe(404);
    expect(((await res.json()) as { code: string }).code).toBe('unknown_partner');
  });

  it('when the same webhook-id arrives twice, then both are listed, the second is flagged a duplicate, and one distinct id is counted', async () => {
    const d = signed(configured.secret);
    await post(configured.partner, d);
    const again = await post(configured.partner, signed(configured.secret, { id: d.id, body: d.body }));
    expect(await again.json()).toEqual({ received: true, duplicate: true });
    const list = await http('GET', `/deliveries?partner=${configured.partner}&webhookId=${d.id}`);
    expect(list.body).toMatchObject({ count: 2, distinctIds: 1 });
  });

  it('when told to answer 500 twice, then the first two deliveries get 500 and are not accepted, and the third is accepted; another status is answered as set', async () => {
    const partner = partnerName();
    const secret = newSecret();
    await http('PUT', `/partners/${partner}`, { secret });
    await http('PUT', `/faults/${partner}`, { kind: 'error', times: 2 });
    const d = signed(secret);
    expect((await post(partner, d)).status).toBe(500);
    expect((await post(partner, d)).status).toBe(500);
    expect((await post(partner, d)).status).toBe(200);
    await http('PUT', `/faults/${partner}`, { kind: 'error', status: 503, times: 1 });
    expect((await post(partner, d)).status).toBe(503);
    const list = await http('GET', `/deliveries?partner=${partner}`);
    expect(list.body.items.map((x: any) => [x.answeredStatus, x.accepted])).toEqual([
      [500, false],
      [500, false],
      [200, true],
      [503, false],
    ]);
    expect(list.body.distinctIds).toBe(1);
  });

  it('when told to hold, then the delivery is processed but the sender times out waiting for the answer', async () => {
    const partner = partnerName();
    const secret = newSecret();
    await http('PUT', `/partners/${partner}`, { secret });
    await http('PUT', `/faults/${partner}`, { kind: 'hold', holdMs: 2_000, times: 1 });
    const d = signed(secret);
    await expect(post(partner, d, AbortSignal.timeout(300))).rejects.toThrow();
    const list = await http('GET', `/deliveries?partner=${partner}`);
    expect(list.body.items).toMatchObject([{ webhookId: d.id, accepted: true, validSignature: true }]);
    expect((await http('GET', '/faults')).body.items.find((f: any) => f.partner === partner)).toBeUndefined();
  });

  it('lists the partners it knows without their secrets', async () => {
    const { body } = await http('GET', '/partners');
    expect(body.items).toContain(configured.partner);
    expect(JSON.stringify(body)).not.toContain('whsec_');
  });
});

describe('partner webhook receiver as a service module', () => {
  it('when PARTNER_WEBHOOK_SECRETS is a list, then those partners verify; a malformed value stops the start naming the variable', async () => {
    const partner = partnerName();
    const secret = newSecret();
    const running = await startService(partnerWebhooksModule, {
      env: { PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', PARTNER_WEBHOOK_SECRETS: `${partner}=${secret}` },
    });
    try {
      const d = signed(secret);
      const res = await fetch(`${running.url}/hooks/${partner}`, { method: 'POST', headers: d.headers, body: d.body });
      expect(res.status).toBe(200);
    } finally {
      await running.stop();
    }
    await expect(
      startService(partnerWebhooksModule, { env: { PORT: '0', LOG_LEVEL: 'silent', PARTNER_WEBHOOK_SECRETS: '{"acme":"not-a-secret"}' } }),
    ).rejects.toThrow(/^PARTNER_WEBHOOK_SECRETS: the secret of acme must be whsec_/);
  });
});
