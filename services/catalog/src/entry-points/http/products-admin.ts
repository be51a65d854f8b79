import type { ServiceApp } from '@emporium/service';
import { addVariant } from '../../domain/add-variant.js';
import { createProduct } from '../../domain/create-product.js';
import type { CatalogDeps } from '../../domain/deps.js';
import { invalidIfMatch } from '../../domain/errors.js';
import { isPurchasable } from '../../domain/product.js';
import { updateProduct } from '../../domain/update-product.js';
import { catalogWriters } from './access.js';
import {
  AdminHeaders,
  NewProductBody,
  NewVariantBody,
  PatchHeaders,
  ProductParams,
  ProductPatchBody,
  ProductView,
  problems,
  SkuView,
} from './schemas.js';
import { etagOf, productView, skuView } from './views.js';

/** If-Match → the versions it allows: `*`, or a list of entity tags like "3" (a bare 3 is accepted too). */
export function parseIfMatch(raw: string | undefined): number[] | '*' | undefined {
  if (raw === undefined) return undefined;
  const value = raw.trim();
  if (value === '*') return '*';
  const versions = value.split(',').map((tag) => {
    const m = /^(?:"(\d{1,9})"|(\d{1,9}))$/.exec(tag.trim());
    if (!m) throw invalidIfMatch();
    return Number(m[1] ?? m[2]);
  });
  return versions;
}

/** Changes to the catalog: merchandisers and admins only (src/policy.ts; guards in access.ts). */
export function productAdminRoutes(app: ServiceApp, deps: CatalogDeps): void {
  const writers = catalogWriters();

  app.post(
    '/api/catalog/products',
    {
      onRequest: writers,
      schema: {
        tags: ['admin'],
        summary: 'Create a product with its variants',
        description: 'Emits catalog.product.created.v1. The slug is made from the name when not given.',
        headers: AdminHeaders,
        body: NewProductBody,
        response: {
          201: ProductView,
          ...problems({
            400: 'validation_failed (including unknown properties such as id or version)',
            401: 'unauthenticated (no token), invalid_token',
            403: 'forbidden (not a merchandiser or admin, or suspended)',
            409: 'slug_taken, sku_taken',
            413: 'body_too_large',
            422: 'duplicate_sku, duplicate_variant, unsupported_currency, invalid_slug',
          }),
        },
      },
    },
    async (request, reply) => {
      const product = await createProduct(deps, request.body);
      return reply
        .status(201)
        .header('location', `/api/catalog/products/${product.id}`)
        .header('etag', etagOf(product.version))
        .send(productView(product));
    },
  );

  app.patch(
    '/api/catalog/products/:id',
    {
      onRequest: writers,
      schema: {
        tags: ['admin'],
        summary: 'Change name, description, category, brand or status',
        description:
          'Optimistic concurrency: send the version read, as `If-Match: "<version>"` (a stale one → 412) or as `version` in the body ' +
          '(a stale one → 409); neither → 428.',
        headers: PatchHeaders,
        params: ProductParams,
        body: ProductPatchBody,
        response: {
          200: ProductView,
          ...problems({
            400: 'validation_failed, empty_patch, invalid_if_match',
            401: 'unauthenticated (no token), invalid_token',
            403: 'forbidden (not a merchandiser or admin, or suspended)',
            404: 'product_not_found',
            409: 'version_conflict (body version)',
            412: 'version_conflict (If-Match)',
            428: 'precondition_required',
          }),
        },
      },
    },
    async (request, reply) => {
      const { version, ...changes } = request.body;
      const product = await updateProduct(deps, request.params.id, changes, {
        ifMatch: parseIfMatch(request.headers['if-match']),
        body: version,
      });
      reply.header('etag', etagOf(product.version));
      return productView(product);
    },
  );

  app.post(
    '/api/catalog/products/:id/variants',
    {
      onRequest: writers,
      schema: {
        tags: ['admin'],
        summary: 'Add a variant (a new SKU) to a product',
        description: 'Emits catalog.variant.added.v1.',
        headers: AdminHeaders,
        params: ProductParams,
        body: NewVariantBody,
        response: {
          201: SkuView,
          ...problems({
            400: 'validation_failed',
            401: 'unauthenticated (no token), invalid_token',
            403: 'forbidden (not a merchandiser or admin, or suspended)',
            404: 'product_not_found',
            409: 'sku_taken',
            422: 'duplicate_variant, too_many_variants, unsupported_currency',
          }),
        },
      },
    },
    async (request, reply) => {
      const { product, variant } = await addVariant(deps, request.params.id, request.body);
      return reply
        .status(201)
        .header('location', `/api/catalog/skus/${encodeURIComponent(variant.sku)}`)
        .send(skuView({ product, variant, purchasable: isPurchasable(product, variant) }));
    },
  );
}
