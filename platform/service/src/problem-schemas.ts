import { type TSchema, Type } from 'typebox';

/** RFC 9457 problem details, as the platform renders every error (for route response schemas). */
export const ProblemSchema = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    code: Type.String({ description: 'Stable, machine-readable reason, e.g. order_not_found' }),
    detail: Type.Optional(Type.String()),
    instance: Type.Optional(Type.String()),
    requestId: Type.Optional(Type.String()),
    traceId: Type.Optional(Type.String()),
    errors: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  },
  { additionalProperties: true, description: 'application/problem+json' },
);

/** Response schemas of the problems a route may answer (as application/problem+json), described by their codes. */
export function problems(
  described: Record<number, string>,
): Record<number, { description: string; content: Record<string, { schema: TSchema }> }> {
  return Object.fromEntries(
    Object.entries(described).map(([status, description]) => [
      status,
      { description, content: { 'application/problem+json': { schema: ProblemSchema } } },
    ]),
  );
}
