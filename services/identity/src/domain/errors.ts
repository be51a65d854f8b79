import { AppError, badRequest, conflict, notFound, unprocessable } from '@emporium/errors';

/** Every refusal of the identity service, each with its stable code (STYLE.md §8). Tests assert the code. */

export const weakPassword = (reasons: string[]) =>
  unprocessable('weak_password', `The password is too weak: ${reasons.join(', ')}`, { reasons });

export const emailTaken = () => conflict('email_taken', 'An account with this e-mail address already exists');

/** The same answer for an unknown e-mail and a wrong password (no account enumeration). */
export const invalidCredentials = () => new AppError('invalid_credentials', 'The e-mail address or the password is wrong', 401);

/** RFC 6585 §4; the route sends Retry-After with the seconds until an attempt is counted again. */
export const rateLimited = (retryAfterSeconds: number) =>
  new AppError('rate_limited', `Too many failed attempts; try again in ${retryAfterSeconds} s`, 429, {
    details: { retryAfterSeconds },
  });

export const accountSuspended = () => new AppError('account_suspended', 'This account is suspended', 403);

export const unauthenticated = () =>
  new AppError('unauthenticated', 'This action needs a signed-in session or an access token of a known user', 401);

export const currentPasswordInvalid = () => new AppError('current_password_invalid', 'The current password is wrong', 403);

export const sessionNotFound = (id: string) => notFound('session_not_found', `You have no session with the id ${id}`);

export const addressNotFound = (id: string) => notFound('address_not_found', `You have no address with the id ${id}`);

export const tooManyAddresses = (max: number) =>
  conflict('too_many_addresses', `You have ${max} saved addresses, the most there may be; remove one first`);

export const unknownCountry = (code: string) =>
  unprocessable('unknown_country', `${code} is not an ISO 3166-1 alpha-2 country code`, { field: 'country' });

export const userNotFound = (id: string) => notFound('user_not_found', `No user has the id ${id}`);

export const emptyPatch = () =>
  badRequest('empty_patch', 'The request changes nothing: give at least one of roles, region, refundLimit, suspended');

export const invalidCursor = () => badRequest('invalid_cursor', 'The cursor is not one this service issued; start again without it');
