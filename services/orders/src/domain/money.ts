/** An amount of money: integer minor units of an ISO 4217 currency, never a float (STYLE.md §5). */
export interface Money {
  amount: number;
  currency: string;
}

/** Minor units of a currency (2 for EUR, 0 for JPY), as Intl knows them. */
function minorDigitsOf(currency: string): number {
  try {
    return new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
  } catch {
    return 2;
  }
}

/** `39.98 EUR`: for the plain-words timeline a customer reads. */
export function formatMoney(money: Money): string {
  const digits = minorDigitsOf(money.currency);
  const major = (money.amount / 10 ** digits).toFixed(digits);
  return `${major} ${money.currency}`;
}

export const sameMoney = (a: Money, b: Money) => a.amount === b.amount && a.currency === b.currency;
