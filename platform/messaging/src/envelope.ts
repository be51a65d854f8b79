import { randomUUID } from 'node:crypto';
import { type Static, type TSchema, Type } from 'typebox';
import { Compile } from 'typebox/compile';

/**
 * One envelope for every message (DESIGN.md, Communication). The routing key on the wire is
 * `type`, which carries its schema version as a suffix (`catalog.product.created.v1`).
 */
export const EnvelopeSchema = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    type: Type.String({ pattern: '^[a-z][a-z0-9_]*(\\.[a-z][a-z0-9_]*)+\\.v[0-9]+$' }),
    source: Type.String({ minLength: 1 }),
    time: Type.String({ minLength: 20 }),
    subject: Type.Optional(Type.String()),
    schemaVersion: Type.Integer({ minimum: 1 }),
    // W3C Trace Context of the code that created the message (absent without tracing, and in
    // messages written before it existed): `version-traceid-parentid-flags`, lower-case hex.
    traceparent: Type.Optional(Type.String({ pattern: '^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}(-[0-9a-f][-0-9a-f]*)?$' })),
    tracestate: Type.Optional(Type.String({ maxLength: 512 })),
    data: Type.Unknown(),
  },
  { additionalProperties: false },
);

export type Envelope<T = unknown> = Omit<Static<typeof EnvelopeSchema>, 'data'> & { data: T };

/** A message type: its name (with version) and the schema of its `data`. */
export interface MessageDefinition<S extends TSchema = TSchema> {
  type: string;
  schemaVersion: number;
  schema: S;
}

export function defineMessage<S extends TSchema>(type: string, schema: S): MessageDefinition<S> {
  const m = /\.v(\d+)$/.exec(type);
  if (!m) throw new Error(`message type ${type} must end with .v<version>`);
  return { type, schemaVersion: Number(m[1]), schema };
}

export type DataOf<M> = M extends MessageDefinition<infer S> ? Static<S> : never;

export class InvalidMessageError extends Error {
  constructor(
    readonly messageType: string,
    readonly problems: string[],
  ) {
    super(`invalid ${messageType} message: ${problems.slice(0, 3).join('; ')}`);
    this.name = 'InvalidMessageError';
  }
}

const envelopeCheck = Compile(EnvelopeSchema);

/**
 * The schemas a service knows. Publishing validates against it; consuming validates the
 * envelope and, for a known type, the data. An invalid message is a poison message.
 */
export class MessageRegistry {
  private readonly checks = new Map<string, { def: MessageDefinition; check: ReturnType<typeof Compile> }>();

  constructor(definitions: MessageDefinition[] = []) {
    for (const d of definitions) this.add(d);
  }

  add(def: MessageDefinition): this {
    this.checks.set(def.type, { def, check: Compile(def.schema) });
    return this;
  }

  has(type: string): boolean {
    return this.checks.has(type);
  }

  /** Throws InvalidMessageError unless the envelope and its data are valid. */
  validate(envelope: unknown): asserts envelope is Envelope {
    if (!envelopeCheck.Check(envelope)) {
      const type = (envelope as { type?: unknown } | null)?.type;
      throw new InvalidMessageError(typeof type === 'string' ? type : 'unknown', errorsOf(envelopeCheck, envelope));
    }
    const entry = this.checks.get(envelope.type);
    if (!entry) throw new InvalidMessageError(envelope.type, ['unknown message type']);
    if (entry.def.schemaVersion !== envelope.schemaVersion) {
      throw new InvalidMessageError(envelope.type, [`schemaVersion ${envelope.schemaVersion} ≠ ${entry.def.schemaVersion}`]);
    }
    if (!entry.check.Check(envelope.data)) throw new InvalidMessageError(envelope.type, errorsOf(entry.check, envelope.data));
  }
}

function errorsOf(check: ReturnType<typeof Compile>, value: unknown): string[] {
  return [...check.Errors(value)].slice(0, 5).map((e) => `${e.instancePath || '/'} ${e.message}`);
}

/** Builds a new envelope with a fresh id and the current time. */
export function createEnvelope<M extends MessageDefinition>(
  def: M,
  data: DataOf<M>,
  meta: { source: string; subject?: string; id?: string; time?: Date; traceparent?: string; tracestate?: string },
): Envelope<DataOf<M>> {
  const envelope: Envelope<DataOf<M>> = {
    id: meta.id ?? randomUUID(),
    type: def.type,
    source: meta.source,
    time: (meta.time ?? new Date()).toISOString(),
    schemaVersion: def.schemaVersion,
    data,
  };
  if (meta.subject !== undefined) envelope.subject = meta.subject;
  if (meta.traceparent !== undefined) envelope.traceparent = meta.traceparent;
  if (meta.tracestate !== undefined) envelope.tracestate = meta.tracestate;
  return envelope;
}
