import { type Static, Type } from 'typebox';

/**
 * The sandbox's wire formats (API.md). Request objects reject unknown parameters
 * (400 parameter_unknown), as the provider does.
 */

const strict = { additionalProperties: false } as const;

export const MAX_AMOUNT = 99_999_999;

const Amount = Type.Integer({ minimum: 1, maximum: MAX_AMOUNT, description: 'Integer minor units (cents)', examples: [1999] });
const Currency = Type.String({ pattern: '^[A-Za-z]{3}$', description: 'ISO 4217 code; answered in lower case', examples: ['eur'] });
const MetadataValue = Type.String({ maxLength: 500 });

export const Metadata = Type.Record(Type.String({ minLength: 1, maxLength: 40 }), MetadataValue, {
  maxProperties: 50,
  description: 'Free key/value strings, kept with the object',
});

export const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 255, description: 'pi_…' }) }, strict);

export const CreatePaymentIntentBody = Type.Object(
  {
    amount: Amount,
    currency: Currency,
    payment_method: Type.String({
      minLength: 1,
      maxLength: 255,
      description: 'A test card token, e.g. pm_card_visa (see API.md, "Test payment methods")',
    }),
    capture_method: Type.Optional(Type.Literal('manual', { description: 'Only manual capture is offered' })),
    confirm: Type.Optional(Type.Literal(true, { description: 'The intent is always confirmed at creation' })),
    metadata: Type.Object(
      { order_id: Type.String({ minLength: 1, maxLength: 500, description: 'The order this payment is for (searchable)' }) },
      { additionalProperties: MetadataValue, maxProperties: 50 },
    ),
  },
  strict,
);
export type CreatePaymentIntentBody = Static<typeof CreatePaymentIntentBody>;

export const CaptureBody = Type.Object(
  {
    amount_to_capture: Type.Optional(
      Type.Integer({ minimum: 1, maximum: MAX_AMOUNT, description: '≤ amount_capturable; default: all of it' }),
    ),
  },
  strict,
);

export const CancelBody = Type.Object(
  { cancellation_reason: Type.Optional(Type.String({ minLength: 1, maxLength: 100, examples: ['abandoned', 'requested_by_customer'] })) },
  strict,
);

export const SearchQuery = Type.Object({ order_id: Type.String({ minLength: 1, maxLength: 500 }) }, strict);

export const CreateRefundBody = Type.Object(
  {
    payment_intent: Type.String({ minLength: 1, maxLength: 255, description: 'The captured intent to refund' }),
    amount: Type.Optional(
      Type.Integer({ minimum: 1, maximum: MAX_AMOUNT, description: 'Default: what is left (captured minus refunded)' }),
    ),
    metadata: Type.Optional(Metadata),
  },
  strict,
);

export const RefundsQuery = Type.Object({ payment_intent: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })) }, strict);

export const AuthHeaders = Type.Object({ authorization: Type.String({ description: 'Bearer <SANDBOX_SECRET_KEY>' }) });
export const IdempotencyHeaders = Type.Object({
  authorization: Type.String({ description: 'Bearer <SANDBOX_SECRET_KEY>' }),
  'idempotency-key': Type.Optional(Type.String({ description: 'Makes retries safe: 1–255 characters, kept 24 h (see API.md)' })),
});

// ---- responses (documentation: the routes send pre-serialized bodies, so that replays are byte-identical)

const PaymentError = Type.Object({ code: Type.String(), decline_code: Type.Optional(Type.String()), message: Type.String() });

export const PaymentIntentView = Type.Object({
  id: Type.String({ examples: ['pi_3f9c0a…'] }),
  object: Type.Literal('payment_intent'),
  amount: Type.Integer(),
  currency: Type.String(),
  status: Type.Union([
    Type.Literal('requires_payment_method'),
    Type.Literal('requires_action'),
    Type.Literal('requires_capture'),
    Type.Literal('succeeded'),
    Type.Literal('canceled'),
  ]),
  capture_method: Type.Literal('manual'),
  amount_capturable: Type.Integer(),
  amount_received: Type.Integer(),
  metadata: Metadata,
  last_payment_error: Type.Union([PaymentError, Type.Null()]),
  created: Type.Integer({ description: 'Unix seconds' }),
  latest_charge: Type.Union([Type.String(), Type.Null()]),
  cancellation_reason: Type.Union([Type.String(), Type.Null()]),
});

export const RefundView = Type.Object({
  id: Type.String({ examples: ['re_…'] }),
  object: Type.Literal('refund'),
  amount: Type.Integer(),
  currency: Type.String(),
  payment_intent: Type.String(),
  status: Type.Literal('succeeded'),
  metadata: Metadata,
  created: Type.Integer(),
});

export const ProviderErrorView = Type.Object({
  error: Type.Object({
    type: Type.String({ examples: ['card_error', 'invalid_request_error', 'idempotency_error', 'api_error'] }),
    code: Type.String(),
    message: Type.String(),
    decline_code: Type.Optional(Type.String()),
    param: Type.Optional(Type.String()),
    payment_intent: Type.Optional(PaymentIntentView),
  }),
});

/** Response schemas of the errors a route may answer, described by their codes. */
export function errors(
  described: Record<number, string>,
): Record<number, { description: string; content: Record<string, { schema: typeof ProviderErrorView }> }> {
  return Object.fromEntries(
    Object.entries(described).map(([status, description]) => [
      status,
      { description, content: { 'application/json': { schema: ProviderErrorView } } },
    ]),
  );
}

// ---- test-only routes

const Operation = Type.Union(
  [
    Type.Literal('create'),
    Type.Literal('capture'),
    Type.Literal('cancel'),
    Type.Literal('refund'),
    Type.Literal('get'),
    Type.Literal('search'),
    Type.Literal('*'),
  ],
  { description: "The API operation hit ('search' also covers GET /v1/refunds); '*' = every one" },
);
const times = Type.Optional(
  Type.Integer({ minimum: 1, maximum: 1_000_000, description: 'Requests (or events) affected; default: until cleared' }),
);
const Ms = Type.Integer({ minimum: 0, maximum: 600_000 });
const ApiFaultStatus = Type.Union([Type.Literal(429), Type.Literal(500), Type.Literal(502), Type.Literal(503), Type.Literal(504)]);

export const FaultRuleBody = Type.Union([
  Type.Object({ operation: Type.Optional(Operation), kind: Type.Literal('latency'), ms: Ms, times }, strict),
  Type.Object(
    {
      operation: Type.Optional(Operation),
      kind: Type.Literal('error_before_commit'),
      status: ApiFaultStatus,
      retry_after: Type.Optional(Type.Integer({ minimum: 0, maximum: 3_600, description: 'Seconds, for a 429 (default 1)' })),
      times,
    },
    strict,
  ),
  Type.Object({ operation: Type.Optional(Operation), kind: Type.Literal('error_after_commit'), status: ApiFaultStatus, times }, strict),
  Type.Object({ operation: Type.Optional(Operation), kind: Type.Literal('timeout_after_commit'), ms: Ms, times }, strict),
  Type.Object(
    {
      operation: Type.Optional(Type.Literal('webhook')),
      kind: Type.Literal('duplicate'),
      copies: Type.Optional(Type.Integer({ minimum: 1, maximum: 20, description: 'Deliveries of each event in all (default 2)' })),
      times,
    },
    strict,
  ),
  Type.Object({ operation: Type.Optional(Type.Literal('webhook')), kind: Type.Literal('delay'), ms: Ms, times }, strict),
  Type.Object(
    {
      operation: Type.Optional(Type.Literal('webhook')),
      kind: Type.Literal('shuffle'),
      count: Type.Optional(
        Type.Integer({ minimum: 2, maximum: 100, description: 'Events held before they are sent newest first (default 3)' }),
      ),
      ms: Type.Optional(Type.Integer({ minimum: 1, maximum: 600_000, description: 'Longest hold of the first event (default 2000)' })),
      times,
    },
    strict,
  ),
  Type.Object({ operation: Type.Optional(Type.Literal('webhook')), kind: Type.Literal('drop'), times }, strict),
]);
export type FaultRuleBody = Static<typeof FaultRuleBody>;

export const FaultsBody = Type.Object({ rules: Type.Array(FaultRuleBody, { maxItems: 50 }) }, strict);

export const LedgerQuery = Type.Object({ order_id: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })) }, strict);

export const CompleteActionBody = Type.Object(
  { outcome: Type.Optional(Type.Union([Type.Literal('succeed'), Type.Literal('fail')], { description: 'Default: succeed' })) },
  strict,
);

export const LedgerView = Type.Object({
  data: Type.Array(
    Type.Object({
      at: Type.String({ description: 'ISO 8601' }),
      kind: Type.Union([Type.Literal('authorization'), Type.Literal('capture'), Type.Literal('void'), Type.Literal('refund')]),
      payment_intent: Type.String(),
      amount: Type.Integer(),
      currency: Type.String(),
      order_id: Type.String(),
    }),
  ),
});
