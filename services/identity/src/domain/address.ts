import { unknownCountry } from './errors.js';

/** A customer's saved shipping address. */
export interface Address {
  id: string;
  userId: string;
  name: string;
  line1: string;
  line2: string | null;
  city: string;
  postalCode: string;
  /** ISO 3166-1 alpha-2, upper case. */
  country: string;
  createdAt: Date;
  updatedAt: Date;
}

/** What the customer gives: the whole address (PUT replaces it). */
export interface AddressInput {
  name: string;
  line1: string;
  line2?: string | null | undefined;
  city: string;
  postalCode: string;
  country: string;
}

/** Enough for home, work and a few relatives; bounds what one account can store. */
export const MAX_ADDRESSES = 20;

const regionNames = new Intl.DisplayNames(['en'], { type: 'region', fallback: 'none' });
/**
 * Codes ICU names that ISO 3166-1 does not assign to a country: exceptionally reserved ones (UK,
 * EU, AC, CP, DG, EA, IC, TA) and groupings (EZ, UN, QO, ZZ). XK (Kosovo) is user-assigned but is
 * what carriers use, so it is accepted.
 */
const NOT_COUNTRIES = new Set(['UK', 'EU', 'EZ', 'UN', 'QO', 'ZZ', 'AC', 'CP', 'DG', 'EA', 'IC', 'TA']);

export function isCountryCode(code: string): boolean {
  return /^[A-Z]{2}$/.test(code) && !NOT_COUNTRIES.has(code) && regionNames.of(code) !== undefined;
}

/** The input as stored: trimmed, an empty second line dropped; an unassigned country → 422 unknown_country. */
export function normalizedAddress(input: AddressInput): Omit<AddressInput, 'line2'> & { line2: string | null } {
  const country = input.country.trim().toUpperCase();
  if (!isCountryCode(country)) throw unknownCountry(input.country);
  return {
    name: input.name.trim(),
    line1: input.line1.trim(),
    line2: input.line2?.trim() || null,
    city: input.city.trim(),
    postalCode: input.postalCode.trim(),
    country,
  };
}
