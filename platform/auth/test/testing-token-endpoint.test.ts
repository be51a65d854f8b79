import {
  createTestIssuer,
  createTokenVerifier,
  ServiceTokenError,
  serviceTokens,
  type TestIssuer,
  type TokenVerifier,
} from '@emporium/auth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { payloadOf } from './tokens.js';

/**
 * The test issuer's token endpoint (client credentials, RFC 6749 §4.4 with RFC 8707 resource
 * indicators), driven by the real client of service-tokens.ts and by hand for what that client
 * never sends.
 */
let issuer: TestIssuer;
let catalog: TokenVerifier;
beforeAll(async () => {
  issuer = await createTestIssuer();
  catalog = createTokenVerifier({ issuer: issuer.issuer, audience: 'catalog', jwksUrl: issuer.jwksUrl });
});
afterAll(async () => {
  await issuer?.close();
});

let clients = 0;
/** A client of its own for each test, so that the counts are the test's own. */
function aClient(scopes = ['catalog:prices', 'catalog:read'], secret = `s3cret-${++clients}`) {
  const clientId = `orders-${clients}-${Math.random().toString(36).slice(2, 8)}`;
  issuer.registerClient(clientId, secret, scopes);
  return { clientId, secret, tokens: serviceTokens({ tokenUrl: issuer.tokenUrl, clientId, clientSecret: secret }) };
}

const basic = (id: string, secret: string) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

async function askToken(
  form: Record<string, string | string[]>,
  authorization?: string,
  contentType = 'application/x-www-form-urlencoded',
) {
  const body = new URLSearchParams();
  for (const [name, value] of Object.entries(form)) for (const v of [value].flat()) body.append(name, v);
  const res = await fetch(issuer.tokenUrl, {
    method: 'POST',
    headers: { 'content-type': contentType, ...(authorization ? { authorization } : {}) },
    body: body.toString(),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
}

describe('POST /token (client credentials)', () => {
  it('grants a registered client an access token for the named service with the scopes asked, which that service verifies', async () => {
    const { clientId, secret } = aClient();
    const answer = await askToken(
      { grant_type: 'client_credentials', resource: 'urn:emporium:catalog', scope: 'catalog:prices' },
      basic(clientId, secret),
    );
    expect(answer.status).toBe(200);
    expect(answer.headers.get('cache-control')).toBe('no-store');
    expect(answer.body).toEqual({ access_token: expect.any(String), token_type: 'Bearer', expires_in: 300, scope: 'catalog:prices' });

    const principal = await catalog.verify(answer.body.access_token as string);
    expect(principal).toMatchObject({ kind: 'service', subject: clientId, clientId, scopes: ['catalog:prices'], roles: [] });
    expect(payloadOf(answer.body.access_token as string)).toMatchObject({ iss: issuer.issuer, aud: 'catalog' });
    expect(issuer.tokenRequestsOf(clientId)).toBe(1);
  });

  it('works with serviceTokens: one request for many calls (cached), one for concurrent callers, a new one after forget', async () => {
    const { clientId, tokens } = aClient();
    const before = issuer.tokenRequests;
    const concurrent = await Promise.all(Array.from({ length: 5 }, () => tokens.tokenFor('catalog', ['catalog:prices'])));
    expect(new Set(concurrent).size).toBe(1);
    expect(await tokens.tokenFor('catalog', ['catalog:prices'])).toBe(concurrent[0]);
    expect(issuer.tokenRequestsOf(clientId)).toBe(1);

    tokens.forget('catalog', ['catalog:prices']);
    const fresh = await tokens.tokenFor('catalog', ['catalog:prices']);
    expect(fresh).not.toBe(concurrent[0]);
    expect((await catalog.verify(fresh)).scopes).toEqual(['catalog:prices']);
    // Another audience is another token.
    await expect(catalog.verify(await tokens.tokenFor('payments', ['catalog:prices']))).rejects.toMatchObject({ code: 'invalid_token' });
    expect(issuer.tokenRequestsOf(clientId)).toBe(3);
    expect(issuer.tokenRequests - before).toBe(3);
  });

  it('reads client ids and secrets form-encoded as RFC 6749 §2.3.1 says (a colon or a plus in the secret)', async () => {
    const { tokens } = aClient(['catalog:prices'], 'a:b+c d%');
    expect((await catalog.verify(await tokens.tokenFor('catalog', ['catalog:prices']))).scopes).toEqual(['catalog:prices']);
  });

  it.each([
    ['no credentials', undefined],
    ['an unknown client', basic('nobody', 'x')],
    ['a wrong secret', 'WRONG'],
    ['a Bearer token instead of client credentials', 'Bearer abc'],
  ])('refuses %s: 401 invalid_client with a Basic challenge', async (_name, authorization) => {
    const { clientId } = aClient();
    const answer = await askToken(
      { grant_type: 'client_credentials', resource: 'urn:emporium:catalog' },
      authorization === 'WRONG' ? basic(clientId, 'not-the-secret') : authorization,
    );
    expect({ status: answer.status, error: answer.body.error }).toEqual({ status: 401, error: 'invalid_client' });
    expect(answer.headers.get('www-authenticate')).toMatch(/^Basic realm=/);
    expect(answer.body.access_token).toBeUndefined();
  });

  it.each([
    ['a scope the client was not given', { scope: 'catalog:prices payments:capture' }, 'invalid_scope'],
    ['no resource', { resource: [] }, 'invalid_target'],
    ['a resource that is not urn:emporium:<service>', { resource: 'https://catalog.example.com' }, 'invalid_target'],
    ['two resources', { resource: ['urn:emporium:catalog', 'urn:emporium:payments'] }, 'invalid_target'],
    ['another grant', { grant_type: 'password' }, 'unsupported_grant_type'],
    ['no grant', { grant_type: [] }, 'invalid_request'],
  ])('refuses %s: 400 %s', async (_name, change, error) => {
    const { clientId, secret } = aClient();
    const answer = await askToken(
      { grant_type: 'client_credentials', resource: 'urn:emporium:catalog', scope: 'catalog:prices', ...change },
      basic(clientId, secret),
    );
    expect({ status: answer.status, error: answer.body.error }).toEqual({ status: 400, error });
    expect(answer.headers.get('cache-control')).toBe('no-store');
  });

  it('refuses parameters that are not form-encoded', async () => {
    const { clientId, secret } = aClient();
    const answer = await askToken({ grant_type: 'client_credentials' }, basic(clientId, secret), 'application/json');
    expect({ status: answer.status, error: answer.body.error }).toEqual({ status: 400, error: 'invalid_request' });
  });

  it('when unavailable, answers 503 and serviceTokens reports a ServiceTokenError naming only the status; then grants again', async () => {
    const { clientId, tokens } = aClient();
    issuer.setTokenEndpointAvailable(false);
    try {
      const refused = await tokens.tokenFor('catalog', ['catalog:prices']).catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(ServiceTokenError);
      expect(refused).toMatchObject({ status: 503, message: 'The token endpoint refused: temporarily_unavailable' });
    } finally {
      issuer.setTokenEndpointAvailable(true);
    }
    expect((await catalog.verify(await tokens.tokenFor('catalog', ['catalog:prices']))).subject).toBe(clientId);
    expect(issuer.tokenRequestsOf(clientId)).toBe(2);
  });
});
