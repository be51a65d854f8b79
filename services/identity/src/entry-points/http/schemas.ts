import { type Static, Type } from 'typebox';
import { MAX_PASSWORD_LENGTH } from '../../domain/password-policy.js';
import { ROLES } from '../../domain/user.js';

/**
 * The identity service's wire formats. Every object rejects unknown properties, so a sign-up
 * cannot set roles, suspended or a refund limit by sending them (mass assignment → 400).
 */

const strict = { additionalProperties: false } as const;

const Email = Type.String({
  format: 'email',
  maxLength: 254,
  description: 'E-mail address; unique, compared case-insensitively',
  examples: ['ada@example.com'],
});
/** The policy (length, common passwords, e-mail) is checked by the domain → 422 weak_password, not here. */
const Password = Type.String({ minLength: 1, maxLength: MAX_PASSWORD_LENGTH * 4, description: 'Password; never stored, never logged' });
const Uuid = Type.String({ format: 'uuid' });
const Timestamp = Type.String({ format: 'date-time' });

export const SignUpBody = Type.Object(
  {
    email: Email,
    password: Password,
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200, pattern: '\\S', description: 'Display name' })),
  },
  strict,
);

export const SignedUpView = Type.Object({ userId: Uuid }, strict);

export const LoginBody = Type.Object(
  {
    // Not `format: email`: any string gets the same 401 as a wrong password.
    email: Type.String({ minLength: 1, maxLength: 254 }),
    password: Password,
  },
  strict,
);

export const LoginView = Type.Object(
  {
    sessionId: Type.String({ description: 'The session secret: send it as `Authorization: Session <sessionId>`; shown once' }),
    userId: Uuid,
    expiresAt: Type.String({ format: 'date-time', description: 'When the session ends if unused (each use slides it)' }),
    absoluteExpiresAt: Type.String({ format: 'date-time', description: 'When the session ends however much it is used' }),
  },
  strict,
);

export const ChangePasswordBody = Type.Object({ current: Password, new: Password }, strict);
export const ChangePasswordView = Type.Object({ revokedSessions: Type.Integer({ minimum: 0 }) }, strict);

export const CallerHeaders = Type.Object({
  authorization: Type.Optional(
    Type.String({
      description: '`Session <sessionId>` from login, or `Bearer <access token>` for identity (aud identity, from the OpenID provider)',
    }),
  ),
});

export const SessionParams = Type.Object(
  { id: Type.String({ format: 'uuid', description: 'Public id of a session, from the list' }) },
  strict,
);

export const SessionView = Type.Object(
  {
    id: Uuid,
    current: Type.Boolean({ description: 'The session this request came with' }),
    createdAt: Timestamp,
    lastSeenAt: Timestamp,
    expiresAt: Timestamp,
    absoluteExpiresAt: Timestamp,
    userAgent: Type.Union([Type.String(), Type.Null()]),
    ip: Type.Union([Type.String(), Type.Null()]),
    singleSignOn: Type.Boolean({
      description: 'Opened by a login through the OpenID provider (/oidc): ending it signs its apps out too',
    }),
  },
  strict,
);
export const SessionList = Type.Object({ items: Type.Array(SessionView) }, strict);
export const RevokedView = Type.Object({ revoked: Type.Integer({ minimum: 0 }) }, strict);

const Limit = Type.Integer({ minimum: 1, maximum: 100, default: 20, description: 'Page size' });
const Cursor = Type.String({ maxLength: 200, description: 'nextCursor of the previous page' });

export const PageQuery = Type.Object({ limit: Limit, cursor: Type.Optional(Cursor) }, strict);

export const AuditEntryView = Type.Object(
  {
    id: Uuid,
    at: Timestamp,
    actor: Type.String({ description: "The user who acted (an admin's id for admin changes), or 'system' for a refused login" }),
    subjectUserId: Type.Union([Uuid, Type.Null()]),
    action: Type.String({ examples: ['login.succeeded'] }),
    summary: Type.String({ description: 'The entry in plain words', examples: ['Signed in with your password'] }),
    details: Type.Record(Type.String(), Type.Unknown()),
    ip: Type.Union([Type.String(), Type.Null()]),
  },
  strict,
);
export const AuditPageView = Type.Object(
  { items: Type.Array(AuditEntryView), nextCursor: Type.Union([Type.String(), Type.Null()]) },
  strict,
);

export const AuditQuery = Type.Object(
  {
    limit: Limit,
    cursor: Type.Optional(Cursor),
    subjectUserId: Type.Optional(Uuid),
    action: Type.Optional(Type.String({ pattern: '^[a-z_]+(\\.[a-z_]+)+$', maxLength: 64 })),
  },
  strict,
);

// ---- admin

const Role = Type.Enum([...ROLES], { description: 'customer, support, merchandiser or admin' });
const Region = Type.String({
  pattern: '^[a-z0-9]+(-[a-z0-9]+)*$',
  maxLength: 32,
  description: 'Region key, e.g. eu or us-east',
  examples: ['eu'],
});
export const Money = Type.Object(
  {
    amount: Type.Integer({ minimum: 0, maximum: 1_000_000_000_00, description: 'Minor units (cents)' }),
    currency: Type.String({ pattern: '^[A-Z]{3}$', description: 'ISO 4217 code' }),
  },
  strict,
);

export const AdminHeaders = Type.Object({
  authorization: Type.Optional(
    Type.String({ description: '`Bearer <access token>` for identity of a user who is an admin (role admin, now, in our table)' }),
  ),
});

export const UserParams = Type.Object({ id: Uuid }, strict);

export const UserView = Type.Object(
  {
    id: Uuid,
    email: Type.String(),
    name: Type.Union([Type.String(), Type.Null()]),
    roles: Type.Array(Role),
    region: Type.Union([Type.String(), Type.Null()]),
    refundLimit: Type.Union([Money, Type.Null()]),
    suspended: Type.Boolean(),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  },
  strict,
);
export const UserPageView = Type.Object({ items: Type.Array(UserView), nextCursor: Type.Union([Type.String(), Type.Null()]) }, strict);

export const UsersQuery = Type.Object(
  { limit: Limit, cursor: Type.Optional(Cursor), emailPrefix: Type.Optional(Type.String({ minLength: 1, maxLength: 254 })) },
  strict,
);

export const UserPatchBody = Type.Object(
  {
    roles: Type.Optional(Type.Array(Role, { minItems: 1, maxItems: ROLES.length, uniqueItems: true })),
    region: Type.Optional(Type.Union([Region, Type.Null()])),
    refundLimit: Type.Optional(Type.Union([Money, Type.Null()])),
    suspended: Type.Optional(Type.Boolean()),
  },
  { ...strict, description: 'Only what changes; each change is one audit entry' },
);

// ---- the caller's own account and addresses

export const AccountView = Type.Object(
  {
    id: Uuid,
    email: Type.String(),
    name: Type.Union([Type.String(), Type.Null()]),
    roles: Type.Array(Role),
    region: Type.Union([Type.String(), Type.Null()]),
    createdAt: Timestamp,
  },
  strict,
);

const AddressText = (maxLength: number, description: string) => Type.String({ minLength: 1, maxLength, pattern: '\\S', description });

/** The whole address: POST creates it, PUT replaces it. No id, owner or dates: those are the service's. */
export const AddressBody = Type.Object(
  {
    name: AddressText(200, 'Who receives the parcel'),
    line1: AddressText(200, 'Street and number'),
    line2: Type.Optional(Type.Union([AddressText(200, 'Flat, floor, care of…'), Type.Null()])),
    city: AddressText(100, 'City'),
    postalCode: AddressText(20, 'Postal code'),
    country: Type.String({ pattern: '^[A-Za-z]{2}$', description: 'ISO 3166-1 alpha-2 country code', examples: ['DE'] }),
  },
  { ...strict, description: 'Unknown properties (userId, customerId, id…) are refused with 400' },
);

export const AddressParams = Type.Object({ id: Type.String({ format: 'uuid', description: 'Id of one of my addresses' }) }, strict);

export const AddressView = Type.Object(
  {
    id: Uuid,
    name: Type.String(),
    line1: Type.String(),
    line2: Type.Union([Type.String(), Type.Null()]),
    city: Type.String(),
    postalCode: Type.String(),
    country: Type.String({ description: 'ISO 3166-1 alpha-2' }),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  },
  strict,
);
export const AddressList = Type.Object({ items: Type.Array(AddressView) }, strict);

export type UserView = Static<typeof UserView>;
export type AccountView = Static<typeof AccountView>;
export type AddressView = Static<typeof AddressView>;
export type SessionView = Static<typeof SessionView>;
export type AuditEntryView = Static<typeof AuditEntryView>;
