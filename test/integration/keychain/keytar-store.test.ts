import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isBreakGlassError } from '../../../src/core/errors.js';
import { KeytarSecretStore, keychainErrorFrom, probeSecretStore } from '../../../src/keychain/index.js';

const run = promisify(execFile);

describe('KeytarSecretStore against a real gnome-keyring', () => {
  beforeAll(() => {
    if (process.env['BREAKGLASS_KEYCHAIN_READY'] !== '1') {
      throw new Error(
        'these tests need a private keychain session: run them through ' + '`bash scripts/with-keychain.sh npx vitest run ...`',
      );
    }
  });

  // A fresh namespace per run, so reruns and parallel workers never see each other's accounts.
  const namespace = () => `test-${randomUUID()}`;

  it('stores, reads, lists, replaces and deletes', async () => {
    const store = new KeytarSecretStore(namespace());
    expect(await store.get('alpha')).toBeNull();
    expect(await store.list()).toEqual([]);

    await store.set('alpha', 'value-a');
    await store.set('beta', 'value-b');
    expect(await store.get('alpha')).toBe('value-a');
    expect((await store.list()).sort()).toEqual(['alpha', 'beta']);

    await store.set('alpha', 'value-a2');
    expect(await store.get('alpha')).toBe('value-a2');

    expect(await store.delete('alpha')).toBe(true);
    expect(await store.get('alpha')).toBeNull();
    expect(await store.list()).toEqual(['beta']);
    expect(await store.delete('beta')).toBe(true);
    expect(await store.list()).toEqual([]);
  });

  it('lists while an item is being erased (the Secret Service enumerates, then reads each item)', async () => {
    const store = new KeytarSecretStore(namespace());
    const accounts = Array.from({ length: 100 }, (_, i) => `item-${i}`);
    for (const a of accounts) await store.set(a, `v-${a}`);
    // As in the vault: one erase (of an old key) in flight while the namespace is listed.
    for (let round = 0; round < 30; round++) {
      const [, listed] = await Promise.all([store.delete(accounts[round]!), store.list()]);
      expect(listed.every((a) => accounts.includes(a))).toBe(true);
      expect(listed.length).toBeGreaterThanOrEqual(accounts.length - round - 1);
    }
    expect((await store.list()).length).toBe(accounts.length - 30);
  });

  it('keeps namespaces apart', async () => {
    const one = new KeytarSecretStore(namespace());
    const two = new KeytarSecretStore(namespace());
    await one.set('shared-name', 'from-one');
    expect(await two.get('shared-name')).toBeNull();
    expect(await two.list()).toEqual([]);
    expect(await two.delete('shared-name')).toBe(false);

    await two.set('shared-name', 'from-two');
    expect(await one.get('shared-name')).toBe('from-one');
    expect(await two.get('shared-name')).toBe('from-two');
    await one.delete('shared-name');
    await two.delete('shared-name');
  });

  it('returns false when deleting an account that does not exist', async () => {
    const store = new KeytarSecretStore(namespace());
    expect(await store.delete('never-stored')).toBe(false);
  });

  it('refuses an empty value with BAD_ARGUMENTS and stores nothing', async () => {
    const store = new KeytarSecretStore(namespace());
    await expect(store.set('alpha', '')).rejects.toSatisfy((e) => isBreakGlassError(e, 'BAD_ARGUMENTS'));
    expect(await store.list()).toEqual([]);
  });

  it('passes the probe and leaves no probe account behind', async () => {
    const store = new KeytarSecretStore(namespace());
    await probeSecretStore(store);
    expect(await store.list()).toEqual([]);
  });
});

describe('keychainErrorFrom on the real errors of a machine without a Secret Service', () => {
  let scratch: string;

  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'breakglass-nokeychain-'));
  });
  afterAll(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  // keytar itself, in a child process (libsecret keeps one bus connection per process).
  const childScript = `
    import keytar from 'keytar';
    try {
      await keytar.setPassword('break-glass-vault/probe', 'account', 'value');
      console.log(JSON.stringify({ ok: true }));
    } catch (err) {
      console.log(JSON.stringify({ ok: false, message: err.message }));
    }`;

  async function rawKeytarError(command: string, args: string[], env: Record<string, string | undefined>): Promise<string> {
    const home = await mkdtemp(join(scratch, 'home-'));
    const childEnv: NodeJS.ProcessEnv = {
      ...process.env,
      HOME: home,
      XDG_RUNTIME_DIR: home,
      ...env,
    };
    for (const name of ['DISPLAY', 'WAYLAND_DISPLAY', 'DBUS_SESSION_BUS_ADDRESS', 'GNOME_KEYRING_CONTROL']) {
      if (env[name] === undefined) delete childEnv[name];
    }
    const { stdout } = await run(command, [...args, 'node', '--input-type=module', '-e', childScript], {
      env: childEnv,
      cwd: process.cwd(),
      timeout: 30_000,
    });
    const result = JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as {
      ok: boolean;
      message?: string;
    };
    expect(result.ok).toBe(false);
    return result.message ?? '';
  }

  function expectUnavailable(raw: string, reason: string): void {
    const cause = new Error(raw);
    const mapped = keychainErrorFrom(cause);
    expect(mapped.code).toBe('KEYCHAIN_UNAVAILABLE');
    expect(mapped.details).toEqual({ reason });
    expect(mapped.cause).toBe(cause);
    expect(mapped.message).toContain('dbus-run-session -- bash');
    expect(mapped.message).toContain('gnome-keyring-daemon --unlock --components=secrets');
    expect(mapped.message).toContain('--keystore file:PATH');
  }

  it('maps "no session bus and no display"', async () => {
    const raw = await rawKeytarError('env', [], {});
    expect(raw).toBe('Cannot autolaunch D-Bus without X11 $DISPLAY');
    expectUnavailable(raw, 'no-secret-service');
  });

  it('maps "session bus address points at nothing"', async () => {
    const raw = await rawKeytarError('env', [], {
      DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent',
    });
    expect(raw).toBe('Could not connect: No such file or directory');
    expectUnavailable(raw, 'no-secret-service');
  });

  it('maps "a session bus with no Secret Service on it"', async () => {
    // A bus that can activate nothing, so org.freedesktop.secrets is never provided.
    const config = join(scratch, 'bare-session.conf');
    await writeFile(
      config,
      `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:tmpdir=${scratch}</listen>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`,
    );
    const raw = await rawKeytarError('dbus-run-session', [`--config-file=${config}`, '--'], {});
    expect(raw).toBe('The name org.freedesktop.secrets was not provided by any .service files');
    expectUnavailable(raw, 'no-secret-service');
  });

  it('maps "gnome-keyring running, but no unlocked login collection"', async () => {
    const raw = await rawKeytarError('dbus-run-session', ['--'], {});
    expect(raw).toBe('Object does not exist at path “/org/freedesktop/secrets/collection/login”');
    expectUnavailable(raw, 'locked');
  });

  it('maps a locked collection and an unloadable native module', () => {
    expectUnavailable('Cannot create an item in a locked collection', 'locked');
    const mapped = keychainErrorFrom(new Error('libsecret-1.so.0: cannot open shared object file: No such file or directory'));
    expect(mapped.code).toBe('KEYCHAIN_UNAVAILABLE');
    expect(mapped.details).toEqual({ reason: 'module-load-failed' });
  });
});
