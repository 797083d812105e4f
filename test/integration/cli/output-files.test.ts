/**
 * Files the CLI writes (`unseal --out` above all): the file is created before anything is journaled
 * or decrypted, so a path that cannot be written changes nothing; and it is written whole or not at
 * all. A full disk and a read-only folder are real tmpfs mounts (root can mount them here; where it
 * cannot, those two tests are skipped and say so).
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, expectStatus } from '../../helpers/cli.js';
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

  it('killed at any moment, a command leaves its --out file whole or absent, never empty or cut short', async () => {
    const folder = join(world.root, 'kills');
    mkdirSync(folder);
    const exportTo = (out: string): { done: Promise<number | null>; kill(): void } => {
      const child = spawn(process.execPath, [BIN, '--vault', world.vault.vault, 'journal', 'export', '--out', out], { stdio: 'ignore' });
      return { done: new Promise((res) => child.on('close', (code) => res(code))), kill: () => child.kill('SIGKILL') };
    };
    // The kill delays are drawn across the time an export takes on this machine now, measured, so
    // a busy machine moves the window and the kills together.
    const t0 = performance.now();
    const first = exportTo(join(folder, 'whole.jsonl'));
    expect(await first.done).toBe(0);
    const duration = performance.now() - t0;
    const whole = readFileSync(join(folder, 'whole.jsonl'), 'utf8');
    let seed = 20_261_202;
    const random = (): number => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
    const outcomes = { absent: 0, whole: 0, leftovers: 0 };
    for (let i = 0; i < 30; i++) {
      const out = join(folder, `export-${i}.jsonl`);
      const run = exportTo(out);
      await new Promise((res) => setTimeout(res, random() * duration * 1.2));
      run.kill();
      await run.done;
      if (existsSync(out)) {
        const text = readFileSync(out, 'utf8');
        // Whole: every line of the journal as it was, and at least as far as the first export.
        expect(text.length, `export-${i}`).toBeGreaterThanOrEqual(whole.length);
        expect(text.startsWith(whole), `export-${i}`).toBe(true);
        expect(text.endsWith('\n'), `export-${i}`).toBe(true);
        outcomes.whole++;
      } else {
        outcomes.absent++;
      }
      for (const name of readdirSync(folder).filter((n) => n.startsWith(`.export-${i}.jsonl.`))) {
        expect(name).toMatch(/\.partial$/);
        rmSync(join(folder, name));
        outcomes.leftovers++;
      }
    }
    console.log(`output kills: ${JSON.stringify(outcomes)} over an export of ${duration.toFixed(0)} ms`);
    expect(outcomes.absent + outcomes.whole).toBe(30);
    // A finished export leaves nothing but its file.
    expect(readdirSync(folder).filter((n) => n.startsWith('.'))).toEqual([]);
  }, 180_000);

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
      expect(readdirSync(small)).toEqual([]); // no partial file, under its name or the temporary one
      // Fail closed: the entry was committed before the first byte was written.
      expect(journal(world.vault.vault, seqBefore).map((e) => e.kind)).toEqual(['credential.export', 'key.rotate']);

      const again = join(world.root, 'secret.txt');
      expectStatus(await world.vault.run(['unseal', requestId, '--out', again]), 0, 'unseal --out again');
      expectSecretEqual(readFileSync(again), secret, 'the exported secret');
      expect(statSync(again).mode & 0o777).toBe(0o600);
    },
  );
});
