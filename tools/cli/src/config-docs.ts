import { configTable } from '@emporium/config';
import { SERVICES } from './services.js';

/** The configuration reference of every service, generated from the config schemas. */
export function configReference(): string {
  return SERVICES.map((s) => `### ${s.module.name}\n\n${configTable(s.module.configSchema)}\n`).join('\n');
}
