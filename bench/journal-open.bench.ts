/**
 * What a write command pays to open its vault, at 1,000, 10,000 and 100,000 journal entries: the
 * real VaultSession.open with the OS keychain, which re-checks every entry's hash chain (and reads
 * the evidence) but only the signatures after the head it verified last time. Each against the time
 * to SHA-256 the same entry bytes in the same run: the open cannot cost less than one pass over its
 * journal, and its ratio to that pass must not grow with the journal. The first open (no verified
 * head yet: every signature) is shown for reference.
 */
import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { KeytarSecretStore, probeSecretStore } from '../src/keychain/index.js';
import { VaultRepository, openDatabase } from '../src/store/index.js';
import { VaultSession } from '../src/vault/index.js';
import { buildJournal } from './journal-verify.bench.js';
import { fmt, header, info, median, now, report, tempDir } from './lib.js';

const SIZES = [1_000, 10_000, 100_000];
const OPENS = 5;
/** The open at 100,000 entries, in seconds (issue 9). */
const TARGET_100K_SECONDS = 0.5;

/** Milliseconds to SHA-256 every entry's bytes, read from the database as the open reads them. */
function sha256Millis(path: string): number {
  const db = openDatabase(path, { create: false });
  try {
    const bytes = [...new VaultRepository(db).entries()].map((e) => e.bytes);
    const times: number[] = [];
    for (let r = 0; r < OPENS; r++) {
      const t0 = now();
      for (const b of bytes) createHash('sha256').update(b).digest();
      times.push(now() - t0);
    }
    return median(times);
  } finally {
    db.close();
  }
}

/** Runs the open benchmark and reports one target per journal size. */
export async function benchJournalOpen(): Promise<void> {
  header(
    'journal-open',
    'VaultSession.open for writing (hash chain in full, signatures after the verified head), vs SHA-256 of the entries',
  );
  const namespaces: KeytarSecretStore[] = [];
  const ratios: number[] = [];
  try {
    for (const size of SIZES) {
      const { dir, cleanup } = tempDir(`open-${size}`);
      try {
        const path = join(dir, 'vault.db');
        const vaultId = `v-bench-${randomBytes(4).toString('hex')}`;
        const db = openDatabase(path, { create: true });
        try {
          const journal = await buildJournal(db, size);
          const repo = new VaultRepository(db);
          repo.transaction(() => {
            repo.setMeta('vault_id', vaultId);
            repo.setMeta('name', 'bench');
            repo.setMeta('journal_id', journal);
            repo.setMeta('created_at', String(Date.now()));
          });
        } finally {
          db.close();
        }
        const store = new KeytarSecretStore(vaultId);
        namespaces.push(store);
        await probeSecretStore(store);
        const factory = (): Promise<KeytarSecretStore> => Promise.resolve(store);
        const open = async (): Promise<number> => {
          const t0 = now();
          const session = await VaultSession.open(dir, factory, { write: true });
          const ms = now() - t0;
          if (!session.report.ok || session.report.count !== size)
            throw new Error(`the benchmark vault does not verify: ${JSON.stringify(session.report.failure)}`);
          await session.close();
          return ms;
        };
        const firstMs = await open();
        const times: number[] = [];
        for (let r = 0; r < OPENS; r++) times.push(await open());
        const openMs = median(times);
        const hashMs = sha256Millis(path);
        const ratio = openMs / hashMs;
        ratios.push(ratio);
        info(
          `${size.toLocaleString('en')} entries: first open (every signature) ${fmt(firstMs, 1)} ms; open from the verified head ${fmt(openMs, 1)} ms (median of ${OPENS}: ${times.map((t) => fmt(t, 0)).join(' ')}); SHA-256 of the same bytes ${fmt(hashMs, 1)} ms`,
        );
        // The smaller sizes have no target of their own: they feed the growth target below.
        if (size === 100_000)
          report({
            name: 'journal.open.100k',
            value: openMs,
            unit: 'ms',
            limit: hashMs,
            limitUnit: 'ms',
            ratio,
            target: `<${TARGET_100K_SECONDS * 1000}ms`,
            pass: openMs < TARGET_100K_SECONDS * 1000,
          });
      } finally {
        cleanup();
      }
    }
    // Flat: the ratio to one hashing pass at 100k within 1.5x of the ratio at 10k.
    const flat = ratios[2]! / ratios[1]!;
    info(`ratio to SHA-256, per size: ${ratios.map((r) => fmt(r, 1)).join(' / ')}`);
    report({
      name: 'journal.open.growth',
      value: flat,
      unit: 'x',
      limit: 1,
      limitUnit: 'x',
      ratio: flat,
      target: '<=1.5x',
      pass: flat <= 1.5,
    });
  } finally {
    for (const store of namespaces) for (const account of await store.list()) await store.delete(account);
  }
}
