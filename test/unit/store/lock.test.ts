import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { acquireLock } from '../../../src/store/index.js';

// A write command that holds a vault (a holder typing a passphrase) is named to the one it keeps
// waiting: which command, which process, for how long. Real files, a real SQLite lock.
describe('the vault lock names its holder', () => {
  const dirs: string[] = [];
  const folder = (): string => {
    const dir = mkdtempSync(join(tmpdir(), 'bgv-lock-'));
    dirs.push(dir);
    return dir;
  };
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('records the command and process while held (mode 0600), names them to VAULT_BUSY, and forgets them on release', () => {
    const path = join(folder(), 'vault.lock');
    const held = acquireLock(path, 'member create');
    const record = JSON.parse(readFileSync(`${path}.holder`, 'utf8')) as { pid: number; command: string; since: number };
    expect(record).toMatchObject({ pid: process.pid, command: 'member create' });
    expect(statSync(`${path}.holder`).mode & 0o777).toBe(0o600);
    let err: unknown;
    try {
      acquireLock(path, 'policy set');
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({
      code: 'VAULT_BUSY',
      message: expect.stringMatching(
        new RegExp(
          `^the vault is busy: "breakglass member create" \\(process ${process.pid}\\) has held it for \\d+ s; try again when it has finished$`,
        ),
      ) as unknown,
    });
    held.release();
    expect(existsSync(`${path}.holder`)).toBe(false);
    acquireLock(path, 'policy set').release();
  }, 20_000);

  it('a record left by a process that is gone (killed) is not believed: the plain message', () => {
    const path = join(folder(), 'vault.lock');
    const gone = spawnSync(process.execPath, ['-e', '']).pid;
    writeFileSync(`${path}.holder`, JSON.stringify({ pid: gone, command: 'approve', since: Date.now() }));
    const other = new Database(path);
    other.exec('BEGIN EXCLUSIVE');
    try {
      expect(() => acquireLock(path, 'policy set')).toThrow(
        expect.objectContaining({
          code: 'VAULT_BUSY',
          message: 'the vault is busy in another breakglass process; try again when it has finished',
        }),
      );
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
    // and the next holder replaces it
    const held = acquireLock(path, 'seal');
    expect(JSON.parse(readFileSync(`${path}.holder`, 'utf8'))).toMatchObject({ pid: process.pid, command: 'seal' });
    held.release();
  }, 20_000);
});
