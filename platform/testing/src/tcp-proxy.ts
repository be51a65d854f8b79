import net from 'node:net';

export interface TcpProxy {
  /** The local port to connect to instead of the target's. */
  readonly port: number;
  /** Connections open through the proxy right now. */
  readonly openConnections: number;
  /** Resets every open connection, both ways, as a failed network link would. */
  cut(): void;
  /** Refuses new connections (reset on accept) until resume(); open ones are left alone. */
  pause(): void;
  resume(): void;
  /** Cuts every connection and stops listening. */
  close(): Promise<void>;
}

/**
 * A TCP proxy on 127.0.0.1 (port 0) in front of `target`, so a test can cut a client's link to a
 * server without touching the server (shared by everything on the machine).
 */
export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const pairs = new Set<{ client: net.Socket; upstream: net.Socket }>();
  let paused = false;

  const server = net.createServer((client) => {
    if (paused) {
      client.resetAndDestroy();
      return;
    }
    const upstream = net.connect({ host: target.host, port: target.port });
    const pair = { client, upstream };
    pairs.add(pair);
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    // Either side failing or closing takes the other down: a half-open pair would hide a cut.
    const teardown = () => {
      if (!pairs.delete(pair)) return;
      client.destroy();
      upstream.destroy();
    };
    client.on('error', teardown);
    upstream.on('error', teardown);
    client.on('close', teardown);
    upstream.on('close', teardown);
    client.pipe(upstream);
    upstream.pipe(client);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as net.AddressInfo;

  const cut = () => {
    for (const pair of [...pairs]) {
      pairs.delete(pair);
      // RST rather than FIN: the peers see ECONNRESET, like a link that failed, not a clean close.
      pair.client.resetAndDestroy();
      pair.upstream.resetAndDestroy();
    }
  };

  return {
    port,
    get openConnections() {
      return pairs.size;
    },
    cut,
    pause: () => {
      paused = true;
    },
    resume: () => {
      paused = false;
    },
    close: async () => {
      cut();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
