import { COMMON_PASSWORDS } from './common-passwords.js';

export const MIN_PASSWORD_LENGTH = 12;
/** Long enough for any passphrase; bounds the work one request can ask of the hasher. */
export const MAX_PASSWORD_LENGTH = 256;

/**
 * Why a new password is refused (empty: it is accepted). NIST SP 800-63B §3.1.1.2: a minimum
 * length, no composition rules, refuse common and context-specific passwords (here the e-mail's
 * local part).
 */
export function passwordWeaknesses(password: string, email: string, current?: string): string[] {
  const reasons: string[] = [];
  // Length in code points, so an emoji counts as one character as a person sees it.
  const length = [...password.normalize('NFC')].length;
  if (length < MIN_PASSWORD_LENGTH) reasons.push(`shorter than ${MIN_PASSWORD_LENGTH} characters`);
  if (length > MAX_PASSWORD_LENGTH) reasons.push(`longer than ${MAX_PASSWORD_LENGTH} characters`);
  const lower = password.toLowerCase();
  if (COMMON_PASSWORDS.has(lower)) reasons.push('one of the most common passwords');
  const local = email.trim().toLowerCase().split('@')[0] ?? '';
  // A one- or two-letter local part would forbid half the alphabet; from three letters on it is a real hint.
  if (local.length >= 3 && lower.includes(local)) reasons.push('contains the e-mail address');
  if (current !== undefined && password === current) reasons.push('the same as the current password');
  return reasons;
}
