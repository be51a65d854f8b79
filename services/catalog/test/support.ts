import { sql } from '@emporium/db';
import type { Envelope } from '@emporium/messaging';
import { bearerFor, startTestService, type TestService, uniqueName } from '@emporium/testing';
import { expect } from 'vitest';
import { type CatalogConfig, type CatalogDatabase, catalogModule } from '../src/index.js';

export type Catalog = TestService<CatalogDatabase, CatalogConfig>;

export const startCatalog = (env: Record<string, string> = {}): Promise<Catalog> => startTestService(catalogModule, env);

export type Headers = Record<string, string>;

/** `Authorization: Bearer` headers of the callers the tests play (real tokens of the test issuer). */
export interface Callers {
  merchandiser: Headers;
  admin: Headers;
  support: Headers;
  customer: Headers;
  suspendedMerchandiser: Headers;
}

/** The callers' headers for one running catalog: its name is the audience of their tokens. */
export async function callersOf(catalog: Catalog): Promise<Callers> {
  const [merchandiser, admin, support, customer, suspendedMerchandiser] = await Promise.all([
    bearerFor(catalog.name, { roles: ['merchandiser'] }),
    bearerFor(catalog.name, { roles: ['admin'] }),
    bearerFor(catalog.name, { roles: ['support'], region: 'eu' }),
    bearerFor(catalog.name, { customer: 'customer-1' }),
    bearerFor(catalog.name, { roles: ['merchandiser'], sub: 'usr_suspended', suspended: true }),
  ]);
  return { merchandiser, admin, support, customer, suspendedMerchandiser };
}

/** A short upper-case tag, unique per call, for SKUs, slugs and brands of one test. */
export const tag = () => uniqueName('t').slice(2).toUpperCase();

export interface VariantInput {
  sku: string;
  attributes?: Record<string, string>;
  price: { amount: number; currency: string };
  active?: boolean;
}

export interface ProductInput {
  slug?: string;
  name: string;
  description?: string;
  category: string;
  brand?: string;
  status?: 'active' | 'archived';
  variants: VariantInput[];
}

/** A valid product with unique slug and SKUs; override what the test is about. */
export function aProduct(overrides: Partial<ProductInput> = {}): ProductInput {
  const t = tag();
  return {
    name: `Test Lantern ${t}`,
    description: 'A sturdy lantern for testing the catalog.',
    category: 'home',
    brand: `Brand ${t}`,
    variants: [
      { sku: `LANT-${t}-S`, attributes: { size: 'S' }, price: { amount: 1999, currency: 'EUR' } },
      { sku: `LANT-${t}-L`, attributes: { size: 'L' }, price: { amount: 2999, currency: 'EUR' } },
    ],
    ...overrides,
  };
}

export interface ProductBody {
  id: string;
  slug: string;
  name: string;
  description: string;
  category: string;
  brand: string;
  status: 'active' | 'archived';
  version: number;
  createdAt: string;
  updatedAt: string;
  variants: { id: string; sku: string; attributes: Record<string, string>; price: { amount: number; currency: string }; active: boolean }[];
}

export async function createProduct(catalog: Catalog, input: ProductInput = aProduct()): Promise<ProductBody> {
  const headers = await bearerFor(catalog.name, { roles: ['merchandiser'] });
  const res = await catalog.app.inject({ method: 'POST', url: '/api/catalog/products', headers, payload: input });
  expect(res.statusCode, res.body).toBe(201);
  return res.json();
}

/** Asserts an RFC 9457 problem with its stable code; returns the body. */
export function expectProblem(res: { statusCode: number; headers: Record<string, unknown>; json(): any }, status: number, code: string) {
  expect({ status: res.statusCode, code: res.json().code }).toEqual({ status, code });
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  return res.json();
}

/** The envelopes the service committed to its outbox, of one type and about one subject. */
export async function outboxOf(catalog: Catalog, type: string, subject?: string): Promise<Envelope<any>[]> {
  const rows = await sql<{ envelope: Envelope<any> }>`
    SELECT envelope FROM outbox
    WHERE type = ${type} AND (${subject ?? null}::text IS NULL OR envelope->>'subject' = ${subject ?? null})
    ORDER BY seq`.execute(catalog.ctx.db);
  return rows.rows.map((r) => r.envelope);
}
