import { type ConfigOf, defineConfig, int } from '@emporium/config';
import { httpConfig } from '@emporium/service';

/** The SMTP sink's settings: its HTTP port (PORT, default 4025) and its SMTP port. */
export const smtpSinkConfig = defineConfig({
  ...httpConfig(4025),
  SMTP_SINK_SMTP_PORT: int({
    default: 2525,
    min: 0,
    max: 65535,
    description: 'TCP port of the SMTP side (0 picks a free one); it binds HOST',
  }),
  SMTP_SINK_MAX_MESSAGE_BYTES: int({
    default: 10_485_760,
    min: 1_024,
    max: 104_857_600,
    description: 'Largest message accepted (larger → 552)',
  }),
});

export type SmtpSinkConfig = typeof smtpSinkConfig;
export type SmtpSinkSettings = ConfigOf<SmtpSinkConfig>;
