import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ROLES, type Role } from '@emporium/auth';
import { issuerOf, linksFor, newSecrets, type SystemSecrets } from './services.js';
import { systemTokens } from './tokens.js';

/**
 * The embedded mode keeps its secrets beside its data (`<data dir>/secrets.json`, readable by its
 * owner only), so a restart keeps identity's signing keys, the clients' secrets and everybody's
 * sessions. `--clean` removes them with the data. A development convenience of `npm start`
 * only: a deployment takes its secrets from its secret store (deploy/).
 */
export function embeddedSecrets(dataDir: string): SystemSecrets {
  const file = path.join(dataDir, 'secrets.json');
  if (existsSync(file)) {
    const stored = JSON.parse(readFileSync(file, 'utf8')) as Partial<SystemSecrets>;
    const fresh = newSecrets();
    // A data dir from an older version lacks newer secrets: add them, keep the rest.
    const merged = { ...fresh, ...stored, clientSecrets: { ...fresh.clientSecrets, ...stored.clientSecrets } } as SystemSecrets;
    if (Object.keys(stored).length !== Object.keys(merged).length) writeFileSync(file, JSON.stringify(merged), { mode: 0o600 });
    return merged;
  }
  mkdirSync(dataDir, { recursive: true });
  const secrets = newSecrets();
  writeFileSync(file, JSON.stringify(secrets), { mode: 0o600 });
  return secrets;
}

const USAGE = 'usage: emporium token customer <customer id> [service] | emporium token <support|merchandiser|admin> <service> [region]\n';

/**
 * `emporium token …`: an access token for the embedded system that `npm start` runs from this
 * data dir, signed with its issuer key — for trying the API with curl. Browsers sign in through
 * the gateway (`/auth/login`) instead.
 */
export async function tokenCommand(positionals: string[], dataDir: string, portBase: number): Promise<number> {
  const [who, a, b] = positionals;
  if (!existsSync(path.join(dataDir, 'secrets.json'))) {
    process.stderr.write(`no system secrets in ${dataDir}: start the system with npm start first\n`);
    return 2;
  }
  const secrets = embeddedSecrets(dataDir);
  const tokens = systemTokens({ issuer: issuerOf(linksFor(portBase, secrets)), jwks: secrets.oidcJwks, lifetimeSec: 3_600 });
  let header: { authorization: string };
  if (who === 'customer' && a) header = await tokens.customer(b ?? 'orders', a);
  else if (who && (ROLES as readonly string[]).includes(who) && who !== 'customer' && a)
    header = await tokens.staff(a, [who as Role], { sub: `usr_dev_${who}`, ...(b ? { region: b } : {}) });
  else {
    process.stderr.write(USAGE);
    return 64;
  }
  process.stdout.write(`${header.authorization.slice('Bearer '.length)}\n`);
  return 0;
}
