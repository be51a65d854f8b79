import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createTokenCipher } from '../src/crypto/token-cipher.js';
import { checkCsrf } from '../src/domain/csrf.js';
import { safeReturnPath } from '../src/domain/return-path.js';
import type { BffSession } from '../src/domain/session.js';

describe('where a sign-in may return to', () => {
  it.each([
    [undefined, '/'],
    ['', '/'],
    ['/orders', '/orders'],
    ['/orders?tab=recent#top', '/orders?tab=recent#top'],
    ['/a/../b', '/b'],
  ])('%j → %j', (raw, expected) => {
    expect(safeReturnPath(raw, '/')).toBe(expected);
  });

  it.each([
    'https://evil.example/',
    '//evil.example/x',
    '/\\evil.example',
    '\\\\evil.example',
    'orders',
    'javascript:alert(1)',
    '/a\u0000b',
    '/a\nLocation: https://evil.example',
    `/${'x'.repeat(1_024)}`,
  ])('%j is refused: 400 invalid_return_to', (raw) => {
    expect(() => safeReturnPath(raw, '/')).toThrow(expect.objectContaining({ code: 'invalid_return_to', status: 400 }));
  });
});

describe('the CSRF checks of a cookie-authenticated request', () => {
  const session = { csrfToken: 'tok_0123456789abcdef0123456789abcdef0123456' } as BffSession;
  const allowed = new Set(['https://shop.example.test', 'https://partner.example.test']);
  const good = { origin: 'https://shop.example.test', referer: undefined, csrfToken: session.csrfToken };

  it.each(['POST', 'PUT', 'PATCH', 'DELETE'])('lets a %s with the token from an allowed origin through', (method) => {
    expect(() => checkCsrf(session, { ...good, method }, allowed)).not.toThrow();
    expect(() =>
      checkCsrf(
        session,
        { method, origin: undefined, referer: 'https://partner.example.test/cart', csrfToken: session.csrfToken },
        allowed,
      ),
    ).not.toThrow();
  });

  it.each(['GET', 'HEAD', 'OPTIONS'])('does not check a %s (reads change nothing)', (method) => {
    expect(() =>
      checkCsrf(session, { method, origin: 'https://evil.example', referer: undefined, csrfToken: undefined }, allowed),
    ).not.toThrow();
  });

  it.each([
    ['no token', { csrfToken: undefined }],
    ['an empty token', { csrfToken: '' }],
    ['a wrong token', { csrfToken: `${session.csrfToken.slice(0, -1)}x` }],
    ['a longer token', { csrfToken: `${session.csrfToken}x` }],
    ['a foreign origin', { origin: 'https://evil.example' }],
    ['an allowed host on another scheme', { origin: 'http://shop.example.test' }],
    ['the null origin', { origin: 'null' }],
    ['no origin and no referer', { origin: undefined }],
    ['no origin and a foreign referer', { origin: undefined, referer: 'https://evil.example/page' }],
    ['no origin and a broken referer', { origin: undefined, referer: 'not a url' }],
  ])('refuses a POST with %s: 403 csrf_failed', (_what, change) => {
    expect(() => checkCsrf(session, { ...good, method: 'POST', ...change }, allowed)).toThrow(
      expect.objectContaining({ code: 'csrf_failed', status: 403 }),
    );
  });
});

describe('tokens at rest (AES-256-GCM)', () => {
  const key = () => randomBytes(32);

  it('opens what it sealed, in the same context only; a sealed value holds nothing of the plaintext', () => {
    const cipher = createTokenCipher([key()]);
    const token = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ1c3JfMSJ9.sig';

    const sealed = cipher.seal(token, 'refresh:s1');

    expect(cipher.open(sealed, 'refresh:s1')).toBe(token);
    expect(cipher.open(sealed, 'refresh:s2')).toBeUndefined();
    expect(cipher.open(sealed, 'access:s1:orders')).toBeUndefined();
    expect(sealed.toString('latin1')).not.toContain('eyJ');
    expect(cipher.seal(token, 'refresh:s1').equals(sealed)).toBe(false);
  });

  it('refuses a tampered value, and a value sealed with a key it no longer has', () => {
    const [oldKey, newKey] = [key(), key()];
    const sealed = createTokenCipher([oldKey]).seal('secret', 'id:s1');
    const flipped = Buffer.from(sealed);
    flipped[flipped.length - 20] = (flipped[flipped.length - 20] ?? 0) ^ 1;

    expect(createTokenCipher([oldKey]).open(flipped, 'id:s1')).toBeUndefined();
    expect(createTokenCipher([newKey]).open(sealed, 'id:s1')).toBeUndefined();
    expect(createTokenCipher([oldKey]).open(sealed.subarray(0, 10), 'id:s1')).toBeUndefined();
  });

  it('rotates: a new key first seals, the old one still opens what it sealed', () => {
    const [oldKey, newKey] = [key(), key()];
    const before = createTokenCipher([oldKey]).seal('before', 'c');
    const rotated = createTokenCipher([newKey, oldKey]);

    expect(rotated.open(before, 'c')).toBe('before');
    expect(createTokenCipher([newKey]).open(rotated.seal('after', 'c'), 'c')).toBe('after');
  });
});
