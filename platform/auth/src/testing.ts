import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type CryptoKey, type JSONWebKeySet, type JWK, type JWTPayload, SignJWT } from 'jose';

/**
 * A stand-in for the identity service in tests: its own signing keys, a JWKS served over HTTP on
 * a loopback port chosen by the OS, access tokens minted with any claims or header, and key
 * rotation (publish a new key, sign with it, keep or remove the old one). Real keys, real
 * signatures: what passes here passes against identity.
 */
export type TestAlgorithm = 'ES256' | 'EdDSA' | 'RS256';

export interface TestKey {
  kid: string;
  alg: TestAlgorithm;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

export interface MintOptions {
  /** Defaults to the current signing key. A key need not be published (for "unknown kid"). */
  key?: TestKey;
  /** Header fields to set; `typ: undefined` leaves typ out. `alg` and `kid` follow the key unless given. */
  header?: { typ?: string | undefined; kid?: string | undefined };
  /** Lifetime from `iat`; default 300 s. */
  expiresInSec?: number;
  /** The clock for `iat`/`exp`, default now. */
  now?: Date;
}

/** Claims of an access token; a claim set to `undefined` is left out of the token. */
export type TestClaims = JWTPayload & Record<string, unknown>;

export interface TestIssuer {
  readonly issuer: string;
  readonly jwksUrl: string;
  /** How many times the JWKS was requested (cache behaviour). */
  readonly jwksRequests: number;
  readonly signingKey: TestKey;
  /** A new key pair; published in the JWKS unless `publish: false`. Does not sign yet. */
  createKey(alg?: TestAlgorithm, options?: { publish?: boolean }): Promise<TestKey>;
  /** Sign new tokens with this key (publish it before: verifiers must know it first). */
  useKey(key: TestKey): void;
  /** Publishes a new key and signs with it from now on; the old key stays published. */
  rotate(alg?: TestAlgorithm): Promise<TestKey>;
  /** Takes a key out of the JWKS (once no token signed by it can still be valid). */
  unpublish(key: TestKey): void;
  /** While unavailable, the JWKS endpoint answers 503. */
  setAvailable(available: boolean): void;
  jwks(): JSONWebKeySet;
  /** An RFC 9068 access token: typ at+jwt, iss, sub, aud, client_id, iat, exp, jti, plus `claims`. */
  mint(claims?: TestClaims, options?: MintOptions): Promise<string>;
  /** A user's token for `audience`, e.g. `userToken('orders', { sub: 'cus_1', roles: ['customer'] })`. */
  userToken(audience: string | string[], claims?: TestClaims, options?: MintOptions): Promise<string>;
  /** A client-credentials token: sub = client_id = `clientId`. */
  serviceToken(clientId: string, audience: string | string[], scopes?: string[], options?: MintOptions): Promise<string>;
  close(): Promise<void>;
}

export async function createTestIssuer(options: { issuer?: string; alg?: TestAlgorithm } = {}): Promise<TestIssuer> {
  const published = new Map<string, TestKey>();
  let requests = 0;
  let available = true;
  const jwks = (): JSONWebKeySet => ({ keys: [...published.values()].map((key) => key.publicJwk) });

  const server: Server = createServer((request, response) => {
    if (request.method !== 'GET' || request.url !== '/jwks') {
      response.writeHead(404).end();
      return;
    }
    requests++;
    if (!available) {
      response.writeHead(503).end();
      return;
    }
    response.writeHead(200, { 'content-type': 'application/jwk-set+json', 'cache-control': 'no-store' }).end(JSON.stringify(jwks()));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const issuer = options.issuer ?? `http://127.0.0.1:${port}`;

  async function createKey(alg: TestAlgorithm = options.alg ?? 'ES256', { publish = true } = {}): Promise<TestKey> {
    const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
    const kid = `test-${alg.toLowerCase()}-${randomUUID().slice(0, 8)}`;
    const key: TestKey = { kid, alg, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
    if (publish) published.set(kid, key);
    return key;
  }

  let signingKey = await createKey();

  async function mint(claims: TestClaims = {}, mintOptions: MintOptions = {}): Promise<string> {
    const key = mintOptions.key ?? signingKey;
    const iat = Math.floor((mintOptions.now ?? new Date()).getTime() / 1000);
    const payload: TestClaims = {
      iss: issuer,
      sub: 'usr_test',
      aud: 'test-service',
      client_id: 'storefront',
      iat,
      exp: iat + (mintOptions.expiresInSec ?? 300),
      jti: randomUUID(),
      ...claims,
    };
    for (const [name, value] of Object.entries(payload)) if (value === undefined) delete payload[name];
    const header: Record<string, unknown> = { alg: key.alg, kid: key.kid, typ: 'at+jwt', ...mintOptions.header };
    for (const [name, value] of Object.entries(header)) if (value === undefined) delete header[name];
    return new SignJWT(payload).setProtectedHeader(header as { alg: string }).sign(key.privateKey);
  }

  return {
    issuer,
    jwksUrl: `http://127.0.0.1:${port}/jwks`,
    get jwksRequests() {
      return requests;
    },
    get signingKey() {
      return signingKey;
    },
    createKey,
    useKey(key) {
      signingKey = key;
    },
    async rotate(alg) {
      signingKey = await createKey(alg);
      return signingKey;
    },
    unpublish(key) {
      published.delete(key.kid);
    },
    setAvailable(value) {
      available = value;
    },
    jwks,
    mint,
    userToken: (audience, claims = {}, mintOptions) => mint({ aud: audience, ...claims }, mintOptions),
    serviceToken: (clientId, audience, scopes = [], mintOptions) =>
      mint({ sub: clientId, client_id: clientId, aud: audience, scope: scopes.length ? scopes.join(' ') : undefined }, mintOptions),
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
  };
}
