import { randomUUID } from 'node:crypto';
import http, { type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AuthError, bearerTokenOf, createTokenVerifier, forbidden, type Principal, requireScope } from '@emporium/auth';
import { testIssuer } from '@emporium/testing';

/**
 * The catalog as orders meets it across the network: a real HTTP server on port 0 serving
 * `GET /internal/catalog/prices?sku=…` (the shape of services/catalog's SkuBatch) to services only.
 * Like the real catalog it verifies the caller's access token itself — signed by the test issuer
 * (testIssuer(), whose JWKS it fetches), audience `catalog`, a client-credentials token with the
 * scope catalog:prices — and answers 401/403 otherwise. So a checkout that gets its prices proves
 * that orders sent a valid token.
 */
export interface SeenAtCatalog {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  /** Who the token said the caller was; undefined when refused. */
  caller: Principal | undefined;
  /** The status answered (0 while hanging). */
  status: number;
}

/** How the catalog answers the next accepted request; `hang` never answers (until the server closes). */
export type CatalogAnswer = { status: number; headers?: Record<string, string>; body?: string } | 'hang';

export interface StandInCatalog {
  url: string;
  /** Every request, refused ones included, in order of arrival. */
  seen: SeenAtCatalog[];
  /** Answers the next accepted requests with these, in order; the last one repeats. */
  answer(...answers: CatalogAnswer[]): void;
  /** Refuses (401 invalid_token) every token accepted so far, as a catalog does once a token is revoked. */
  revokeTokensSeen(): void;
  close(): Promise<void>;
}

export const PRICES_PATH = '/internal/catalog/prices';

const problem = (res: ServerResponse, status: number, code: string, headers: Record<string, string> = {}) =>
  res.writeHead(status, { 'content-type': 'application/problem+json', ...headers }).end(JSON.stringify({ status, code }));

export async function startCatalog(): Promise<StandInCatalog> {
  const issuer = await testIssuer();
  const verifier = createTokenVerifier({ issuer: issuer.issuer, audience: 'catalog', jwksUrl: issuer.jwksUrl });
  const seen: SeenAtCatalog[] = [];
  const revoked = new Set<string>();
  const hanging = new Set<ServerResponse>();
  let script: CatalogAnswer[] = [{ status: 200, headers: { 'content-type': 'application/json' }, body: '{"items":[],"unknown":[]}' }];

  /** requireServiceScope as the catalog applies it: 401 without a valid token, 403 without the scope. */
  async function callerOf(headers: IncomingHttpHeaders): Promise<Principal> {
    const principal = await verifier.verify(bearerTokenOf(headers.authorization));
    if (principal.tokenId && revoked.has(principal.tokenId)) {
      throw new AuthError('invalid_token', 'The access token was revoked', 401, {
        headers: { 'www-authenticate': 'Bearer realm="emporium", error="invalid_token"' },
      });
    }
    if (principal.kind !== 'service') throw forbidden('This action is for services');
    requireScope(principal, 'catalog:prices');
    return principal;
  }

  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const entry: SeenAtCatalog = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, caller: undefined, status: 0 };
      res.on('finish', () => {
        entry.status = res.statusCode;
      });
      if (req.method !== 'GET' || new URL(entry.url, 'http://catalog').pathname !== PRICES_PATH) {
        seen.push(entry);
        return problem(res, 404, 'not_found');
      }
      // Recorded once decided, so that a request seen is one the script has already answered (or refused).
      callerOf(req.headers).then(
        (caller) => {
          entry.caller = caller;
          seen.push(entry);
          const next = (script.length > 1 ? script.shift() : script[0]) as CatalogAnswer;
          if (next === 'hang') {
            hanging.add(res);
            return;
          }
          res.writeHead(next.status, next.headers ?? {}).end(next.body ?? '');
        },
        (error: unknown) => {
          seen.push(entry);
          if (error instanceof AuthError) return problem(res, error.status, error.code, { ...error.headers });
          return problem(res, 500, 'internal_error');
        },
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    answer: (...answers) => {
      script = answers;
    },
    revokeTokensSeen: () => {
      for (const s of seen) if (s.caller?.tokenId) revoked.add(s.caller.tokenId);
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of hanging) res.destroy();
        hanging.clear();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** A SKU as the stand-in catalog sells it. */
export interface Listed {
  sku: string;
  price?: number;
  currency?: string;
  name?: string;
  purchasable?: boolean;
}

/**
 * Scripts the stand-in catalog to answer the next batch lookups with these SKUs, in the shape of
 * the catalog's SkuBatch (services/catalog skus.ts).
 */
export function catalogSells(catalog: StandInCatalog, listed: Listed[], unknown: string[] = []): void {
  const items = listed.map((l) => {
    const productId = randomUUID();
    return {
      sku: l.sku,
      variantId: randomUUID(),
      attributes: {},
      price: { amount: l.price ?? 1_000, currency: l.currency ?? 'EUR' },
      active: l.purchasable ?? true,
      purchasable: l.purchasable ?? true,
      product: {
        id: productId,
        slug: `p-${productId.slice(0, 8)}`,
        name: l.name ?? `Product ${l.sku}`,
        category: 'home',
        brand: 'Test',
        status: 'active',
        version: 1,
      },
    };
  });
  catalog.answer({ status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ items, unknown }) });
}

/** The catalog answers 503 to everything (down). */
export function catalogDown(catalog: StandInCatalog): void {
  catalog.answer({ status: 503, headers: { 'content-type': 'application/problem+json' }, body: '{"code":"database_unavailable"}' });
}
