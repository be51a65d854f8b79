import net from 'node:net';

/**
 * A minimal SMTP client speaking the protocol line by line, so the tests see exactly what the
 * sink answers (or that it does not answer) after the message.
 */
export interface SmtpResult {
  /** The reply to the end of DATA, or how the wait for it ended. */
  final: { code: number; text: string } | 'closed' | 'no_reply';
}

export async function sendRaw(
  port: number,
  mail: { from: string; to: string[]; headers: Record<string, string>; text: string },
  options: { finalReplyTimeoutMs?: number; auth?: { user: string; pass: string } } = {},
): Promise<SmtpResult> {
  const socket = net.connect(port, '127.0.0.1');
  socket.setEncoding('utf8');
  let buffer = '';
  let closed = false;
  const waiting: ((line: string | null) => void)[] = [];
  const lines: string[] = [];
  const flush = () => {
    while (lines.length && waiting.length) waiting.shift()!(lines.shift()!);
    if (closed) while (waiting.length) waiting.shift()!(null);
  };
  socket.on('data', (chunk: string) => {
    buffer += chunk;
    let i = buffer.indexOf('\r\n');
    while (i >= 0) {
      const line = buffer.slice(0, i);
      buffer = buffer.slice(i + 2);
      // Multi-line replies (250-…) end with the line whose 4th character is a space.
      if (/^\d{3} /.test(line) || !/^\d{3}-/.test(line)) lines.push(line);
      i = buffer.indexOf('\r\n');
    }
    flush();
  });
  socket.on('close', () => {
    closed = true;
    flush();
  });
  socket.on('error', () => {});
  const reply = (timeoutMs = 5_000) =>
    new Promise<string | null>((resolve) => {
      const timer = setTimeout(() => {
        waiting.splice(waiting.indexOf(done), 1);
        resolve('timeout');
      }, timeoutMs);
      const done = (line: string | null) => {
        clearTimeout(timer);
        resolve(line);
      };
      waiting.push(done);
      flush();
    });
  const expect = async (code: string) => {
    const line = await reply();
    if (!line?.startsWith(code)) throw new Error(`expected ${code}, got ${line}`);
  };
  try {
    await expect('220');
    socket.write('EHLO test.local\r\n');
    await expect('250');
    if (options.auth) {
      socket.write(`AUTH PLAIN ${Buffer.from(`\0${options.auth.user}\0${options.auth.pass}`).toString('base64')}\r\n`);
      await expect('235');
    }
    socket.write(`MAIL FROM:<${mail.from}>\r\n`);
    await expect('250');
    for (const to of mail.to) {
      socket.write(`RCPT TO:<${to}>\r\n`);
      await expect('250');
    }
    socket.write('DATA\r\n');
    await expect('354');
    const head = Object.entries(mail.headers)
      .map(([k, v]) => `${k}: ${v}`)
      .join('\r\n');
    socket.write(`${head}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n${mail.text.replace(/\n/g, '\r\n')}\r\n.\r\n`);
    const final = await reply(options.finalReplyTimeoutMs ?? 5_000);
    if (final === null) return { final: 'closed' };
    if (final === 'timeout') return { final: 'no_reply' };
    socket.write('QUIT\r\n');
    return { final: { code: Number(final.slice(0, 3)), text: final.slice(4) } };
  } finally {
    socket.end();
    socket.destroy();
  }
}
