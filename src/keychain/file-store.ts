import { createCipheriv, createDecipheriv, randomBytes, scrypt } from 'node:crypto';
import { open, readFile, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { z } from 'zod';
import { BreakGlassError } from '../core/errors.js';
import type { SecretStore } from './port.js';

const FORMAT = 'breakglass.keystore';
// Pinned, not read from the file: a planted file with weak parameters must not make us encrypt
// under a cheaply brute-forced key.
const SCRYPT_N = 131072;
const SCRYPT_R = 8;
const SCRYPT_P = 1;
const SCRYPT_MAXMEM = 256 * 1024 * 1024;
const SALT_BYTES = 16;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const CHECK_PLAINTEXT = 'breakglass.keystore passphrase check';
// Contains no newline, so it can never equal an entry's AAD `${namespace}\n${account}`.
const CHECK_AAD = 'breakglass.keystore/check';

/** Options for {@link FileSecretStore}. */
export interface FileSecretStoreOptions {
  /** The keystore file; created on the first `set` when missing (its directory must exist). */
  path: string;
  /** Protects every value; scrypt turns it into the AES-256-GCM key. */
  passphrase: string;
  /** Separates the accounts of one vault from another's in the same file. */
  namespace: string;
}

interface Sealed {
  iv: string;
  ct: string;
  tag: string;
}

interface Keystore {
  salt: string;
  check: Sealed;
  entries: Map<string, Map<string, Sealed>>;
}

const base64Of = (bytes?: number) =>
  z.base64().refine((s) => bytes === undefined || Buffer.from(s, 'base64').length === bytes, {
    message: `expected ${bytes} bytes`,
  });

const sealedSchema = z.strictObject({
  iv: base64Of(IV_BYTES),
  ct: base64Of(),
  tag: base64Of(TAG_BYTES),
});

// `entries` is checked by hand: zod's record drops a `__proto__` key, which is a legal account.
const fileSchema = z.strictObject({
  format: z.literal(FORMAT),
  version: z.literal(1),
  kdf: z.strictObject({
    name: z.literal('scrypt'),
    N: z.literal(SCRYPT_N),
    r: z.literal(SCRYPT_R),
    p: z.literal(SCRYPT_P),
    salt: base64Of(SALT_BYTES),
  }),
  check: sealedSchema,
  entries: z.unknown(),
});

/**
 * A SecretStore in one passphrase-protected JSON file, for headless machines without a Secret
 * Service; used only when chosen explicitly (`--keystore file:PATH`). Each value is sealed with
 * AES-256-GCM under a scrypt key, bound to its namespace and account. A wrong passphrase fails
 * with WRONG_PASSPHRASE before anything is written; every write replaces the file atomically.
 * Operations of one instance are serialised; concurrent writers in other processes are not.
 */
export class FileSecretStore implements SecretStore {
  readonly description: string;
  readonly #path: string;
  readonly #passphrase: string;
  readonly #namespace: string;
  #key: { salt: string; key: Promise<Buffer> } | undefined;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(options: FileSecretStoreOptions) {
    if (options.namespace.length === 0 || options.namespace.includes('\n')) {
      throw new BreakGlassError('BAD_ARGUMENTS', 'the keystore namespace must be one non-empty line');
    }
    if (options.passphrase.length === 0) {
      throw new BreakGlassError('BAD_ARGUMENTS', 'the keystore passphrase must not be empty');
    }
    this.#path = options.path;
    this.#passphrase = options.passphrase;
    this.#namespace = options.namespace;
    this.description = `file:${options.path}`;
  }

  async get(account: string): Promise<string | null> {
    checkAccount(account);
    return this.#exclusive(async () => {
      const store = await this.#read();
      if (store === null) return null;
      const key = await this.#unlock(store);
      const sealed = store.entries.get(this.#namespace)?.get(account);
      if (sealed === undefined) return null;
      const value = openSealed(key, sealed, this.#aad(account));
      if (value === null) {
        throw new BreakGlassError(
          'INTEGRITY_FAILURE',
          `keystore ${this.#path}: the entry for "${account}" fails authentication (the file was altered)`,
          { path: this.#path, account },
        );
      }
      return value;
    });
  }

  async set(account: string, value: string): Promise<void> {
    checkAccount(account);
    if (value.length === 0) {
      throw new BreakGlassError('BAD_ARGUMENTS', `cannot store an empty value for "${account}"`);
    }
    await this.#exclusive(async () => {
      let store = await this.#read();
      let key: Buffer;
      if (store === null) {
        const salt = randomBytes(SALT_BYTES).toString('base64');
        key = await this.#keyFor(salt);
        store = { salt, check: seal(key, CHECK_PLAINTEXT, CHECK_AAD), entries: new Map() };
      } else {
        key = await this.#unlock(store);
      }
      let accounts = store.entries.get(this.#namespace);
      if (accounts === undefined) {
        accounts = new Map();
        store.entries.set(this.#namespace, accounts);
      }
      accounts.set(account, seal(key, value, this.#aad(account)));
      await this.#write(store);
    });
  }

  async delete(account: string): Promise<boolean> {
    checkAccount(account);
    return this.#exclusive(async () => {
      const store = await this.#read();
      if (store === null) return false;
      await this.#unlock(store);
      const accounts = store.entries.get(this.#namespace);
      if (accounts?.delete(account) !== true) return false;
      if (accounts.size === 0) store.entries.delete(this.#namespace);
      await this.#write(store);
      return true;
    });
  }

  async list(): Promise<string[]> {
    return this.#exclusive(async () => {
      const store = await this.#read();
      if (store === null) return [];
      await this.#unlock(store);
      return [...(store.entries.get(this.#namespace)?.keys() ?? [])];
    });
  }

  #aad(account: string): string {
    return `${this.#namespace}\n${account}`;
  }

  #exclusive<T>(op: () => Promise<T>): Promise<T> {
    const result = this.#queue.then(op);
    this.#queue = result.catch(() => undefined);
    return result;
  }

  /** Derives the key once per instance (again only if the file's salt changed under us). */
  #keyFor(salt: string): Promise<Buffer> {
    if (this.#key?.salt !== salt) {
      const key = deriveKey(this.#passphrase, Buffer.from(salt, 'base64'));
      key.catch(() => {
        if (this.#key?.key === key) this.#key = undefined;
      });
      this.#key = { salt, key };
    }
    return this.#key.key;
  }

  async #unlock(store: Keystore): Promise<Buffer> {
    const key = await this.#keyFor(store.salt);
    if (openSealed(key, store.check, CHECK_AAD) !== CHECK_PLAINTEXT) {
      throw new BreakGlassError('WRONG_PASSPHRASE', `wrong passphrase for keystore ${this.#path}`, {
        path: this.#path,
      });
    }
    return key;
  }

  async #read(): Promise<Keystore | null> {
    let text: string;
    try {
      text = await readFile(this.#path, 'utf8');
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return null;
      throw ioError(`cannot read keystore ${this.#path}`, this.#path, err);
    }
    return parseKeystore(text, this.#path);
  }

  async #write(store: Keystore): Promise<void> {
    const file = {
      format: FORMAT,
      version: 1,
      kdf: { name: 'scrypt', N: SCRYPT_N, r: SCRYPT_R, p: SCRYPT_P, salt: store.salt },
      check: store.check,
      entries: Object.fromEntries([...store.entries].map(([namespace, accounts]) => [namespace, Object.fromEntries(accounts)])),
    };
    try {
      await writeFileAtomic(this.#path, `${JSON.stringify(file, null, 2)}\n`);
    } catch (err) {
      throw ioError(`cannot write keystore ${this.#path}`, this.#path, err);
    }
  }
}

function parseKeystore(text: string, path: string): Keystore {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new BreakGlassError('BAD_INPUT', `keystore ${path} is not valid JSON`, { path }, { cause: err });
  }
  const issues: { path: string; message: string }[] = [];
  const parsed = fileSchema.safeParse(raw);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      issues.push({ path: issue.path.map(String).join('.'), message: issue.message });
    }
  }
  const entries = new Map<string, Map<string, Sealed>>();
  const rawEntries = isRecord(raw) ? raw['entries'] : undefined;
  if (!isRecord(rawEntries)) {
    issues.push({ path: 'entries', message: 'expected an object' });
  } else {
    for (const [namespace, rawAccounts] of Object.entries(rawEntries)) {
      if (!isRecord(rawAccounts)) {
        issues.push({ path: `entries.${namespace}`, message: 'expected an object' });
        continue;
      }
      const accounts = new Map<string, Sealed>();
      for (const [account, rawSealed] of Object.entries(rawAccounts)) {
        const sealed = sealedSchema.safeParse(rawSealed);
        if (sealed.success) accounts.set(account, sealed.data);
        else {
          for (const issue of sealed.error.issues) {
            const at = [namespace, account, ...issue.path.map(String)].join('.');
            issues.push({ path: `entries.${at}`, message: issue.message });
          }
        }
      }
      entries.set(namespace, accounts);
    }
  }
  if (!parsed.success || issues.length > 0) {
    throw new BreakGlassError('BAD_INPUT', `keystore ${path} is malformed at ${issues.map((i) => i.path || '(root)').join(', ')}`, {
      path,
      issues,
    });
  }
  return { salt: parsed.data.kdf.salt, check: parsed.data.check, entries };
}

function deriveKey(passphrase: string, salt: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(passphrase.normalize('NFC'), salt, 32, { N: SCRYPT_N, r: SCRYPT_R, p: SCRYPT_P, maxmem: SCRYPT_MAXMEM }, (err, key) =>
      err ? reject(err) : resolve(key),
    );
  });
}

function seal(key: Buffer, plaintext: string, aad: string): Sealed {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return {
    iv: iv.toString('base64'),
    ct: ct.toString('base64'),
    tag: cipher.getAuthTag().toString('base64'),
  };
}

/** The plaintext, or null when authentication fails (wrong key, AAD or altered bytes). */
function openSealed(key: Buffer, sealed: Sealed, aad: string): string | null {
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(sealed.iv, 'base64'), {
      authTagLength: TAG_BYTES,
    });
    decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(Buffer.from(sealed.tag, 'base64'));
    const pt = Buffer.concat([decipher.update(Buffer.from(sealed.ct, 'base64')), decipher.final()]);
    return pt.toString('utf8');
  } catch {
    return null;
  }
}

/** Temp file in the same directory (0600), fsync, rename over the target, fsync the directory. */
async function writeFileAtomic(path: string, data: string): Promise<void> {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(tmp, 'wx', 0o600);
  try {
    try {
      await handle.writeFile(data, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  // Windows cannot open a directory for fsync; the rename is durable enough there.
  if (process.platform !== 'win32') {
    const dirHandle = await open(dir, 'r');
    try {
      await dirHandle.sync();
    } finally {
      await dirHandle.close();
    }
  }
}

function checkAccount(account: string): void {
  if (account.length === 0) {
    throw new BreakGlassError('BAD_ARGUMENTS', 'the keystore account name must not be empty');
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isErrno(err: unknown, code: string): boolean {
  return err instanceof Error && (err as NodeJS.ErrnoException).code === code;
}

function ioError(message: string, path: string, cause: unknown): BreakGlassError {
  const errno = cause instanceof Error ? (cause as NodeJS.ErrnoException).code : undefined;
  return new BreakGlassError('IO_ERROR', errno ? `${message} (${errno})` : message, { path }, { cause });
}
