/**
 * A rollback is a fork: an older copy of a vault folder (with a copy of its key store) is synced
 * after the newer one has moved on, then used. The server refuses the older copy, then detects the
 * fork when the used copy syncs, keeps both versions and freezes the journal for every copy.
 */
import { copyFileSync, cpSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteStorage } from '../../../src/server/index.js';
import { expectStatus, laptop, tempDir, type Transcript } from '../../helpers/cli.js';
import { startServerProcess, type ServerProcess } from './process.js';

const code = (t: Transcript): [number, string] => [t.status, t.json<{ error: { code: string } }>().error.code];

describe('a vault folder restored from an older copy and used', () => {
  const temp = tempDir('bgv-rollback-');
  let server: ServerProcess;

  beforeAll(async () => {
    server = await startServerProcess({ data: join(temp.dir, 'server'), adminTokenFile: join(temp.dir, 'admin') });
  });
  afterAll(async () => {
    await server?.stop();
    temp.cleanup();
  });

  it('is refused while it is older, and detected as a fork once used', async () => {
    const passFile = join(temp.dir, 'keystore.pw');
    writeFileSync(passFile, 'keystore passphrase', { mode: 0o600 });
    const store = (name: string): string[] => [
      '--keystore',
      `file:${join(temp.dir, `${name}.keys`)}`,
      '--keystore-passphrase-file',
      passFile,
    ];
    const newer = laptop(temp.dir, 'vault');
    const older = laptop(temp.dir, 'vault-copy');
    const run = (l: typeof newer, name: string, args: string[], o: { passphraseOf?: string } = {}) => l.run([...store(name), ...args], o);

    expectStatus(await run(newer, 'vault', ['init', '--name', 'crash cart']), 0, 'init');
    const token = join(temp.dir, 'enroll.token');
    expectStatus(
      await newer.run([
        'server',
        'token',
        'create',
        '--server',
        server.url,
        '--role',
        'enroll',
        '--token-file',
        join(temp.dir, 'admin'),
        '--out',
        token,
      ]),
      0,
      'token',
    );
    expectStatus(await run(newer, 'vault', ['enroll', '--server', server.url, '--token-file', token]), 0, 'enroll');
    expectStatus(await run(newer, 'vault', ['sync']), 0, 'sync 1');

    // The backup: the folder and its key store, as they are now.
    cpSync(newer.vault, older.vault, { recursive: true });
    copyFileSync(join(temp.dir, 'vault.keys'), join(temp.dir, 'vault-copy.keys'));

    expectStatus(await run(newer, 'vault', ['sync']), 0, 'sync 2');
    const last = expectStatus(await run(newer, 'vault', ['--json', 'sync']), 0, 'sync 3').json<{ serverSize: number }>();

    const stale = await run(older, 'vault-copy', ['--json', 'sync']);
    expect(code(stale)).toEqual([3, 'SYNC_CONFLICT']);
    expect(stale.stdout).toContain('older than the one synced before');

    expectStatus(
      await run(older, 'vault-copy', ['member', 'create', '--id', 'erin', '--name', 'Erin', '--out', join(temp.dir, 'erin.card')], {
        passphraseOf: 'erin',
      }),
      0,
      'use the older copy',
    );
    const forked = await run(older, 'vault-copy', ['--json', 'sync']);
    expect(code(forked)).toEqual([4, 'JOURNAL_FORKED']);
    expect(code(await run(newer, 'vault', ['--json', 'sync']))).toEqual([3, 'JOURNAL_FROZEN']);

    const storage = SqliteStorage.open(join(temp.dir, 'server', 'server.db'));
    try {
      const [journal] = await storage.journals();
      expect(journal).toMatchObject({ size: last.serverSize, frozenReason: `fork at seq ${last.serverSize - 2}` });
      const forks = await storage.forks(journal!.id);
      expect(forks.map((f) => f.seq)).toEqual([last.serverSize - 2]);
      expect(JSON.parse(forks[0]!.offeredLine).entry.kind).toBe('member.add');
    } finally {
      await storage.close();
    }
  });
});
