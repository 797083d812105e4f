/**
 * Files the CLI writes (`unseal --out` above all): the file is created before anything is journaled
 * or decrypted, so a path that cannot be written changes nothing; and it is written whole or not at
 * all. A full disk and a read-only folder are real tmpfs mounts (root can mount them here; where it
 * cannot, those two tests are skipped and say so).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectStatus } from '../../helpers/cli.js';
import { buildWorld, type World } from '../../helpers/world.js';
import { expectSecretEqual, expectUnchanged, journal, jsonError, snapshot } from './vault-state.js';

const mounted: string[] = [];

/** Mounts a tmpfs of `size` at a new folder under `root`; null when this machine does not allow it. */
function tmpfs(root: string, name: string, options: string): string | null {
  const dir = join(root, name);
  mkdirSync(dir);
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir], { stdio: 'pipe' });
  } catch {
    return null;
  }
  mounted.push(dir);
  return dir;
}

const canMount = ((): boolean => {
  const probe = join('/tmp', `bgv-mount-probe-${process.pid}`);
  mkdirSync(probe, { recursive: true });
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4k', 'tmpfs', probe], { stdio: 'pipe' });
    execFileSync('umount', [probe], { stdio: 'pipe' });
    return true;
  } catch {
    console.warn('output-files: this machine does not allow mounting a tmpfs; the full-disk and read-only tests are skipped');
    return false;
  } finally {
    execFileSync('rmdir', [probe]);
  }
})();

describe('files the CLI writes: created before anything changes, written whole or not at all', () => {
  let world: World;
  let requestId = '';
  // Larger than the small disk below, so a write there is cut short before it fails.
  const secret = `${'x'.repeat(12_000)}-root-pw-3a9d`;

  beforeAll(async () => {
    world = await buildWorld({ seal: false });
    expectStatus(
      await world.vault.run(['seal', '--credential', 'prod-db-root', '--label', 'prod DB root', '--secret-file', '-'], { stdin: secret }),
      0,
      'seal',
    );
    requestId = await world.request();
    for (const h of ['alice', 'bob']) {
      expectStatus(await world.vault.run(['approve', requestId, '--holder', h, '--yes'], { passphraseOf: h }), 0, `approve ${h}`);
    }
    expectStatus(await world.vault.run(['unseal', requestId]), 0, 'unseal');
  }, 180_000);

  afterAll(() => {
    for (const dir of mounted) execFileSync('umount', [dir]);
    world.cleanup();
  });

  it('an empty --out is refused (exit 2, BAD_ARGUMENTS) and changes nothing', async () => {
    const before = await snapshot(world.vault.vault);
    const error = jsonError(await world.vault.run(['--json', 'unseal', requestId, '--out', '']), 2);
    expect(error).toMatchObject({ code: 'BAD_ARGUMENTS', message: 'the output file name is empty' });
    await expectUnchanged(world.vault.vault, before);
  });

  it('an --out in a folder that does not exist is refused (exit 2, BAD_INPUT) and changes nothing', async () => {
    const before = await snapshot(world.vault.vault);
    const out = join(world.root, 'no-such-folder', 'secret.txt');
    const error = jsonError(await world.vault.run(['--json', 'unseal', requestId, '--out', out]), 2);
    expect(error).toMatchObject({ code: 'BAD_INPUT', message: `the folder of ${out} does not exist` });
    await expectUnchanged(world.vault.vault, before);
  });

  it('a refused unseal leaves no file behind', async () => {
    const out = join(world.root, 'refused.secret');
    const error = jsonError(await world.vault.run(['--json', 'unseal', 'req-000000000000', '--out', out]), 2);
    expect(error.code).toBe('NOT_FOUND');
    expect(existsSync(out)).toBe(false);
    // The same for a file another command would have written.
    const bundle = join(world.root, 'refused.bundle');
    expect(
      jsonError(await world.vault.run(['--json', 'request', 'export', 'req-000000000000', '--holder', 'carol', '--out', bundle]), 2).code,
    ).toBe('NOT_FOUND');
    expect(existsSync(bundle)).toBe(false);
  });

  it.skipIf(!canMount)('a read-only folder: IO_ERROR (exit 5) before anything is journaled or decrypted', async () => {
    const ro = tmpfs(world.root, 'read-only', 'size=64k,ro')!;
    const before = await snapshot(world.vault.vault);
    const error = jsonError(await world.vault.run(['--json', 'unseal', requestId, '--out', join(ro, 'secret.txt')]), 5);
    expect(error).toMatchObject({ code: 'IO_ERROR', message: `cannot create ${join(ro, 'secret.txt')} (EROFS)` });
    await expectUnchanged(world.vault.vault, before);
  });

  it.skipIf(!canMount)(
    'a disk that fills up mid-write: IO_ERROR, no partial file, the export journaled; a retry elsewhere writes the whole secret',
    async () => {
      const small = tmpfs(world.root, 'small-disk', 'size=8k,mode=0700')!;
      const seqBefore = journal(world.vault.vault).length;
      const out = join(small, 'secret.txt');
      const t = await world.vault.run(['unseal', requestId, '--out', out]);
      expect(t.status, t.stderr).toBe(5);
      expect(t.stderr).toContain(`IO_ERROR: could not write ${out} (ENOSPC); the incomplete file was removed.`);
      expect(t.stderr).toContain('The export is journaled and the window is still open');
      expect(readdirSync(small)).toEqual([]);
      // Fail closed: the entry was committed before the first byte was written.
      expect(journal(world.vault.vault, seqBefore).map((e) => e.kind)).toEqual(['credential.export', 'key.rotate']);

      const again = join(world.root, 'secret.txt');
      expectStatus(await world.vault.run(['unseal', requestId, '--out', again]), 0, 'unseal --out again');
      expectSecretEqual(readFileSync(again), secret, 'the exported secret');
      expect(statSync(again).mode & 0o777).toBe(0o600);
    },
  );
});
