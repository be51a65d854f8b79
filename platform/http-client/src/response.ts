/** A complete answer from the callee: the body is read within the attempt's timeout. */
export interface HttpResponse {
  status: number;
  /** Without hop-by-hop headers and content-length; the body is as it came (content-encoding stays). */
  headers: Headers;
  body: Buffer;
  text(): string;
  /** The body parsed as JSON; throws on a body that is not JSON. */
  json<T = unknown>(): T;
}

export function httpResponse(status: number, headers: Headers, body: Buffer): HttpResponse {
  return {
    status,
    headers,
    body,
    text: () => body.toString('utf8'),
    json: <T>() => JSON.parse(body.toString('utf8')) as T,
  };
}
