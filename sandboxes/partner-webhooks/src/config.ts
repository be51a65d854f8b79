import { type ConfigOf, defineConfig, type Field } from '@emporium/config';
import { httpConfig } from '@emporium/service';
import { parsePartnerSecrets } from './secrets.js';

const partnerSecrets: Field<Record<string, string>> = {
  kind: 'partner-secrets',
  description:
    'Signing secret per partner: a JSON object {"acme":"whsec_…"} or a list acme=whsec_…,beta=whsec_… (more can be registered with PUT /partners/:partner)',
  secret: true,
  optional: true,
  parse: parsePartnerSecrets,
  describeType: () => 'JSON object or partner=secret list',
};

/** The partner webhook receiver's settings (PORT default 4030). */
export const partnerWebhooksConfig = defineConfig({
  ...httpConfig(4030),
  PARTNER_WEBHOOK_SECRETS: partnerSecrets,
});

export type PartnerWebhooksConfig = typeof partnerWebhooksConfig;
export type PartnerWebhooksSettings = ConfigOf<PartnerWebhooksConfig>;
