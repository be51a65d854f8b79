import http from 'node:http';

export interface Answer {
  status: number;
  text: string;
  etag: string | undefined;
}

/**
 * A bare HTTP/1.1 client over keep-alive connections. The bench shares the system's two cores,
 * so its own requests should cost as little as they can: node:http takes about half the CPU of
 * the global fetch per request here (no WHATWG streams, no AbortSignal per call).
 */
export class Client {
  private readonly agent: http.Agent;

  constructor(
    private readonly base: string,
    connections: number,
  ) {
    this.agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  }

  request(method: string, path: string, headers: Record<string, string>, body?: string, timeoutMs = 30_000): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const req = http.request(
        `${this.base}${path}`,
        {
          method,
          agent: this.agent,
          headers: body === undefined ? headers : { ...headers, 'content-length': String(Buffer.byteLength(body)) },
          timeout: timeoutMs,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8'), etag: res.headers.etag }),
          );
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(Object.assign(new Error('no answer in time'), { name: 'TimeoutError' })));
      req.on('error', reject);
      req.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
