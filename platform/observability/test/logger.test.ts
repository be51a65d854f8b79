import { Writable } from 'node:stream';
import { createLogger, createMetrics } from '@emporium/observability';
import { describe, expect, it } from 'vitest';

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  return { lines, destination };
}

describe('logs', () => {
  it('writes JSON lines with the service name and level', () => {
    const { lines, destination } = capture();
    createLogger({ service: 'catalog', pretty: false, destination }).info({ requestId: 'r-1' }, 'hello');
    expect(JSON.parse(lines[0] as string)).toMatchObject({ service: 'catalog', level: 'info', requestId: 'r-1', msg: 'hello' });
  });

  it('never writes passwords, tokens, card data or authorization headers', () => {
    const { lines, destination } = capture();
    const log = createLogger({ service: 'payments', pretty: false, destination });
    log.info(
      {
        password: 'hunter2',
        token: 'tok_live_abc',
        paymentMethod: 'pm_card_4242',
        req: { headers: { authorization: 'Bearer eyJabc', cookie: 'sid=s3cret' } },
      },
      'login',
    );
    log.info({ body: { card: { number: '4242424242424242' }, refreshToken: 'rt_123' } }, 'nested');
    const text = lines.join('\n');
    for (const secret of ['hunter2', 'tok_live_abc', 'pm_card_4242', 'eyJabc', 's3cret', '4242424242424242', 'rt_123'])
      expect(text).not.toContain(secret);
    expect(text).toContain('[redacted]');
  });
});

describe('request log lines', () => {
  it('name the path without its query string (an OIDC logout carries an ID token there), and no headers', () => {
    const { lines, destination } = capture();
    createLogger({ service: 'identity', pretty: false, destination }).info(
      {
        req: {
          method: 'GET',
          url: '/oidc/session/end?id_token_hint=eyJhbGciOiJFUzI1NiJ9.secret&state=s',
          host: 'identity',
          remoteAddress: '10.0.0.1',
          headers: { authorization: 'Bearer eyJtoken' },
        },
      },
      'incoming request',
    );
    const line = JSON.parse(lines[0] as string);
    expect(line.req).toEqual({ method: 'GET', url: '/oidc/session/end', host: 'identity', remoteAddress: '10.0.0.1' });
    expect(lines[0]).not.toContain('eyJ');
  });
});

describe('metrics', () => {
  it('registers each metric once per service registry, with the service label', async () => {
    const metrics = createMetrics('catalog', { defaultMetrics: false });
    const a = metrics.counter('emporium_test_total', 'test', ['kind']);
    expect(metrics.counter('emporium_test_total', 'test', ['kind'])).toBe(a);
    a.inc({ kind: 'x' });
    expect(await metrics.registry.metrics()).toContain('emporium_test_total{kind="x",service="catalog"} 1');
  });
});
