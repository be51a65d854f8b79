import path from 'node:path';
import { OrdersOrderConfirmedV1 } from '@emporium/contracts';
import { createTestDatabase, spawnTs, startTestService, testAuthEnv, uniqueName, waitFor } from '@emporium/testing';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { notificationsModule } from '../src/index.js';
import {
  asAdmin,
  aConfirmedOrder,
  aPartner,
  confirmed,
  deliveriesOf,
  envelopeOf,
  FAST,
  hooksAbout,
  mailsTo,
  metric,
  type Notifications,
  removePartner,
  type Rig,
  setPartnerFault,
  settled,
  startReplica,
  startRig,
} from './support.js';

// This file's service only records (its worker is off); the tests start the workers they need.
let rig: Rig;
beforeAll(async () => {
  rig = await startRig({ NOTIFICATIONS_WORKER_ENABLED: 'false' });
});
afterAll(async () => {
  await rig?.close();
});

describe('with several replicas', () => {
  it('when two replicas send from one database, then every receiver gets each notification exactly once', async () => {
    const partner = await aPartner(rig);
    const replicas: Notifications[] = [];
    try {
      replicas.push(await startReplica(rig.service, rig.sink), await startReplica(rig.service, rig.sink));
      const orders = Array.from({ length: 12 }, () => aConfirmedOrder());
      await Promise.all(orders.map((o) => confirmed(rig, o)));
      for (const o of orders) await settled(rig, o.orderId, 3);

      for (const o of orders) {
        const attempts = JSON.stringify(await deliveriesOf(rig, o.orderId));
        expect((await mailsTo(rig, o.email)).count, attempts).toBe(1);
        expect(await hooksAbout(rig, partner.name, o.orderId), attempts).toHaveLength(1);
      }
      // Every send happened once, whichever replica made it.
      let delivered = 0;
      for (const r of replicas) {
        const view = { ...rig, service: r };
        delivered +=
          (await metric(view, 'emporium_notifications_deliveries_total', { channel: 'email', outcome: 'delivered' })) +
          (await metric(view, 'emporium_notifications_deliveries_total', { channel: 'webhook', outcome: 'delivered' }));
      }
      expect(delivered).toBe(orders.length * 2);
    } finally {
      await Promise.all(replicas.map((r) => r.close()));
      await removePartner(rig, partner);
    }
  });

  it('when a worker is killed while a partner holds its answer, then another replica sends it again after the lease, with the same webhook-id', async () => {
    const partner = await aPartner(rig);
    const child = spawnTs(path.join(import.meta.dirname, 'worker-child.ts'), {
      ...FAST,
      // The service checks access tokens: the child trusts this process's test issuer (it is sent none here).
      ...(await testAuthEnv()),
      CHILD_SERVICE_NAME: uniqueName('notifications_child'),
      DATABASE_URL: rig.service.ctx.db.url,
      // The child needs no messages (it only sends): an empty broker of its own.
      AMQP_URL: '',
      BROKER_DATABASE_URL: await createTestDatabase('broker'),
      SMTP_URL: rig.sink.smtpUrl,
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      NOTIFICATIONS_SMTP_TIMEOUT_MS: '500',
      NOTIFICATIONS_WEBHOOK_TIMEOUT_MS: '2000',
      NOTIFICATIONS_LEASE_MS: '2500',
    });
    let survivor: Notifications | undefined;
    try {
      await child.waitForLine(/started/);
      await setPartnerFault(rig, partner.name, { kind: 'hold', holdMs: 30_000, times: 1 });
      const order = aConfirmedOrder();
      await confirmed(rig, order);
      const [first] = await waitFor(
        async () => {
          const hooks = await hooksAbout(rig, partner.name, order.orderId);
          return hooks.length === 1 ? hooks : undefined;
        },
        { description: 'the webhook at the partner' },
      );
      await child.kill('SIGKILL');

      survivor = await startReplica(rig.service, rig.sink);
      const rows = await settled(rig, order.orderId, 3);
      const hooks = await hooksAbout(rig, partner.name, order.orderId);
      expect(hooks).toHaveLength(2);
      expect(hooks.map((h) => h.webhookId)).toEqual([first!.webhookId, first!.webhookId]);
      expect(hooks.every((h) => h.accepted && h.validSignature)).toBe(true);
      expect(rows.find((r) => r.channel === 'webhook')).toMatchObject({ status: 'delivered', attempts: 2 });
      expect((await mailsTo(rig, order.email)).distinctMessageIds).toBe(1);
    } finally {
      await child.kill('SIGKILL');
      await survivor?.close();
      await removePartner(rig, partner);
    }
  });
});

describe('partner endpoints from the configuration', () => {
  it('when NOTIFICATIONS_PARTNER_ENDPOINTS names a partner, then it gets signed webhooks, is listed as from config, and cannot be removed over the API', async () => {
    const secret = `whsec_${Buffer.alloc(32, 3).toString('base64')}`;
    const partner = uniqueName('demo').replace(/_/g, '-');
    await fetch(`${rig.receiver.url}/partners/${partner}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ secret }),
    });
    const service = await startTestService(
      { ...notificationsModule, name: uniqueName('notifications') },
      { ...FAST, SMTP_URL: rig.sink.smtpUrl, NOTIFICATIONS_PARTNER_ENDPOINTS: `${partner}|${rig.receiver.hookUrl(partner)}|${secret}` },
    );
    try {
      const list = (
        await service.app.inject({ method: 'GET', url: '/api/notifications/endpoints', headers: await asAdmin(service) })
      ).json();
      expect(list.items).toEqual([expect.objectContaining({ partner, url: rig.receiver.hookUrl(partner), source: 'config' })]);

      const order = aConfirmedOrder();
      await service.transport.publish([envelopeOf(OrdersOrderConfirmedV1, order)]);
      const [hook] = await waitFor(
        async () => {
          const hooks = await hooksAbout(rig, partner, order.orderId);
          return hooks.length === 1 ? hooks : undefined;
        },
        { description: 'the webhook to the configured partner' },
      );
      expect(new Webhook(secret).verify(hook!.body, hook!.headers)).toMatchObject({ type: 'order.confirmed' });

      const del = await service.app.inject({
        method: 'DELETE',
        url: `/api/notifications/endpoints/${list.items[0].id}`,
        headers: await asAdmin(service),
      });
      expect({ status: del.statusCode, code: del.json().code }).toEqual({ status: 409, code: 'endpoint_managed_by_config' });
    } finally {
      await service.close();
    }
  });

  it('when NOTIFICATIONS_PARTNER_ENDPOINTS is malformed, then the start fails naming the variable and not the secret', async () => {
    const secret = `whsec_${Buffer.alloc(32, 5).toString('base64')}`;
    const start = startTestService(notificationsModule, {
      ...FAST,
      SMTP_URL: rig.sink.smtpUrl,
      NOTIFICATIONS_PARTNER_ENDPOINTS: `acme|ftp://x|${secret}`,
    });
    await expect(start).rejects.toThrow(/^NOTIFICATIONS_PARTNER_ENDPOINTS: entry 1: url must be an http\(s\) URL$/);
    await expect(start).rejects.not.toThrow(secret);
  });

  it('when the lease is not longer than a send, then the start fails naming NOTIFICATIONS_LEASE_MS', async () => {
    await expect(
      startTestService(notificationsModule, {
        ...FAST,
        SMTP_URL: rig.sink.smtpUrl,
        NOTIFICATIONS_WEBHOOK_TIMEOUT_MS: '5000',
        NOTIFICATIONS_LEASE_MS: '5000',
      }),
    ).rejects.toThrow(/^NOTIFICATIONS_LEASE_MS: must exceed the longest send/);
  });
});
