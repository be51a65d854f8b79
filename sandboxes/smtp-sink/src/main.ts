// The SMTP sink on its own: PORT (HTTP, default 4025) and SMTP_SINK_SMTP_PORT (default 2525).
import { runMain } from '@emporium/service';
import { smtpSinkModule } from './index.js';

await runMain(smtpSinkModule);
