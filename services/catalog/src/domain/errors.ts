import { AppError, badRequest, conflict, notFound, unprocessable } from '@emporium/errors';

/** Every refusal of the catalog, each with its stable code (STYLE.md §8). Tests assert the code. */

export const productNotFound = (id: string) => notFound('product_not_found', `No product has the id ${id}`);

export const skuNotFound = (sku: string) => notFound('sku_not_found', `No variant has the SKU ${sku}`);

export const slugTaken = (slug: string | undefined) =>
  conflict('slug_taken', `Another product already has the slug ${slug ?? 'given'}`, slug ? { slug } : undefined);

export const skuTaken = (sku: string | undefined) =>
  conflict('sku_taken', `Another variant already has the SKU ${sku ?? 'given'}`, sku ? { sku } : undefined);

/** The same SKU twice in one request. */
export const duplicateSku = (sku: string) => unprocessable('duplicate_sku', `The SKU ${sku} is given more than once`, { sku });

/** Two variants of one product may not be told apart by their attributes. */
export const duplicateVariant = (sku: string) =>
  unprocessable('duplicate_variant', `The variant ${sku} has the same attributes as another variant of this product`, { sku });

export const tooManyVariants = (max: number) => unprocessable('too_many_variants', `A product has at most ${max} variants`, { max });

export const unsupportedCurrency = (currency: string) =>
  unprocessable('unsupported_currency', `The currency ${currency} is not one the catalog sells in`, { currency });

export const invalidAmount = (max: number) =>
  unprocessable('invalid_amount', `A price is a whole number of minor units from 0 to ${max}`, { max });

export const invalidSlug = () =>
  unprocessable('invalid_slug', 'No slug can be made from the name; give a slug of lowercase letters, digits and hyphens');

export const invalidCursor = () => badRequest('invalid_cursor', 'The cursor is not one this service issued; start again without it');

export const invalidPriceRange = () => badRequest('invalid_price_range', 'minPrice is greater than maxPrice');

export const emptyPatch = () =>
  badRequest('empty_patch', 'The request changes nothing: give at least one of name, description, category, brand, status');

export const invalidIfMatch = () => badRequest('invalid_if_match', 'If-Match must be "*" or a list of entity tags such as "3"');

/** RFC 6585 §3: the change needs a version so that it cannot overwrite someone else's. */
export const preconditionRequired = () =>
  new AppError('precondition_required', 'Send the version you read, as If-Match: "<version>" or as the body field version', 428);

/**
 * The product changed since the caller read it: 412 when the If-Match precondition failed
 * (RFC 9110 §13.1.1), 409 when the version came in the body.
 */
export const versionConflict = (currentVersion: number, via: 'if-match' | 'body') =>
  new AppError(
    'version_conflict',
    `The product has changed since it was read; it is now at version ${currentVersion}`,
    via === 'if-match' ? 412 : 409,
    {
      details: { currentVersion },
    },
  );
