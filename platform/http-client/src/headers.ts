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
 * `content-length`, which fetch derives from the URL and the body it actually sends.
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
  const headers = new Headers();
  for (const [name, value] of entries) {
    if (!dropped.has(name.toLowerCase())) headers.append(name, value);
  }
  return headers;
}

/**
 * The headers of a received response, fit to hand on. fetch has already decoded the body, so the
 * upstream's `content-encoding` and `content-length` no longer describe it and are dropped too.
 */
export function incomingHeaders(received: Headers): Headers {
  const dropped = hopByHopNames(received.get('connection'));
  dropped.add('content-encoding');
  dropped.add('content-length');
  const headers = new Headers();
  for (const [name, value] of received.entries()) {
    if (name === 'set-cookie' || dropped.has(name)) continue;
    headers.append(name, value);
  }
  for (const cookie of received.getSetCookie()) headers.append('set-cookie', cookie);
  return headers;
}
