import { invalidAmount, unsupportedCurrency } from './errors.js';

/** Money is integer minor units of an ISO 4217 currency (STYLE.md §5), never a float. */
export interface Money {
  amount: number;
  currency: string;
}

/** The currencies the catalog sells in, with their minor-unit exponent (ISO 4217). */
export const CURRENCIES: Readonly<Record<string, number>> = Object.freeze({
  EUR: 2,
  USD: 2,
  GBP: 2,
  CHF: 2,
  SEK: 2,
  DKK: 2,
  NOK: 2,
  PLN: 2,
  CZK: 2,
  CAD: 2,
  AUD: 2,
  JPY: 0,
});

/** Largest price accepted: 999,999,999.99 in a two-decimal currency; far below 2^53. */
export const MAX_AMOUNT = 99_999_999_999;

/** A checked Money value. The schema at the edge has already checked the shape; this checks the rules. */
export function money(amount: number, currency: string): Money {
  if (!Number.isSafeInteger(amount) || amount < 0 || amount > MAX_AMOUNT) {
    throw invalidAmount(MAX_AMOUNT);
  }
  if (!(currency in CURRENCIES)) throw unsupportedCurrency(currency);
  return { amount, currency };
}

export const sameMoney = (a: Money, b: Money) => a.amount === b.amount && a.currency === b.currency;
