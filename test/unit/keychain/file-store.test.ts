import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isBreakGlassError, type ErrorCode } from '../../../src/core/errors.js';
import { FileSecretStore, KeytarSecretStore, openSecretStore, probeSecretStore } from '../../../src/keychain/index.js';

const PASSPHRASE = 'correct horse battery staple';
const withCode = (code: ErrorCode) => (err: unknown) => isBreakGlassError(err, code);

let dir: string;
let path: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'breakglass-filestore-'));
  path = join(dir, 'keys.json');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const storeFor = (namespace = 'vault-a', passphrase = PASSPHRASE) => new FileSecretStore({ path, passphrase, namespace });

describe('FileSecretStore', () => {
  it('reads nothing from a missing file and creates none', async () => {
    const store = storeFor();
    expect(await store.get('alpha')).toBeNull();
    expect(await store.list()).toEqual([]);
    expect(await store.delete('alpha')).toBe(false);
    expect(await readdir(dir)).toEqual([]);
  });

  it('stores, reads, lists, replaces and deletes, and another instance sees the same', async () => {
    const store = storeFor();
    await store.set('alpha', 'value-a');
    await store.set('beta', 'value-b');
    await store.set('alpha', 'value-a2');
    expect(await store.get('alpha')).toBe('value-a2');
    expect((await store.list()).sort()).toEqual(['alpha', 'beta']);

    const reopened = storeFor();
    expect(await reopened.get('alpha')).toBe('value-a2');
    expect(await reopened.get('beta')).toBe('value-b');
    expect(await reopened.delete('alpha')).toBe(true);
    expect(await reopened.delete('alpha')).toBe(false);

    expect(await store.get('alpha')).toBeNull();
    expect(await store.list()).toEqual(['beta']);
    // Only the keystore itself remains: no temp files from the atomic writes.
    expect(await readdir(dir)).toEqual(['keys.json']);
  });

  it('keeps namespaces in one file apart', async () => {
    const a = storeFor('vault-a');
    const b = storeFor('vault-b');
    await a.set('same', 'from-a');
    expect(await b.get('same')).toBeNull();
    expect(await b.list()).toEqual([]);
    await b.set('same', 'from-b');
    expect(await a.get('same')).toBe('from-a');
    expect(await b.get('same')).toBe('from-b');
  });

  it('refuses a wrong passphrase with WRONG_PASSPHRASE and leaves the file byte for byte', async () => {
    await storeFor().set('alpha', 'value-a');
    const before = await readFile(path);

    const wrong = storeFor('vault-a', 'not the passphrase');
    await expect(wrong.get('alpha')).rejects.toSatisfy(withCode('WRONG_PASSPHRASE'));
    await expect(wrong.set('alpha', 'overwritten')).rejects.toSatisfy(withCode('WRONG_PASSPHRASE'));
    await expect(wrong.set('gamma', 'new')).rejects.toSatisfy(withCode('WRONG_PASSPHRASE'));
    await expect(wrong.delete('alpha')).rejects.toSatisfy(withCode('WRONG_PASSPHRASE'));
    await expect(wrong.list()).rejects.toSatisfy(withCode('WRONG_PASSPHRASE'));

    expect((await readFile(path)).equals(before)).toBe(true);
    expect(await storeFor().get('alpha')).toBe('value-a');
  });

  it('refuses a file that is not JSON with BAD_INPUT naming the path, and changes nothing', async () => {
    await writeFile(path, 'not json at all', { mode: 0o600 });
    const store = storeFor();
    await expect(store.set('alpha', 'value-a')).rejects.toSatisfy(
      (err) => isBreakGlassError(err, 'BAD_INPUT') && err.message.includes(path) && err.details['path'] === path,
    );
    await expect(store.get('alpha')).rejects.toSatisfy(withCode('BAD_INPUT'));
    expect(await readFile(path, 'utf8')).toBe('not json at all');
  });

  it('refuses a keystore with the wrong shape or weakened scrypt parameters with BAD_INPUT', async () => {
    await storeFor().set('alpha', 'value-a');
    const good = JSON.parse(await readFile(path, 'utf8')) as {
      kdf: { N: number };
      entries: unknown;
    };

    const weakened = { ...good, kdf: { ...good.kdf, N: 1024 } };
    await writeFile(path, JSON.stringify(weakened));
    await expect(storeFor().get('alpha')).rejects.toSatisfy(
      (err) => isBreakGlassError(err, 'BAD_INPUT') && err.message === `keystore ${path} is malformed at kdf.N`,
    );

    const broken = { ...good, entries: { 'vault-a': { alpha: { iv: 'x' } } } };
    await writeFile(path, JSON.stringify(broken));
    await expect(storeFor().list()).rejects.toSatisfy(
      (err) => isBreakGlassError(err, 'BAD_INPUT') && err.message.includes('entries.vault-a.alpha.iv'),
    );
  });

  it('binds each value to its account: a value moved to another account fails with INTEGRITY_FAILURE', async () => {
    await storeFor().set('alpha', 'value-a');
    const file = JSON.parse(await readFile(path, 'utf8')) as {
      entries: Record<string, Record<string, unknown>>;
    };
    const accounts = file.entries['vault-a'] ?? {};
    accounts['beta'] = accounts['alpha'];
    await writeFile(path, JSON.stringify(file));
    const store = storeFor();
    expect(await store.get('alpha')).toBe('value-a');
    await expect(store.get('beta')).rejects.toSatisfy(withCode('INTEGRITY_FAILURE'));
  });

  it('holds neither the values nor the passphrase in clear, in a 0600 file', async () => {
    const value = 'super-secret-private-key-material';
    await storeFor().set('alpha', value);
    const text = await readFile(path, 'utf8');
    for (const needle of [value, PASSPHRASE]) {
      expect(text).not.toContain(needle);
      expect(text).not.toContain(Buffer.from(needle).toString('base64'));
    }
    expect(JSON.parse(text)).toMatchObject({
      format: 'breakglass.keystore',
      version: 1,
      kdf: { name: 'scrypt', N: 131072, r: 8, p: 1 },
    });
    expect((await stat(path)).mode & 0o777).toBe(0o600);
  });

  it('accepts an account named __proto__', async () => {
    const store = storeFor();
    await store.set('__proto__', 'value-p');
    expect(await storeFor().get('__proto__')).toBe('value-p');
    expect(await storeFor().list()).toEqual(['__proto__']);
  });

  it('refuses empty names, values and passphrases with BAD_ARGUMENTS', async () => {
    expect(() => storeFor('')).toThrow(expect.objectContaining({ code: 'BAD_ARGUMENTS' }));
    expect(() => storeFor('a\nb')).toThrow(expect.objectContaining({ code: 'BAD_ARGUMENTS' }));
    expect(() => storeFor('vault-a', '')).toThrow(expect.objectContaining({ code: 'BAD_ARGUMENTS' }));
    await expect(storeFor().set('', 'v')).rejects.toSatisfy(withCode('BAD_ARGUMENTS'));
    await expect(storeFor().set('alpha', '')).rejects.toSatisfy(withCode('BAD_ARGUMENTS'));
    expect(await readdir(dir)).toEqual([]);
  });

  it('passes the probe and leaves no probe account behind', async () => {
    const store = storeFor();
    await probeSecretStore(store);
    expect(await store.list()).toEqual([]);
  });
});

describe('openSecretStore', () => {
  const noPassphrase = () => Promise.reject(new Error('the passphrase must not be asked for'));

  it('opens the OS keychain by default and for "os", without touching it', async () => {
    expect(await openSecretStore(undefined, 'vault-a', noPassphrase)).toBeInstanceOf(KeytarSecretStore);
    expect((await openSecretStore('os', 'vault-a', noPassphrase)).description).toBe('os-keychain');
  });

  it('opens a file store for "file:PATH", asking for the passphrase once', async () => {
    let asked = 0;
    const store = await openSecretStore(`file:${path}`, 'vault-a', () => {
      asked += 1;
      return Promise.resolve(PASSPHRASE);
    });
    expect(store).toBeInstanceOf(FileSecretStore);
    expect(store.description).toBe(`file:${path}`);
    await store.set('alpha', 'value-a');
    expect(await store.get('alpha')).toBe('value-a');
    expect(asked).toBe(1);
  });

  it.each(['file:', 'keychain', 'File:/tmp/x', ''])('refuses %j with BAD_ARGUMENTS', async (spec) => {
    await expect(openSecretStore(spec, 'vault-a', noPassphrase)).rejects.toSatisfy(
      (err) => isBreakGlassError(err, 'BAD_ARGUMENTS') && err.message === '--keystore must be "os" or "file:PATH"',
    );
  });
});
