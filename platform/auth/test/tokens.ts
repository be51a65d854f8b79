import { createHmac, createPublicKey } from 'node:crypto';
import type { TestKey } from '@emporium/auth';

/** Hand-made tokens that no honest library would sign: the attacks the verifier must refuse. */
const b64url = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

export function unsignedToken(header: Record<string, unknown>, payload: Record<string, unknown>): string {
  return `${b64url(header)}.${b64url(payload)}.`;
}

/** HS256 keyed with the issuer's public key as PEM: the classic algorithm-confusion attack. */
export function hmacWithPublicKey(key: TestKey, header: Record<string, unknown>, payload: Record<string, unknown>): string {
  const pem = createPublicKey({ key: key.publicJwk as Record<string, string>, format: 'jwk' }).export({ type: 'spki', format: 'pem' });
  const input = `${b64url(header)}.${b64url(payload)}`;
  return `${input}.${createHmac('sha256', pem).update(input).digest('base64url')}`;
}

export function payloadOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8'));
}

/** The same token with another payload and the original signature. */
export function withPayload(token: string, payload: Record<string, unknown>): string {
  const [header, , signature] = token.split('.');
  return `${header}.${b64url(payload)}.${signature}`;
}

export function withHeader(token: string, header: Record<string, unknown>): string {
  const [, payload, signature] = token.split('.');
  return `${b64url(header)}.${payload}.${signature}`;
}

export function headerOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString('utf8'));
}
