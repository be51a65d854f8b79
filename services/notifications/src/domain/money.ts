/** An amount in integer minor units of an ISO 4217 currency. */
export interface Money {
  amount: number;
  currency: string;
}

function minorDigits(currency: string): number {
  try {
    return new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
  } catch {
    return 2;
  }
}

/** "19.99 EUR", "1500 JPY": exact (integer arithmetic), in plain words for a message. */
export function formatMoney(m: Money): string {
  const digits = minorDigits(m.currency);
  const negative = m.amount < 0;
  const s = String(Math.abs(m.amount)).padStart(digits + 1, '0');
  const major = digits > 0 ? `${s.slice(0, -digits)}.${s.slice(-digits)}` : s;
  return `${negative ? '-' : ''}${major} ${m.currency}`;
}
