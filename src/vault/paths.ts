import { homedir } from 'node:os';
import { join } from 'node:path';

/** The product name: Electron derives the per-user data folder from it. */
export const PRODUCT_NAME = 'Break Glass Vault';

/**
 * The vault folder the desktop app and the CLI share by default: Electron's userData folder for
 * this product, plus "vault". BREAKGLASS_HOME overrides it.
 */
export function defaultVaultDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  if (env['BREAKGLASS_HOME']) return env['BREAKGLASS_HOME'];
  const home = homedir();
  const base =
    platform === 'darwin'
      ? join(home, 'Library', 'Application Support')
      : platform === 'win32'
        ? (env['APPDATA'] ?? join(home, 'AppData', 'Roaming'))
        : (env['XDG_CONFIG_HOME'] ?? join(home, '.config'));
  return join(base, PRODUCT_NAME, 'vault');
}
