/** The provider's own pages: plain HTML forms, no script, every value escaped. */

const html = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);

const page = (title: string, body: string) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${html(title)} · Emporium</title></head>
<body><main><h1>${html(title)}</h1>
${body}
</main></body></html>`;

export function loginPage(action: string, clientName: string, input: { email?: string; error?: string } = {}): string {
  return page(
    'Sign in',
    `<p>to continue to ${html(clientName)}</p>
${input.error ? `<p role="alert">${html(input.error)}</p>` : ''}
<form method="post" action="${html(action)}">
<label>E-mail <input type="email" name="email" autocomplete="username" required value="${html(input.email ?? '')}"></label>
<label>Password <input type="password" name="password" autocomplete="current-password" required></label>
<button type="submit">Sign in</button>
</form>`,
  );
}

export function consentPage(action: string, abort: string, clientName: string, asks: string[]): string {
  return page(
    'Allow access?',
    `<p>${html(clientName)} asks for:</p>
<ul>${asks.map((a) => `<li>${html(a)}</li>`).join('')}</ul>
<form method="post" action="${html(action)}"><button type="submit">Allow</button></form>
<form method="post" action="${html(abort)}"><button type="submit">Deny</button></form>`,
  );
}

/** Headers of every page: not cached, not framed (clickjacking), no script or foreign form targets. */
export const PAGE_HEADERS = {
  'cache-control': 'no-store',
  'content-type': 'text/html; charset=utf-8',
  'content-security-policy': "default-src 'none'; style-src 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
};
