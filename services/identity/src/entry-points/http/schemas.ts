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

export const SessionHeaders = Type.Object({
  authorization: Type.Optional(Type.String({ description: '`Session <sessionId>` from login (the gateway/OIDC will carry it later)' })),
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
    actor: Type.String({ description: "A user id, or 'system'" }),
    subjectUserId: Type.Union([Uuid, Type.Null()]),
    action: Type.String({ examples: ['login.succeeded'] }),
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
  'x-emporium-role': Type.Optional(
    Type.String({ description: 'Temporary internal seam until JWT verification: admin. The gateway strips it.' }),
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

export type UserView = Static<typeof UserView>;
export type SessionView = Static<typeof SessionView>;
export type AuditEntryView = Static<typeof AuditEntryView>;
