import { AUDIT_ACTIONS, type AuditEntry } from './audit.js';

/**
 * An audit entry in plain words, as its user reads it in their account activity (and an admin in
 * the log). Built from the action and its details only; never a secret, since details hold none.
 */
export function describeEntry(entry: AuditEntry): string {
  const d = entry.details;
  const count = (n: unknown, one: string, many: string) => (n === 1 ? `1 ${one}` : `${typeof n === 'number' ? n : 0} ${many}`);
  // Which app the user did it from, when they came with an access token.
  const app = typeof d.clientId === 'string' ? ` (from ${d.clientId})` : '';
  switch (entry.action) {
    case AUDIT_ACTIONS.signedUp:
      return 'Account created';
    case AUDIT_ACTIONS.loginSucceeded:
      return d.via === 'oidc' ? `Signed in with your password to ${d.clientId}` : 'Signed in with your password';
    case AUDIT_ACTIONS.loginFailed:
      return d.reason === 'unknown_account' ? 'Failed sign-in: no account has this e-mail address' : 'Failed sign-in: wrong password';
    case AUDIT_ACTIONS.loginRefusedSuspended:
      return 'Sign-in refused: the account is suspended';
    case AUDIT_ACTIONS.passwordChanged:
      return `Password changed; ${count(d.revokedSessions, 'session', 'sessions')} signed out`;
    case AUDIT_ACTIONS.passwordChangeFailed:
      return 'Password not changed: the current password was wrong';
    case AUDIT_ACTIONS.sessionRevoked:
      if (d.reason === 'logout') return d.via === 'oidc' ? 'Signed out of single sign-on' : `Signed out${app}`;
      return `Ended one of your sessions${app}`;
    case AUDIT_ACTIONS.sessionsRevokedAll:
      return `Signed out everywhere: ${count(d.revokedSessions, 'session', 'sessions')} ended`;
    case AUDIT_ACTIONS.rolesChanged:
      return `Roles changed from ${list(d.from)} to ${list(d.to)}`;
    case AUDIT_ACTIONS.regionChanged:
      return `Region changed from ${d.from ?? 'none'} to ${d.to ?? 'none'}`;
    case AUDIT_ACTIONS.refundLimitChanged:
      return `Refund limit changed from ${money(d.from)} to ${money(d.to)}`;
    case AUDIT_ACTIONS.suspended:
      return `Account suspended; ${count(d.revokedSessions, 'session', 'sessions')} ended`;
    case AUDIT_ACTIONS.reinstated:
      return 'Account reinstated';
    case AUDIT_ACTIONS.addressAdded:
      return `Shipping address added (${d.country})`;
    case AUDIT_ACTIONS.addressChanged:
      return `Shipping address changed (${d.country})`;
    case AUDIT_ACTIONS.addressRemoved:
      return `Shipping address removed (${d.country})`;
  }
}

const list = (v: unknown) => (Array.isArray(v) && v.length ? v.join(', ') : 'none');

/** Minor units as the currency writes them (its own number of decimals: 2 for EUR, 0 for JPY). */
function money(v: unknown): string {
  if (typeof v !== 'object' || v === null) return 'none';
  const { amount, currency } = v as { amount: number; currency: string };
  const format = new Intl.NumberFormat('en', { style: 'currency', currency, currencyDisplay: 'code' });
  return format.format(amount / 10 ** (format.resolvedOptions().maximumFractionDigits ?? 2));
}
