import type { ServiceApp } from '@emporium/service';
import type { Webhook } from 'standardwebhooks';
import type { PaymentsDeps } from '../../domain/deps.js';
import { handleProviderWebhook } from '../../domain/handle-webhook.js';
import { problems, WebhookAck } from './schemas.js';

/**
 * `POST /api/payments/webhooks/provider`: the provider's events. The signature covers the exact
 * bytes sent, so this route keeps the raw body: in its own plugin scope, every content type is
 * read as a Buffer (the JSON parser of the rest of the app would re-serialise differently).
 */
export async function webhookRoutes(app: ServiceApp, deps: PaymentsDeps, verifier: Webhook): Promise<void> {
  await app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
    scope.post(
      '/api/payments/webhooks/provider',
      {
        schema: {
          tags: ['webhooks'],
          summary: 'Events of the payment provider (Standard Webhooks signatures)',
          description:
            'Signed with `webhook-id`, `webhook-timestamp` and `webhook-signature` over the raw body; a bad signature or a timestamp more ' +
            'than 5 minutes away → 400 `invalid_signature` and no effect. Deduplicated by event id; the intent is then read again from ' +
            'the provider (events are hints) unless our records already show what the event reports. 503 when the provider cannot be ' +
            'read: the provider delivers the event again.',
          response: {
            200: WebhookAck,
            ...problems({ 400: 'invalid_signature, malformed_event', 503: 'provider_unavailable' }),
          },
        },
      },
      async (request) => {
        const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
        const result = await handleProviderWebhook(deps, verifier, raw, request.headers);
        return { received: true, result };
      },
    );
  });
}
