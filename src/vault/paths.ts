import { statSync, type Stats } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { BreakGlassError } from '../core/errors.js';

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

/** The longest vault folder path accepted: well inside every platform's limit, with room for the files inside. */
export const MAX_VAULT_PATH = 1024;

/**
 * Refuses (BAD_INPUT, naming the path) a vault folder that cannot be meant: empty, with leading or
 * trailing whitespace (a `--vault ' '` would otherwise make a folder named by the space), with a
 * control character, too long, or an existing path that is not a folder. Nothing is created before
 * this check, so a refused path leaves no trace anywhere.
 */
export function checkVaultDir(dir: string): string {
  const shown = JSON.stringify(dir.length > 80 ? `${dir.slice(0, 80)}…` : dir);
  const refuse = (why: string): never => {
    throw new BreakGlassError('BAD_INPUT', `the vault folder ${shown} ${why}`, { path: 'vault' });
  };
  if (dir === '') refuse('is empty');
  if (dir.trim() !== dir) refuse('starts or ends with whitespace; give the folder without it');
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(dir)) refuse('holds a control character');
  if (dir.length > MAX_VAULT_PATH) refuse(`is longer than ${MAX_VAULT_PATH} characters (${dir.length})`);
  let stat: Stats | undefined;
  try {
    stat = statSync(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT') refuse(`cannot be read (${code ?? 'error'})`);
  }
  if (stat && !stat.isDirectory()) refuse('exists and is not a folder');
  return resolve(dir);
}
