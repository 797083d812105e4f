import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { BreakGlassError, isBreakGlassError } from '../core/errors.js';
import { FileSecretStore } from './file-store.js';
import { KeytarSecretStore } from './keytar-store.js';
import type { SecretStore } from './port.js';

export type { SecretStore } from './port.js';
export { KeytarSecretStore, keychainErrorFrom } from './keytar-store.js';
export { FileSecretStore, type FileSecretStoreOptions } from './file-store.js';

/**
 * Opens the store named by `--keystore`: `os` (the default) is the OS keychain; `file:PATH` is a
 * passphrase-protected file, whose passphrase is asked for exactly once, here.
 */
export async function openSecretStore(
  spec: string | undefined,
  namespace: string,
  readPassphrase: () => Promise<string>,
): Promise<SecretStore> {
  if (spec === undefined || spec === 'os') return new KeytarSecretStore(namespace);
  if (spec.startsWith('file:') && spec.length > 'file:'.length) {
    const path = resolve(spec.slice('file:'.length));
    return new FileSecretStore({ path, passphrase: await readPassphrase(), namespace });
  }
  throw new BreakGlassError('BAD_ARGUMENTS', '--keystore must be "os" or "file:PATH"', { spec });
}

/**
 * Proves that `store` works by storing, reading back and deleting a throwaway probe account.
 * Errors the store already coded (KEYCHAIN_UNAVAILABLE, WRONG_PASSPHRASE, ...) pass through;
 * anything else, including a value that does not read back, becomes KEYCHAIN_UNAVAILABLE.
 */
export async function probeSecretStore(store: SecretStore): Promise<void> {
  const account = `breakglass-probe-${randomBytes(8).toString('hex')}`;
  const value = randomBytes(16).toString('hex');
  let readBack: string | null;
  try {
    await store.set(account, value);
    try {
      readBack = await store.get(account);
    } finally {
      await store.delete(account);
    }
  } catch (err) {
    if (isBreakGlassError(err)) throw err;
    throw new BreakGlassError(
      'KEYCHAIN_UNAVAILABLE',
      `${store.description} failed a store/read/delete probe`,
      { store: store.description },
      { cause: err },
    );
  }
  if (readBack !== value) {
    throw new BreakGlassError('KEYCHAIN_UNAVAILABLE', `${store.description} did not return the value just stored (is it locked?)`, {
      store: store.description,
    });
  }
}
