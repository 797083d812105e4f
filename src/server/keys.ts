/** The server's Ed25519 signing key, in its data folder with mode 0600, created on first start. */
import { randomBytes } from 'node:crypto';
import { chmodSync, linkSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BreakGlassError } from '../core/errors.js';
import { generateSigningKeyPair, isValidPublicKey, type SigningKeyPair } from '../crypto/index.js';

/** The key file's name inside the data folder. */
export const SERVER_KEY_FILE = 'server-key.json';

/**
 * Loads the server key from `dir`, creating it if absent. Creation is exclusive, so two processes
 * starting at once on one folder end up with the one key that won.
 */
export function loadOrCreateServerKey(dir: string): SigningKeyPair {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, SERVER_KEY_FILE);
  // Written whole under a private name, then linked into place: link refuses an existing name, so a
  // process that loses the race never reads a half-written key.
  const tmp = join(dir, `.${SERVER_KEY_FILE}.${randomBytes(6).toString('hex')}`);
  writeFileSync(tmp, `${JSON.stringify(generateSigningKeyPair())}\n`, { mode: 0o600, flag: 'wx' });
  try {
    linkSync(tmp, path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    rmSync(tmp, { force: true });
  }
  const mode = statSync(path).mode & 0o777;
  if (mode & 0o077) {
    throw new BreakGlassError('BAD_INPUT', `${path} is readable by others (mode ${mode.toString(8)}); chmod 600 it`);
  }
  let key: SigningKeyPair;
  try {
    key = JSON.parse(readFileSync(path, 'utf8')) as SigningKeyPair;
  } catch (err) {
    throw new BreakGlassError('BAD_INPUT', `${path} is not a server key file`, {}, { cause: err });
  }
  if (!isValidPublicKey(key.publicKey, 'Ed25519') || typeof key.privateKey !== 'string') {
    throw new BreakGlassError('BAD_INPUT', `${path} is not a server key file`);
  }
  chmodSync(path, 0o600);
  return key;
}
