/** An amount of money: integer minor units of an ISO 4217 currency, never a float (STYLE.md §5). */
export interface Money {
  amount: number;
  currency: string;
}

const minorDigits = new Map<string, number>();

/** Minor units of a currency (2 for EUR, 0 for JPY), as Intl knows them; remembered (a NumberFormat is costly to make). */
function minorDigitsOf(currency: string): number {
  let digits = minorDigits.get(currency);
  if (digits === undefined) {
    try {
      digits = new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
    } catch {
      digits = 2;
    }
    if (minorDigits.size < 512) minorDigits.set(currency, digits);
  }
  return digits;
}

/** `39.98 EUR`: for the plain-words timeline a customer reads. */
export function formatMoney(money: Money): string {
  const digits = minorDigitsOf(money.currency);
  const major = (money.amount / 10 ** digits).toFixed(digits);
  return `${major} ${money.currency}`;
}

export const sameMoney = (a: Money, b: Money) => a.amount === b.amount && a.currency === b.currency;
