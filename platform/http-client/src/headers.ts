/**
 * Hop-by-hop headers (RFC 9110 §7.6.1) describe one connection, not the message: a proxy or
 * client never forwards them. Headers named in `Connection` are hop-by-hop as well.
 */
export const HOP_BY_HOP_HEADERS: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

export type HeaderValue = string | number | readonly string[] | undefined;
export type HeaderInput = Record<string, HeaderValue> | Headers;

/** The lower-cased names that must not pass this hop: the fixed list plus those listed in `Connection`. */
export function hopByHopNames(connection: string | null | undefined): Set<string> {
  const names = new Set(HOP_BY_HOP_HEADERS);
  for (const token of (connection ?? '').split(',')) {
    const name = token.trim().toLowerCase();
    if (name) names.add(name);
  }
  return names;
}

function entriesOf(input: HeaderInput | undefined): [string, string][] {
  if (!input) return [];
  if (input instanceof Headers) return [...input.entries()];
  const out: [string, string][] = [];
  for (const [name, value] of Object.entries(input)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) out.push([name, v]);
    else out.push([name, String(value)]);
  }
  return out;
}

/**
 * The headers of an outgoing request. Hop-by-hop headers are dropped, and so are `host` and
 * `content-length`, which the client derives from the URL and the body it actually sends, and
 * `expect` (no 100-continue between our services).
 */
export function outgoingHeaders(input: HeaderInput | undefined): Headers {
  const entries = entriesOf(input);
  const connection = entries
    .filter(([name]) => name.toLowerCase() === 'connection')
    .map(([, value]) => value)
    .join(',');
  const dropped = hopByHopNames(connection);
  dropped.add('host');
  dropped.add('content-length');
  dropped.add('expect');
  const headers = new Headers();
  for (const [name, value] of entries) {
    if (!dropped.has(name.toLowerCase())) headers.append(name, value);
  }
  return headers;
}

/** Response headers as node:http and undici give them: lower-case names, repeated ones as arrays. */
export type ReceivedHeaders = Record<string, string | string[] | undefined>;

/**
 * The headers of a received response, fit to hand on: hop-by-hop headers dropped, and
 * `content-length`, which whoever sends the body on sets again. The body is passed as it came
 * (not decoded), so `content-encoding` still describes it and stays.
 */
export function incomingHeaders(received: ReceivedHeaders): Headers {
  const connection = received.connection;
  const dropped = hopByHopNames(Array.isArray(connection) ? connection.join(',') : connection);
  dropped.add('content-length');
  const headers = new Headers();
  for (const [name, value] of Object.entries(received)) {
    if (value === undefined || dropped.has(name)) continue;
    if (Array.isArray(value)) for (const v of value) headers.append(name, v);
    else headers.append(name, value);
  }
  return headers;
}
