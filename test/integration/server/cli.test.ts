/**
 * The CLI end to end against a real server process, on SQLite and PostgreSQL: the whole story on
 * the simulated laptops, then `enroll` and `sync` on every machine. The server holds every entry
 * identical to each machine's export, every receipt verifies against the pinned key, and each
 * machine's journal records its receipt. Tokens travel in files only and never appear in output.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RECEIPT_TAG, type Receipt } from '../../../src/core/sync-api.js';
import { verifyDocument } from '../../../src/crypto/index.js';
import { exportLine } from '../../../src/journal/index.js';
import { PostgresStorage, SqliteStorage, type ServerStorage } from '../../../src/server/index.js';
import { expectStatus, recordTranscripts, type Laptop } from '../../helpers/cli.js';
import { runOnTerminal } from '../../helpers/terminal.js';
import { buildWorld, type World } from '../../helpers/world.js';
import { STORAGE_KINDS, useStorages } from './harness.js';
import { startServerProcess, type ServerProcess } from './process.js';

const storages = useStorages();

async function storedLines(storage: ServerStorage, journal: string): Promise<string[]> {
  const rows = await storage.entries(journal, 0, Number.MAX_SAFE_INTEGER);
  return rows.map((r) =>
    exportLine({ seq: r.seq, bytes: r.bytes, hash: Buffer.from(r.hash, 'base64url'), sig: Buffer.from(r.sig, 'base64url') }),
  );
}

describe.each(STORAGE_KINDS)('enroll and sync every machine, server on %s', (kind) => {
  let world: World;
  let server: ServerProcess;
  let storage: ServerStorage;
  let adminTokenFile: string;
  const transcripts = recordTranscripts();

  beforeAll(async () => {
    world = await buildWorld();
    await world.request();
    adminTokenFile = join(world.root, 'admin.token');
    const database = kind === 'postgres' ? storages.pg().createDatabase() : undefined;
    const data = join(world.root, 'server');
    server = await startServerProcess({ data, adminTokenFile, ...(database ? { database } : {}) });
    storage = database ? new PostgresStorage(database) : SqliteStorage.open(join(data, 'server.db'));
  }, 300_000);

  afterAll(async () => {
    transcripts.stop();
    await storage?.close();
    await server?.stop();
    world?.cleanup();
  });

  async function enrolToken(name: string, journal?: string): Promise<string> {
    const file = join(world.root, `${name}.enroll`);
    expectStatus(
      await world.vault.run([
        'server',
        'token',
        'create',
        '--server',
        server.url,
        '--role',
        'enroll',
        '--ttl',
        '1h',
        ...(journal ? ['--journal', journal] : []),
        '--token-file',
        adminTokenFile,
        '--out',
        file,
      ]),
      0,
      'token create',
    );
    return file;
  }

  it('enrols and syncs each machine; the server holds each journal entry for entry', async () => {
    const machines: Laptop[] = [world.vault, ...Object.values(world.laptops)];
    for (const m of machines) {
      const token = await enrolToken(m.name);
      const enrolled = expectStatus(
        await m.run(['--json', 'enroll', '--server', server.url, '--token-file', token, '--name', m.name]),
        0,
        'enroll',
      );
      expect(enrolled.json()['serverKey']).toBe(server.serverKey);
      const synced = expectStatus(await m.run(['--json', 'sync']), 0, `sync ${m.name}`).json<{
        uploaded: number;
        serverSize: number;
        receipt: Receipt;
      }>();
      expect(synced.uploaded).toBeGreaterThan(0);
      expect(verifyDocument(RECEIPT_TAG, synced.receipt.body, synced.receipt.sig, server.serverKey)).toBe(true);

      const exportFile = join(world.root, `${m.name}.jsonl`);
      expectStatus(await m.run(['journal', 'export', '--out', exportFile]), 0, 'export');
      const exported = readFileSync(exportFile, 'utf8').split('\n').filter(Boolean);
      const journal = (JSON.parse(exported[0]!) as { entry: { journal: string } }).entry.journal;
      // The receipt entry (and its key.rotate) came after the upload: the server holds all before it.
      expect(exported.length).toBe(synced.serverSize + 2);
      expect(await storedLines(storage, journal)).toEqual(exported.slice(0, synced.serverSize));

      const receipts = expectStatus(await m.run(['--json', 'journal', 'show', '--kind', 'sync.receipt']), 0, 'show').json<{
        entries: { seq: number; data: { receipt: Receipt } }[];
      }>();
      expect(receipts.entries.map((e) => e.data.receipt)).toEqual([synced.receipt]);
      expect(receipts.entries[0]!.seq).toBe(synced.serverSize);

      // A second sync uploads exactly the receipt's own entries.
      const again = expectStatus(await m.run(['--json', 'sync']), 0, 'sync again').json<{ uploaded: number; serverSize: number }>();
      expect(again).toMatchObject({ uploaded: 2, serverSize: synced.serverSize + 2 });
      const status = expectStatus(await m.run(['--json', 'sync', 'status']), 0, 'status').json<{ serverSize: number; size: number }>();
      expect(status).toMatchObject({ serverSize: again.serverSize, size: again.serverSize + 2 });
    }
    // On a terminal, sync shows its progress and a summary.
    const shown = await runOnTerminal(['--vault', world.vault.vault, 'sync'], []);
    expect(shown.status).toBe(0);
    expect(shown.screen).toMatch(/uploaded 2; server holds \d+ of \d+ entries/);
    expect(shown.screen).toMatch(/receipt signed .* journaled at seq \d+/);
    // Five machines, six CLI runs each: about 25 s alone, twice that on a machine running other suites.
  }, 240_000);

  it('revokes a device: its sync is refused with the way out, and enroll --again with a fresh token continues from the server head', async () => {
    const m = world.laptops['bob']!;
    const enrolledAs = expectStatus(await m.run(['--json', 'sync', 'status']), 0, 'status').json<{ device: string }>().device;
    const listed = expectStatus(
      await m.run(['--json', 'server', 'device', 'list', '--server', server.url, '--token-file', adminTokenFile]),
      0,
      'device list',
    ).json<{ devices: { id: string; journal: string; revokedAt: number | null }[] }>();
    const device = listed.devices.find((d) => d.id === enrolledAs)!;
    const journal = device.journal;
    expect(device.revokedAt).toBeNull();
    const revoked = expectStatus(
      await m.run(['server', 'device', 'revoke', '--server', server.url, '--id', device.id, '--token-file', adminTokenFile]),
      0,
      'device revoke',
    );
    expect(revoked.stdout).toContain(`device ${device.id} (journal ${journal}) revoked`);
    expect(revoked.stdout).toContain('"breakglass enroll --again"');

    const refused = await m.run(['--json', 'sync']);
    expect([refused.status, refused.json<{ error: { code: string } }>().error.code]).toEqual([3, 'UNAUTHENTICATED']);
    const unbound = await enrolToken('bob-unbound');
    const notBound = await m.run(['--json', 'enroll', '--again', '--token-file', unbound]);
    expect(notBound.json<{ error: { code: string; message: string } }>().error).toMatchObject({
      code: 'WRONG_ROLE',
      message: expect.stringContaining(`breakglass server token create --role enroll --journal ${journal}`),
    });
    const token = await enrolToken('bob-again', journal);
    const plain = await m.run(['--json', 'enroll', '--server', server.url, '--token-file', token]);
    expect(plain.json<{ error: { code: string; message: string } }>().error).toMatchObject({
      code: 'ALREADY_EXISTS',
      message: expect.stringContaining(
        'If security revoked that device, enrol again with a new enrolment token: breakglass enroll --again --token-file FILE',
      ),
    });
    const moved = await m.run(['--json', 'enroll', '--again', '--server', server.url, '--token-file', token]);
    expect([moved.status, moved.json<{ error: { code: string } }>().error.code]).toEqual([2, 'BAD_ARGUMENTS']);
    const before = expectStatus(await m.run(['--json', 'journal', 'show', '--kind', 'sync.enrolled']), 0, 'show').json<{
      entries: unknown[];
    }>();
    expect(before.entries).toHaveLength(1);

    const again = expectStatus(await m.run(['enroll', '--again', '--token-file', token]), 0, 'enroll --again');
    expect(again.stdout).toContain(`enrolled journal ${journal} again as device ${device.id} with ${server.url}`);
    expect(again.stdout).toMatch(/the server holds \d+ of this journal's \d+ entries; "breakglass sync" uploads the rest/);
    const synced = expectStatus(await m.run(['--json', 'sync']), 0, 'sync after enrolling again').json<{
      uploaded: number;
      serverSize: number;
    }>();
    expect(synced.uploaded).toBeGreaterThan(0);
    const exportFile = join(world.root, 'bob-again.jsonl');
    expectStatus(await m.run(['journal', 'export', '--out', exportFile]), 0, 'export');
    const exported = readFileSync(exportFile, 'utf8').split('\n').filter(Boolean);
    expect(await storedLines(storage, journal)).toEqual(exported.slice(0, synced.serverSize));
    const after = expectStatus(await m.run(['--json', 'journal', 'show', '--kind', 'sync.enrolled']), 0, 'show').json<{
      entries: unknown[];
    }>();
    expect(after.entries).toHaveLength(2);
  }, 120_000);

  it('refuses a reused enrolment token and a second enrolment, and never shows a token', async () => {
    const token = await enrolToken('reuse');
    const holder = world.laptops['alice']!;
    const second = await holder.run(['--json', 'enroll', '--server', server.url, '--token-file', token]);
    expect([second.status, second.json<{ error: { code: string } }>().error.code]).toEqual([2, 'ALREADY_EXISTS']);
    const fresh = (await import('../../helpers/cli.js')).laptop(world.root, 'fresh-laptop');
    expectStatus(await fresh.run(['init', '--name', 'fresh']), 0, 'init');
    expectStatus(await fresh.run(['enroll', '--server', server.url, '--token-file', token]), 0, 'enroll fresh');
    const other = (await import('../../helpers/cli.js')).laptop(world.root, 'other-laptop');
    expectStatus(await other.run(['init', '--name', 'other']), 0, 'init');
    const reused = await other.run(['--json', 'enroll', '--server', server.url, '--token-file', token]);
    expect([reused.status, reused.json<{ error: { code: string } }>().error.code]).toEqual([3, 'TOKEN_USED']);
    const unenrolled = await other.run(['--json', 'sync']);
    expect([unenrolled.status, unenrolled.json<{ error: { code: string } }>().error.code]).toEqual([3, 'NOT_ENROLLED']);

    const secrets = [readFileSync(adminTokenFile, 'utf8').trim(), readFileSync(token, 'utf8').trim()];
    for (const { args, transcript } of transcripts.runs) {
      for (const s of secrets) {
        expect(args.join(' ')).not.toContain(s);
        expect(transcript.stdout + transcript.stderr).not.toContain(s);
      }
      expect(transcript.stdout + transcript.stderr).not.toMatch(/bg[dt]_[A-Za-z0-9_-]{43}/);
    }
    expect(server.output()).not.toMatch(/bg[dt]_[A-Za-z0-9_-]{43}/);
  });
});
