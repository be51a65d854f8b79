import { type Static, Type } from 'typebox';
import { MAX_URL_LENGTH, PARTNER_PATTERN, SECRET_PATTERN } from '../../domain/endpoint-rules.js';

/** The notifications service's wire formats. Every request object rejects unknown properties. */

const strict = { additionalProperties: false } as const;

export const Uuid = Type.String({ format: 'uuid' });
const DateTime = Type.String({ format: 'date-time' });
const Kind = Type.Union([Type.Literal('order_confirmed'), Type.Literal('order_cancelled'), Type.Literal('payment_refunded')]);
const ChannelSchema = Type.Union([Type.Literal('email'), Type.Literal('webhook'), Type.Literal('feed')]);
const Status = Type.Union([
  Type.Literal('awaiting_address'),
  Type.Literal('pending'),
  Type.Literal('delivered'),
  Type.Literal('parked'),
  Type.Literal('cancelled'),
]);

// ---- the customer's feed

export const FeedEntryView = Type.Object(
  {
    id: Type.String({ format: 'uuid', description: 'Stable: the same notification always has the same id' }),
    kind: Kind,
    orderId: Uuid,
    title: Type.String(),
    body: Type.String(),
    createdAt: DateTime,
    readAt: Type.Union([DateTime, Type.Null()]),
  },
  strict,
);

export const FeedPage = Type.Object(
  {
    items: Type.Array(FeedEntryView),
    nextCursor: Type.Union([Type.String(), Type.Null()], { description: 'Pass as `cursor` for the next page; null on the last page' }),
  },
  strict,
);

export const FeedQuery = Type.Object(
  {
    limit: Type.Integer({ minimum: 1, maximum: 100, default: 20, description: 'Page size, 1 to 100' }),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 512, description: 'nextCursor of the previous page' })),
  },
  strict,
);

export const IdParams = Type.Object({ id: Uuid }, strict);

// ---- partner endpoints (admin)

export const NewEndpointBody = Type.Object(
  {
    partner: Type.String({ pattern: PARTNER_PATTERN, description: 'Partner name: lower-case letters, digits, - and _' }),
    url: Type.String({ format: 'uri', pattern: '^https?://', maxLength: MAX_URL_LENGTH, description: 'Where to POST the webhooks' }),
    secret: Type.Optional(
      Type.String({
        pattern: SECRET_PATTERN,
        description: 'Signing secret (whsec_ + base64 of 24–64 bytes); a new one is made when absent',
      }),
    ),
  },
  strict,
);

export const EndpointView = Type.Object(
  {
    id: Uuid,
    partner: Type.String(),
    url: Type.String(),
    source: Type.Union([Type.Literal('api'), Type.Literal('config')]),
    createdAt: DateTime,
    createdBy: Type.Union([Type.String(), Type.Null()], {
      description: 'User id (`sub`) of the admin who registered it; null for an endpoint from NOTIFICATIONS_PARTNER_ENDPOINTS',
    }),
  },
  strict,
);

export const CreatedEndpointView = Type.Object(
  { ...EndpointView.properties, secret: Type.String({ description: 'The signing secret, shown this once' }) },
  strict,
);

export const EndpointList = Type.Object({ items: Type.Array(EndpointView) }, strict);

// ---- deliveries (admin)

export const DeliveryView = Type.Object(
  {
    id: Type.String({ format: 'uuid', description: 'Stable: the Message-ID / webhook-id / feed entry id the receiver sees' }),
    notificationId: Uuid,
    orderId: Uuid,
    kind: Kind,
    channel: ChannelSchema,
    endpointId: Type.Union([Uuid, Type.Null()]),
    partner: Type.Union([Type.String(), Type.Null()]),
    recipient: Type.Union([Type.String(), Type.Null()]),
    status: Status,
    attempts: Type.Integer(),
    nextAttemptAt: Type.Union([DateTime, Type.Null()]),
    lastError: Type.Union([Type.String(), Type.Null()]),
    deliveredAt: Type.Union([DateTime, Type.Null()]),
    parkedAt: Type.Union([DateTime, Type.Null()]),
    createdAt: DateTime,
    replays: Type.Array(
      Type.Object(
        { requestedBy: Type.String({ description: 'User id (`sub`) of the admin who replayed it' }), requestedAt: DateTime },
        strict,
      ),
      { description: 'Every replay of this delivery by an admin, oldest first (the audit trail)' },
    ),
  },
  strict,
);

export const DeliveryList = Type.Object({ items: Type.Array(DeliveryView) }, strict);

export const DeliveryQuery = Type.Object(
  {
    orderId: Type.Optional(Uuid),
    status: Type.Optional(Status),
    channel: Type.Optional(ChannelSchema),
    limit: Type.Integer({ minimum: 1, maximum: 100, default: 50, description: 'At most 100, newest first' }),
  },
  strict,
);

export { ProblemSchema as Problem, problems } from '@emporium/service';

export type FeedEntryView = Static<typeof FeedEntryView>;
export type EndpointView = Static<typeof EndpointView>;
export type DeliveryView = Static<typeof DeliveryView>;
