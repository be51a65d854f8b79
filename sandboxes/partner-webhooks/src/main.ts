// The partner webhook receiver on its own: PORT (default 4030), PARTNER_WEBHOOK_SECRETS.
import { runMain } from '@emporium/service';
import { partnerWebhooksModule } from './index.js';

await runMain(partnerWebhooksModule);
