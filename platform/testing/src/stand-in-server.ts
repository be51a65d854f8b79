import http, { type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A request as the stand-in received it. */
export interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** How the stand-in answers one request; `hang` never answers (until the server closes). */
export type Answer = { status: number; headers?: Record<string, string | string[]>; body?: string } | 'hang';

export interface StandIn {
  url: string;
  port: number;
  seen: Seen[];
  /** Answers the next requests with these, in order; the last one repeats. */
  answer(...answers: Answer[]): void;
  /** Stops listening and drops every connection (hanging requests included). */
  close(): Promise<void>;
  /** Listens again on the same port. */
  reopen(): Promise<void>;
}

/** A callee across the network: a real HTTP server on a free port that answers as the test scripts it. */
export async function startStandIn(): Promise<StandIn> {
  const seen: Seen[] = [];
  let script: Answer[] = [{ status: 200, headers: { 'content-type': 'application/json' }, body: '{"ok":true}' }];
  const hanging = new Set<ServerResponse>();
  let server: http.Server;
  let port = 0;

  const listen = () =>
    new Promise<void>((resolve, reject) => {
      server = http.createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
          const next = (script.length > 1 ? script.shift() : script[0]) as Answer;
          if (next === 'hang') {
            hanging.add(res);
            return;
          }
          res.writeHead(next.status, next.headers ?? {});
          res.end(next.body ?? '');
        });
      });
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        port = (server.address() as AddressInfo).port;
        resolve();
      });
    });
  await listen();

  return {
    get url() {
      return `http://127.0.0.1:${port}`;
    },
    get port() {
      return port;
    },
    seen,
    answer: (...answers) => {
      script = answers;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of hanging) res.destroy();
        hanging.clear();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
    reopen: listen,
  };
}
