import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService } from '@emporium/service';
import { type RunningSmtpSink, smtpSinkModule, startSmtpSink } from '../src/index.js';
import { sendRaw } from './smtp-client.js';

let sink: RunningSmtpSink;
beforeAll(async () => {
  sink = await startSmtpSink();
});
afterAll(async () => {
  await sink?.close();
});

const http = async (method: string, path: string, body?: unknown) => {
  const res = await fetch(`${sink.url}${path}`, {
    method,
    ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json()) as any };
};

const aMail = (overrides: { to?: string; messageId?: string; subject?: string; text?: string } = {}) => {
  const to = overrides.to ?? `${randomUUID().slice(0, 8)}@customer.test`;
  return {
    from: 'orders@emporium.test',
    to: [to],
    headers: {
      From: 'Emporium <orders@emporium.test>',
      To: to,
      Subject: overrides.subject ?? 'Your order is confirmed',
      'Message-ID': overrides.messageId ?? `<${randomUUID()}@emporium.test>`,
    },
    text: overrides.text ?? 'Thank you for your order.\nTotal: 19.99 EUR',
  };
};

describe('SMTP sink', () => {
  it('when a message is sent over SMTP, then it answers 250 and lists it over HTTP with its Message-ID, sender, recipients, subject and text', async () => {
    const mail = aMail({ subject: 'Order 42 confirmed', text: 'Hello,\nyour order 42 is confirmed.' });
    const result = await sendRaw(sink.smtpPort, mail);
    expect(result.final).toMatchObject({ code: 250 });

    const list = await http('GET', `/messages?to=${encodeURIComponent(mail.to[0]!)}`);
    expect(list.status).toBe(200);
    expect(list.body).toMatchObject({ count: 1, distinctMessageIds: 1 });
    const [item] = list.body.items;
    expect(item).toMatchObject({
      messageId: mail.headers['Message-ID'],
      from: 'Emporium <orders@emporium.test>',
      to: [mail.to[0]],
      subject: 'Order 42 confirmed',
    });
    expect(item.text).toContain('your order 42 is confirmed.');
    expect(Date.parse(item.receivedAt)).not.toBeNaN();

    const one = await http('GET', `/messages/${item.id}`);
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({ id: item.id, envelope: { mailFrom: 'orders@emporium.test', rcptTo: mail.to } });
    expect(one.body.headers['message-id']).toBe(mail.headers['Message-ID']);
  });

  it('when a client authenticates with any credentials, then the message is accepted too', async () => {
    const mail = aMail();
    const result = await sendRaw(sink.smtpPort, mail, { auth: { user: 'someone', pass: 'anything' } });
    expect(result.final).toMatchObject({ code: 250 });
    expect((await http('GET', `/messages?to=${encodeURIComponent(mail.to[0]!)}`)).body.count).toBe(1);
  });

  it('when the same message arrives twice, then both arrivals are listed and counted as one distinct Message-ID', async () => {
    const mail = aMail();
    await sendRaw(sink.smtpPort, mail);
    await sendRaw(sink.smtpPort, mail);
    const list = await http('GET', `/messages?messageId=${encodeURIComponent(mail.headers['Message-ID'])}`);
    expect(list.body).toMatchObject({ count: 2, distinctMessageIds: 1 });
  });

  it('when an unknown message id is asked for, then it answers 404 message_not_found', async () => {
    const res = await http('GET', '/messages/nope');
    expect({ status: res.status, code: res.body.code }).toEqual({ status: 404, code: 'message_not_found' });
  });

  it('when drop_after_accept is on, then the message is kept but the connection closes without the final reply; once used up, replies are normal again', async () => {
    expect((await http('PUT', '/faults', { kind: 'drop_after_accept', times: 1 })).status).toBe(200);
    const mail = aMail();
    expect((await sendRaw(sink.smtpPort, mail)).final).toBe('closed');
    expect((await http('GET', `/messages?to=${encodeURIComponent(mail.to[0]!)}`)).body.count).toBe(1);

    const next = aMail();
    expect((await sendRaw(sink.smtpPort, next)).final).toMatchObject({ code: 250 });
  });

  it('when hold_after_accept is on, then the message is kept and the final reply comes only after the hold', async () => {
    await http('PUT', '/faults', { kind: 'hold_after_accept', holdMs: 1_500 });
    try {
      const mail = aMail();
      expect((await sendRaw(sink.smtpPort, mail, { finalReplyTimeoutMs: 300 })).final).toBe('no_reply');
      expect((await http('GET', `/messages?to=${encodeURIComponent(mail.to[0]!)}`)).body.count).toBe(1);
    } finally {
      expect((await http('DELETE', '/faults')).body).toEqual({ fault: null, remaining: null });
    }
  });

  it('when a fault is malformed, then it answers 400 and keeps answering normally', async () => {
    const res = await http('PUT', '/faults', { kind: 'hold_after_accept' });
    expect({ status: res.status, code: res.body.code }).toEqual({ status: 400, code: 'hold_ms_required' });
    expect((await http('PUT', '/faults', { kind: 'explode' })).body.code).toBe('validation_failed');
    expect((await sendRaw(sink.smtpPort, aMail())).final).toMatchObject({ code: 250 });
  });

  it('when the messages are deleted, then the list is empty', async () => {
    await sendRaw(sink.smtpPort, aMail());
    const res = await http('DELETE', '/messages');
    expect(res.body.deleted).toBeGreaterThan(0);
    expect((await http('GET', '/messages')).body).toEqual({ items: [], count: 0, distinctMessageIds: 0 });
  });

  it('tells where its SMTP side listens', async () => {
    expect((await http('GET', '/smtp')).body).toEqual({ host: '127.0.0.1', port: sink.smtpPort, url: sink.smtpUrl });
  });
});

describe('SMTP sink as a service module (the embedded launcher and main.ts start it this way)', () => {
  it('when started by the service runtime, then SMTP and HTTP both listen, and stopping closes the SMTP port', async () => {
    const running = await startService(smtpSinkModule, {
      env: { PORT: '0', HOST: '127.0.0.1', SMTP_SINK_SMTP_PORT: '0', LOG_LEVEL: 'silent' },
    });
    const where = (await (await fetch(`${running.url}/smtp`)).json()) as { port: number };
    expect(where.port).toBeGreaterThan(0);
    expect((await fetch(`${running.url}/healthz`)).status).toBe(200);
    const mail = aMail();
    expect((await sendRaw(where.port, mail)).final).toMatchObject({ code: 250 });
    const list = (await (await fetch(`${running.url}/messages?to=${encodeURIComponent(mail.to[0]!)}`)).json()) as { count: number };
    expect(list.count).toBe(1);

    await running.stop();
    await expect(sendRaw(where.port, aMail())).rejects.toThrow();
  });
});
