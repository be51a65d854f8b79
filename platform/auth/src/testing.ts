import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type CryptoKey, type JSONWebKeySet, type JWK, type JWTPayload, SignJWT } from 'jose';

/**
 * A stand-in for the identity service in tests: its own signing keys, a JWKS served over HTTP on
 * a loopback port chosen by the OS, access tokens minted with any claims or header, key rotation
 * (publish a new key, sign with it, keep or remove the old one), and a token endpoint granting
 * client credentials to the clients it is told about. Real keys, real signatures: what passes
 * here passes against identity.
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
  /** `POST <issuer>/token`: the client-credentials grant for registered clients (see registerClient). */
  readonly tokenUrl: string;
  /** How many times the token endpoint was asked, by anyone (cache behaviour). */
  readonly tokenRequests: number;
  /** How many token requests came with this client's id in their HTTP Basic credentials (right secret or not). */
  tokenRequestsOf(clientId: string): number;
  /**
   * Lets a client obtain tokens at `tokenUrl` (client credentials, RFC 6749 §4.4), authenticated by
   * HTTP Basic with `secret`, for any audience named by a resource indicator `urn:emporium:<service>`
   * (RFC 8707), with any subset of `scopes`. Registering an id again replaces it.
   */
  registerClient(clientId: string, secret: string, scopes?: string[], options?: { expiresInSec?: number }): void;
  /** While unavailable, the token endpoint answers 503 `temporarily_unavailable`. */
  setTokenEndpointAvailable(available: boolean): void;
  close(): Promise<void>;
}

/** The RFC 8707 resource indicator of an Emporium service (service-tokens.ts `resourceIndicatorOf`). */
const RESOURCE = /^urn:emporium:([A-Za-z0-9][A-Za-z0-9._-]{0,62})$/;
/** RFC 6749 §3.3 scope-token: printable ASCII but space, `"` and `\\`. */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;
const MAX_TOKEN_REQUEST_BYTES = 8_192;

interface RegisteredClient {
  secretDigest: Buffer;
  scopes: ReadonlySet<string>;
  expiresInSec: number;
}

const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();

/** RFC 6749 §5.2 error answer; `no-store` as §5.1 asks of every token response. */
function oauthError(
  response: ServerResponse,
  status: number,
  error: string,
  description: string,
  headers: Record<string, string> = {},
): void {
  response
    .writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', pragma: 'no-cache', ...headers })
    .end(JSON.stringify({ error, error_description: description }));
}

/**
 * The client's id and secret from `Authorization: Basic` (RFC 6749 §2.3.1: each
 * form-urlencoded, then joined by a colon, then base64); undefined when absent or unreadable.
 */
function basicCredentials(header: string | undefined): { clientId: string; secret: string } | undefined {
  const match = /^Basic +([A-Za-z0-9+/]+={0,2})$/i.exec(header?.trim() ?? '');
  if (!match) return undefined;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  try {
    const formDecode = (part: string) => decodeURIComponent(part.replace(/\+/g, ' '));
    return { clientId: formDecode(decoded.slice(0, colon)), secret: formDecode(decoded.slice(colon + 1)) };
  } catch {
    return undefined;
  }
}

async function formBody(request: IncomingMessage): Promise<URLSearchParams | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_TOKEN_REQUEST_BYTES) return undefined;
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

export async function createTestIssuer(options: { issuer?: string; alg?: TestAlgorithm } = {}): Promise<TestIssuer> {
  const published = new Map<string, TestKey>();
  const clients = new Map<string, RegisteredClient>();
  const tokenRequestsByClient = new Map<string, number>();
  let requests = 0;
  let tokenRequests = 0;
  let available = true;
  let tokenEndpointAvailable = true;
  const jwks = (): JSONWebKeySet => ({ keys: [...published.values()].map((key) => key.publicJwk) });

  const server: Server = createServer((request, response) => {
    if (request.method === 'POST' && request.url === '/token') {
      token(request, response).catch(() => {
        if (!response.headersSent) oauthError(response, 500, 'server_error', 'The token request failed');
        else response.destroy();
      });
      return;
    }
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

  const serviceToken: TestIssuer['serviceToken'] = (clientId, audience, scopes = [], mintOptions) =>
    mint({ sub: clientId, client_id: clientId, aud: audience, scope: scopes.length ? scopes.join(' ') : undefined }, mintOptions);

  /**
   * The token endpoint, client credentials only (RFC 6749 §4.4): the client authenticates first
   * (401 invalid_client), then the grant, the audience (RFC 8707, 400 invalid_target) and the
   * scopes (a subset of the registered ones, 400 invalid_scope) are checked. No scope asked → none
   * granted (least privilege rather than a default set).
   */
  async function token(request: IncomingMessage, response: ServerResponse): Promise<void> {
    tokenRequests++;
    const credentials = basicCredentials(request.headers.authorization);
    if (credentials) tokenRequestsByClient.set(credentials.clientId, (tokenRequestsByClient.get(credentials.clientId) ?? 0) + 1);
    const form = await formBody(request);
    if (!tokenEndpointAvailable) return oauthError(response, 503, 'temporarily_unavailable', 'The token endpoint is unavailable');
    // RFC 6749 §5.2: a client that tried to authenticate with the Authorization header gets 401 and a challenge.
    const client = credentials && clients.get(credentials.clientId);
    if (!credentials || !client || !timingSafeEqual(digest(credentials.secret), client.secretDigest)) {
      return oauthError(response, 401, 'invalid_client', 'Client authentication failed', {
        'www-authenticate': 'Basic realm="emporium-test-issuer"',
      });
    }
    if (!/^application\/x-www-form-urlencoded\b/i.test(request.headers['content-type'] ?? '') || !form)
      return oauthError(response, 400, 'invalid_request', 'Send the parameters as application/x-www-form-urlencoded (at most 8 KiB)');
    const grantType = form.get('grant_type');
    if (!grantType) return oauthError(response, 400, 'invalid_request', 'grant_type is missing');
    if (grantType !== 'client_credentials')
      return oauthError(response, 400, 'unsupported_grant_type', 'Only client_credentials is granted');
    const resources = form.getAll('resource');
    const audience = resources.length === 1 ? RESOURCE.exec(resources[0]!)?.[1] : undefined;
    if (!audience) return oauthError(response, 400, 'invalid_target', 'Name exactly one service as resource=urn:emporium:<service>');
    const asked = (form.get('scope') ?? '').split(' ').filter(Boolean);
    if (asked.some((scope) => !SCOPE_TOKEN.test(scope) || !client.scopes.has(scope)))
      return oauthError(response, 400, 'invalid_scope', 'A requested scope is not granted to this client');
    const scopes = [...new Set(asked)];
    const accessToken = await serviceToken(credentials.clientId, audience, scopes, { expiresInSec: client.expiresInSec });
    response.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store', pragma: 'no-cache' }).end(
      JSON.stringify({
        access_token: accessToken,
        token_type: 'Bearer',
        expires_in: client.expiresInSec,
        ...(scopes.length ? { scope: scopes.join(' ') } : {}),
      }),
    );
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
    serviceToken,
    tokenUrl: `http://127.0.0.1:${port}/token`,
    get tokenRequests() {
      return tokenRequests;
    },
    tokenRequestsOf: (clientId) => tokenRequestsByClient.get(clientId) ?? 0,
    registerClient(clientId, secret, scopes = [], { expiresInSec = 300 } = {}) {
      clients.set(clientId, { secretDigest: digest(secret), scopes: new Set(scopes), expiresInSec });
    },
    setTokenEndpointAvailable(value) {
      tokenEndpointAvailable = value;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
  };
}
