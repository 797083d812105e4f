import { BreakGlassError } from '../core/errors.js';
import type { SecretStore } from './port.js';

type Keytar = typeof import('keytar');

const HOW_TO_START =
  'On a desktop, log in to a session running GNOME Keyring or KWallet. ' +
  'Headless: start one with `dbus-run-session -- bash`, then inside it run ' +
  `\`printf '%s' "$PW" | gnome-keyring-daemon --unlock --components=secrets\`; ` +
  'or use `--keystore file:PATH` for a passphrase-protected file instead.';

// libsecret / GDBus messages seen when there is no session bus or no Secret Service on it, e.g.
// "Cannot autolaunch D-Bus without X11 $DISPLAY" (no bus address, no display),
// "Could not connect: No such file or directory" (bus address points nowhere),
// "The name org.freedesktop.secrets was not provided by any .service files" (bus, no keyring).
const NO_SERVICE_PATTERNS = [
  /autolaunch/i,
  /D-?Bus/i,
  /org\.freedesktop\.secrets/i,
  /Could not connect/i,
  /No such interface/i,
  /dbus-launch/i,
  /Timeout was reached/i,
];

// A Secret Service is running but its default collection is locked or was never created, e.g.
// "Cannot create an item in a locked collection" or
// "Object does not exist at path “/org/freedesktop/secrets/collection/login”".
const LOCKED_PATTERNS = [/locked collection/i, /collection\/login/i, /Object does not exist/i];

// The native binding could not be loaded (libsecret missing, or built for another Node ABI).
const LOAD_PATTERNS = [/libsecret/i, /cannot open shared object/i, /keytar\.node/i, /NODE_MODULE_VERSION/i];

/**
 * Maps a failure from keytar to a KEYCHAIN_UNAVAILABLE error whose message says how to get a
 * working keychain. Pure; keeps `err` as the cause; never includes stored values.
 */
export function keychainErrorFrom(err: unknown): BreakGlassError {
  if (err instanceof BreakGlassError) return err;
  const raw = err instanceof Error ? err.message : String(err);
  const matches = (patterns: RegExp[]): boolean => patterns.some((p) => p.test(raw));
  if (matches(LOAD_PATTERNS)) {
    return new BreakGlassError(
      'KEYCHAIN_UNAVAILABLE',
      'the OS keychain module could not be loaded (is libsecret-1 installed?). ' + 'Use `--keystore file:PATH` on machines without it.',
      { reason: 'module-load-failed' },
      { cause: err },
    );
  }
  if (matches(LOCKED_PATTERNS)) {
    return new BreakGlassError(
      'KEYCHAIN_UNAVAILABLE',
      'the OS keychain is locked or has no default collection. ' + HOW_TO_START,
      { reason: 'locked' },
      { cause: err },
    );
  }
  if (matches(NO_SERVICE_PATTERNS)) {
    return new BreakGlassError(
      'KEYCHAIN_UNAVAILABLE',
      'no Secret Service (OS keychain) is reachable. ' + HOW_TO_START,
      { reason: 'no-secret-service' },
      { cause: err },
    );
  }
  return new BreakGlassError(
    'KEYCHAIN_UNAVAILABLE',
    // keytar's own messages name the failing D-Bus call, never a stored value.
    `the OS keychain failed: ${raw.slice(0, 200)}`,
    { reason: 'unexpected' },
    { cause: err },
  );
}

let keytarLoading: Promise<Keytar> | undefined;

/** Loads keytar on first use, so that importing this module does nothing. */
async function loadKeytar(): Promise<Keytar> {
  keytarLoading ??= import('keytar').then(
    (mod) => mod.default,
    (err: unknown) => {
      keytarLoading = undefined;
      throw err;
    },
  );
  return keytarLoading;
}

/**
 * A SecretStore in the OS keychain (Secret Service on Linux, Keychain on macOS, Credential Manager
 * on Windows) under the service name `break-glass-vault/<namespace>`. Every keychain failure
 * surfaces as KEYCHAIN_UNAVAILABLE.
 */
export class KeytarSecretStore implements SecretStore {
  readonly description = 'os-keychain';
  readonly #service: string;

  constructor(namespace: string) {
    if (namespace.length === 0) {
      throw new BreakGlassError('BAD_ARGUMENTS', 'the keychain namespace must not be empty');
    }
    this.#service = `break-glass-vault/${namespace}`;
  }

  async get(account: string): Promise<string | null> {
    checkAccount(account);
    return this.#call((k) => k.getPassword(this.#service, account));
  }

  async set(account: string, value: string): Promise<void> {
    checkAccount(account);
    // keytar refuses empty passwords; say so with a code instead of its bare Error.
    if (value.length === 0) {
      throw new BreakGlassError('BAD_ARGUMENTS', `cannot store an empty value for "${account}"`);
    }
    await this.#call((k) => k.setPassword(this.#service, account, value));
  }

  async delete(account: string): Promise<boolean> {
    checkAccount(account);
    return this.#call((k) => k.deletePassword(this.#service, account));
  }

  async list(): Promise<string[]> {
    // The Secret Service enumerates and then reads each item: an item deleted in between (by a
    // concurrent erase) fails the whole call with "No such secret item". Enumerate again.
    for (let attempt = 1; ; attempt++) {
      try {
        const found = await (await loadKeytar()).findCredentials(this.#service);
        return found.map((c) => c.account);
      } catch (err) {
        if (attempt < 10 && /No such secret item/i.test(String((err as Error)?.message))) continue;
        throw keychainErrorFrom(err);
      }
    }
  }

  async #call<T>(op: (keytar: Keytar) => Promise<T>): Promise<T> {
    try {
      return await op(await loadKeytar());
    } catch (err) {
      throw keychainErrorFrom(err);
    }
  }
}

function checkAccount(account: string): void {
  if (account.length === 0) {
    throw new BreakGlassError('BAD_ARGUMENTS', 'the keychain account name must not be empty');
  }
}
