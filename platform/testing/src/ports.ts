import net from 'node:net';

/** A TCP port free at the time of asking (bound to port 0, then released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** A base port with the `size` ports from it free (the system's parts sit at fixed offsets from a base). */
export async function freePortBlock(size = 32): Promise<number> {
  const free = (port: number) =>
    new Promise<boolean>((resolve) => {
      const s = net.createServer();
      s.once('error', () => resolve(false));
      s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
    });
  // Below Linux's ephemeral range (32768–60999): a port chosen there may be taken, before a child
  // listens on it, by the local end of any outgoing connection (EADDRINUSE under load).
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * (32_768 - 20_000 - size));
    let ok = true;
    for (let p = base; p < base + size && ok; p++) ok = await free(p);
    if (ok) return base;
  }
  throw new Error(`no block of ${size} free ports`);
}
