import {
  AuthError,
  createTokenVerifier,
  createTestIssuer,
  type TestIssuer,
  type TestKey,
  type TokenRejection,
  type TokenVerifier,
} from '@emporium/auth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { headerOf, hmacWithPublicKey, payloadOf, unsignedToken, withHeader, withPayload } from './tokens.js';

let issuer: TestIssuer;
let payments: TokenVerifier;
// Published before the verifier first fetches the JWKS, as identity publishes keys before use.
let rsaKey: TestKey;
let otherKey: TestKey;
let edKey: TestKey;

beforeAll(async () => {
  issuer = await createTestIssuer();
  rsaKey = await issuer.createKey('RS256');
  otherKey = await issuer.createKey('ES256');
  edKey = await issuer.createKey('EdDSA');
  payments = createTokenVerifier({ issuer: issuer.issuer, audience: 'payments', jwksUrl: issuer.jwksUrl });
});
afterAll(() => issuer.close());

const now = () => Math.floor(Date.now() / 1000);
const customerAtPayments = () => issuer.userToken('payments', { sub: 'cus_1', roles: ['customer'] });

async function rejection(token: string): Promise<AuthError> {
  const error = await payments.verify(token).then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof AuthError)) throw new Error(`expected an AuthError, got ${String(error)}`);
  return error;
}

const negatives: Array<[string, () => Promise<string>, TokenRejection]> = [
  [
    'alg none',
    async () => unsignedToken({ alg: 'none', typ: 'at+jwt', kid: issuer.signingKey.kid }, payloadOf(await customerAtPayments())),
    'alg_not_allowed',
  ],
  [
    'HS256 signed with the public key',
    async () =>
      hmacWithPublicKey(
        issuer.signingKey,
        { alg: 'HS256', typ: 'at+jwt', kid: issuer.signingKey.kid },
        payloadOf(await customerAtPayments()),
      ),
    'alg_not_allowed',
  ],
  [
    'RS256 from a published RSA key, when only ES256/EdDSA are allowed',
    async () => issuer.mint({ aud: 'payments' }, { key: rsaKey }),
    'alg_not_allowed',
  ],
  [
    'unknown kid',
    async () => issuer.mint({ aud: 'payments' }, { key: await issuer.createKey('ES256', { publish: false }) }),
    'unknown_kid',
  ],
  ['no kid', () => issuer.mint({ aud: 'payments' }, { header: { kid: undefined } }), 'missing_kid'],
  ['expired (beyond the 5 s leeway)', () => issuer.mint({ aud: 'payments', iat: now() - 320, exp: now() - 10 }), 'expired'],
  ['not yet valid (nbf beyond the leeway)', () => issuer.mint({ aud: 'payments', nbf: now() + 60 }), 'not_yet_valid'],
  ['issued in the future', () => issuer.mint({ aud: 'payments', iat: now() + 60, exp: now() + 360 }), 'not_yet_valid'],
  ['issued too long ago, whatever exp says', () => issuer.mint({ aud: 'payments', iat: now() - 7200, exp: now() + 60 }), 'expired'],
  ['wrong issuer', () => issuer.mint({ aud: 'payments', iss: 'https://identity.evil.example' }), 'wrong_issuer'],
  [
    'wrong audience: a catalog token at payments',
    () => issuer.userToken('catalog', { sub: 'cus_1', roles: ['customer'] }),
    'wrong_audience',
  ],
  [
    'an ID token used as an access token',
    () => issuer.mint({ aud: 'storefront', nonce: 'n-1', at_hash: 'x', auth_time: now() }, { header: { typ: 'JWT' } }),
    'wrong_typ',
  ],
  [
    'an ID token dressed as an access token (typ at+jwt, aud payments, but a nonce)',
    () => issuer.mint({ aud: 'payments', nonce: 'n-1', at_hash: 'x' }),
    'id_token',
  ],
  ['missing typ', () => issuer.mint({ aud: 'payments' }, { header: { typ: undefined } }), 'wrong_typ'],
  [
    'a tampered payload (customer → admin)',
    async () => {
      const token = await customerAtPayments();
      return withPayload(token, { ...payloadOf(token), roles: ['admin'] });
    },
    'bad_signature',
  ],
  [
    'a signature checked against another published key (kid swapped)',
    async () => {
      const token = await customerAtPayments();
      return withHeader(token, { ...headerOf(token), kid: otherKey.kid });
    },
    'bad_signature',
  ],
  ['no client_id (RFC 9068 §2.2)', () => issuer.mint({ aud: 'payments', client_id: undefined }), 'missing_claim'],
  ['no exp', () => issuer.mint({ aud: 'payments', exp: undefined }), 'missing_claim'],
  ['no jti', () => issuer.mint({ aud: 'payments', jti: undefined }), 'missing_claim'],
  ['not a JWT at all', async () => 'not.a-jwt', 'malformed'],
];

describe('an access token that must be refused', () => {
  it.each(negatives)('%s → 401 invalid_token', async (_name, build, reason) => {
    const token = await build();
    const error = await rejection(token);
    expect({ status: error.status, code: error.code, reason: error.reason }).toEqual({ status: 401, code: 'invalid_token', reason });
    expect(error.headers['www-authenticate']).toBe('Bearer realm="emporium", error="invalid_token"');
    expect(error.message).not.toContain(token.split('.')[1] || token);
  });
});

describe('a valid access token', () => {
  it('gives the principal of its claims', async () => {
    const token = await issuer.userToken('payments', {
      sub: 'cus_42',
      client_id: 'storefront',
      roles: ['customer'],
      region: 'eu-west',
      scope: 'openid orders:read',
    });
    expect(await payments.verify(token)).toEqual({
      subject: 'cus_42',
      kind: 'user',
      roles: ['customer'],
      customerId: 'cus_42',
      region: 'eu-west',
      refundLimit: undefined,
      suspended: false,
      clientId: 'storefront',
      scopes: ['openid', 'orders:read'],
      tokenId: payloadOf(token).jti,
    });
  });

  it('is accepted when aud lists this service among others, signed with EdDSA, typ application/at+jwt', async () => {
    const token = await issuer.mint({ aud: ['orders', 'payments'] }, { key: edKey, header: { typ: 'application/at+jwt' } });
    expect((await payments.verify(token)).subject).toBe('usr_test');
  });

  it('is accepted when it expired within the clock leeway', async () => {
    const token = await issuer.mint({ aud: 'payments', iat: now() - 302, exp: now() - 2 });
    expect((await payments.verify(token)).subject).toBe('usr_test');
  });

  it('from client credentials is a service principal with its scopes', async () => {
    const principal = await payments.verify(
      await issuer.serviceToken('orders-service', 'payments', ['payments:capture', 'payments:refund']),
    );
    expect(principal).toMatchObject({
      kind: 'service',
      subject: 'orders-service',
      clientId: 'orders-service',
      roles: [],
      customerId: undefined,
    });
    expect(principal.scopes).toEqual(['payments:capture', 'payments:refund']);
  });
});

describe('the verifier configuration', () => {
  it.each([['none'], ['HS256']])('refuses to allow the algorithm %s', (alg) => {
    expect(() =>
      createTokenVerifier({ issuer: 'https://id', audience: 'orders', jwks: { keys: [] }, algorithms: [alg as 'ES256'] }),
    ).toThrow(/not allowed/);
  });

  it('verifies against a fixed key set too', async () => {
    const verifier = createTokenVerifier({ issuer: issuer.issuer, audience: 'orders', jwks: issuer.jwks() });
    expect((await verifier.verify(await issuer.userToken('orders', { roles: ['support'] }))).roles).toEqual(['support']);
  });
});

describe('when the identity service cannot be reached', () => {
  it('answers 503 identity_unavailable, not 401, for a key it never fetched', async () => {
    const down = await createTestIssuer();
    down.setAvailable(false);
    const verifier = createTokenVerifier({ issuer: down.issuer, audience: 'orders', jwksUrl: down.jwksUrl });
    const error = await verifier.verify(await down.userToken('orders')).catch((e: AuthError) => e);
    expect({ status: (error as AuthError).status, code: (error as AuthError).code }).toEqual({ status: 503, code: 'identity_unavailable' });
    await down.close();
  });
});
