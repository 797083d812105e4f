/**
 * The tamper table of issue 3 on the live SQLite file of a real vault made by the CLI: rows edited
 * by raw SQL with the append-only triggers dropped, then `breakglass journal verify --json` must
 * exit 4 naming the first bad seq and the failure code. Also: the triggers themselves, a tampered
 * vault refusing to act (and changing nothing), the cut-the-tail attack caught by the keychain,
 * exports verified by a third party, and `journal show`.
 *
 * Every case works on a copy of the world's vault folder. A copy keeps the vault id, so it shares
 * the original's keychain namespace: no command may succeed in changing a copy (it would rotate the
 * shared epoch key), which is exactly what these tests assert anyway.
 */
import Database from 'better-sqlite3';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { canonicalize } from '../../../src/core/canonical.js';
import type { JournalEntry, StoredEntry, VerifyFailureCode, VerifyReport } from '../../../src/core/journal.js';
import { b64, generateSigningKeyPair, signBytes, type SigningKeyPair } from '../../../src/crypto/index.js';
import { advanceHead, entryHash, exportLine, makeEntry, type ChainHead } from '../../../src/journal/index.js';
import { KeytarSecretStore, openSecretStore } from '../../../src/keychain/index.js';
import { VaultSession, setPolicy } from '../../../src/vault/index.js';
import { expectStatus, laptop, run, tempDir, type Laptop, type Transcript } from '../../helpers/cli.js';
import { buildWorld, examplePolicy, requestArgs, type World } from '../../helpers/world.js';

interface Row {
  seq: number;
  bytes: Buffer;
  hash: Buffer;
  sig: Buffer;
}

interface VerifyFailureJson {
  ok: false;
  error: { code: string; message: string; details: { seq: number; failure: VerifyFailureCode; report?: VerifyReport } };
}

const openDb = (dir: string): Database.Database => new Database(join(dir, 'vault.db'), { fileMustExist: true });

function readRows(dir: string): Row[] {
  const db = openDb(dir);
  try {
    return db.prepare('SELECT seq, bytes, hash, sig FROM journal ORDER BY seq').all() as Row[];
  } finally {
    db.close();
  }
}

const parse = (row: { bytes: Uint8Array }): JournalEntry => JSON.parse(Buffer.from(row.bytes).toString('utf8')) as JournalEntry;

/** Runs raw SQL on a vault's file with the journal's append-only triggers dropped, as an attacker with the disk would. */
function tamper(dir: string, edit: (db: Database.Database) => void): void {
  const db = openDb(dir);
  try {
    db.pragma('synchronous = OFF');
    db.exec(
      'DROP TRIGGER IF EXISTS journal_no_update; DROP TRIGGER IF EXISTS journal_no_delete; DROP TRIGGER IF EXISTS journal_no_replace;',
    );
    db.transaction(() => edit(db))();
  } finally {
    db.close();
  }
}

const putRow = (db: Database.Database, row: StoredEntry): void => {
  db.prepare('INSERT INTO journal (seq, bytes, hash, sig) VALUES (?, ?, ?, ?)').run(row.seq, row.bytes, row.hash, row.sig);
};

const setRow = (db: Database.Database, seq: number, row: Omit<StoredEntry, 'seq'>): void => {
  db.prepare('UPDATE journal SET bytes = ?, hash = ?, sig = ? WHERE seq = ?').run(row.bytes, row.hash, row.sig, seq);
};

/** Re-serialises an edited entry, hashed as the format says (the attacker can do that much). */
function rehash(entry: Record<string, unknown>): { bytes: Buffer; hash: Buffer } {
  const bytes = Buffer.from(canonicalize(entry), 'utf8');
  return { bytes, hash: entryHash(bytes) };
}

/** Everything a refused command must leave alone: every table, every journal row, the keychain accounts. */
async function snapshot(dir: string, vaultId: string): Promise<{ tables: string; keychain: string[] }> {
  const db = new Database(join(dir, 'vault.db'), { readonly: true, fileMustExist: true });
  const tables: Record<string, unknown[]> = {};
  try {
    const names = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as {
      name: string;
    }[];
    for (const { name } of names) {
      tables[name] = (db.prepare(`SELECT * FROM "${name}" ORDER BY rowid`).all() as Record<string, unknown>[]).map((r) =>
        Object.fromEntries(Object.entries(r).map(([k, v]) => [k, Buffer.isBuffer(v) ? v.toString('hex') : v])),
      );
    }
  } finally {
    db.close();
  }
  const keychain = (await new KeytarSecretStore(vaultId).list()).filter((a) => !a.startsWith('breakglass-probe-')).sort();
  return { tables: JSON.stringify(tables), keychain };
}

function failureOf(t: Transcript): { code: string; seq: number; failure: VerifyFailureCode } {
  expect(t.status, `${t.stdout}\n${t.stderr}`).toBe(4);
  const { error } = t.json<VerifyFailureJson>();
  return { code: error.code, seq: error.details.seq, failure: error.details.failure };
}

/** Runs independent CLI runs a few at a time (the machine has two cores, shared). */
async function inParallel<T>(tasks: readonly (() => Promise<T>)[], width = 3): Promise<T[]> {
  const out: T[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < tasks.length; i = next++) out[i] = await tasks[i]!();
  };
  await Promise.all(Array.from({ length: Math.min(width, tasks.length) }, worker));
  return out;
}

const signingStore = (namespace: string) =>
  openSecretStore(undefined, namespace, () => Promise.reject(new Error('no key store file in this test')));

describe('tampering with the live journal of a vault made by the CLI', () => {
  let world: World;
  let base: string;
  let vaultId = '';
  let requestId = '';
  let rows: Row[] = [];
  let requestSeq = -1;
  let copies = 0;
  let headEpoch = -1;
  let atRest: SigningKeyPair;

  /** A copy of the world's vault (consistent: VACUUM INTO), as a laptop to run the CLI against. */
  function copyVault(label: string): Laptop {
    const name = `copy-${++copies}-${label}`;
    mkdirSync(join(world.root, name), { mode: 0o700 });
    const db = openDb(base);
    try {
      db.prepare('VACUUM INTO ?').run(join(world.root, name, 'vault.db'));
    } finally {
      db.close();
    }
    return laptop(world.root, name);
  }

  const verifyCli = (l: Laptop): Promise<Transcript> => l.run(['--json', 'journal', 'verify']);

  /** The chain head after the base journal's last entry (a key.rotate, so the next epoch). */
  const headAfter = (last: Row): ChainHead => ({
    journal: parse(last).journal,
    nextSeq: last.seq + 1,
    prev: b64(last.hash),
    epoch: parse(last).epoch + 1,
  });

  beforeAll(async () => {
    if (process.env['BREAKGLASS_KEYCHAIN_READY'] !== '1') throw new Error('run through `bash scripts/with-keychain.sh npx vitest run ...`');
    world = await buildWorld();
    base = world.vault.vault;
    // For variety, a request approved in person by two holders and unsealed with a reveal.
    requestId = await world.request();
    for (const holder of ['alice', 'bob'])
      expectStatus(
        await world.vault.run(['approve', requestId, '--holder', holder, '--yes'], { passphraseOf: holder }),
        0,
        `approve ${holder}`,
      );
    const unsealed = expectStatus(await world.vault.run(['unseal', requestId, '--reveal']), 0, 'unseal');
    expect(unsealed.stdout).toBe(`${world.secret}\n`);
    rows = readRows(base);
    const db = openDb(base);
    vaultId = (db.prepare("SELECT value FROM meta WHERE key = 'vault_id'").get() as { value: string }).value;
    db.close();
    requestSeq = rows.find((r) => parse(r).kind === 'request.create')!.seq;
    headEpoch = parse(rows[rows.length - 1]!).epoch + 1;
    // The key at rest: what someone who takes the laptop finds in its keychain.
    atRest = JSON.parse((await new KeytarSecretStore(vaultId).get(`journal-epoch:${headEpoch}`))!) as SigningKeyPair;
  }, 240_000);
  afterAll(() => world?.cleanup());

  it('starts from a journal that verifies, ending in a key.rotate, with the keychain holding only the next key', async () => {
    const t = expectStatus(await world.vault.run(['--json', 'journal', 'verify']), 0, 'journal verify');
    const { report } = t.json<{ report: VerifyReport }>();
    expect(report).toMatchObject({ ok: true, failure: null, count: rows.length, epoch: headEpoch, epochKey: atRest.publicKey, flags: [] });
    expect(parse(rows[rows.length - 1]!).kind).toBe('key.rotate');
    expect(rows.map((r) => parse(r).kind)).toEqual(
      expect.arrayContaining([
        'journal.genesis',
        'member.add',
        'policy.set',
        'credential.seal',
        'request.create',
        'approval.accept',
        'credential.unseal',
        'credential.reveal',
      ]),
    );
    const epochKeys = (await new KeytarSecretStore(vaultId).list()).filter((a) => a.startsWith('journal-epoch:'));
    // The current epoch's key, and the next epoch's key that the last commit pre-generated.
    expect(new Set(epochKeys)).toEqual(new Set([`journal-epoch:${headEpoch}`, `journal-epoch:${headEpoch + 1}`]));
  });

  describe('the append-only triggers', () => {
    it('abort UPDATE and DELETE of journal rows, and the file is unchanged', async () => {
      const copy = copyVault('triggers');
      const db = openDb(copy.vault);
      try {
        expect(() => db.prepare('UPDATE journal SET sig = ? WHERE seq = ?').run(Buffer.alloc(64), requestSeq)).toThrow(/append-only/);
        expect(() => db.prepare('UPDATE journal SET seq = seq + 100 WHERE seq = ?').run(rows.length - 1)).toThrow(/append-only/);
        expect(() => db.prepare('DELETE FROM journal WHERE seq = ?').run(rows.length - 1)).toThrow(/append-only/);
        expect(() => db.prepare('DELETE FROM journal').run()).toThrow(/append-only/);
        expect(() =>
          db
            .prepare(
              'INSERT INTO journal (seq, bytes, hash, sig) VALUES (?, ?, ?, ?) ON CONFLICT(seq) DO UPDATE SET bytes = excluded.bytes',
            )
            .run(requestSeq, Buffer.from('x'), Buffer.alloc(32), Buffer.alloc(64)),
        ).toThrow(/append-only/);
      } finally {
        db.close();
      }
      expect(readRows(copy.vault)).toEqual(rows);
      expectStatus(await verifyCli(copy), 0, 'journal verify after refused edits');
    });

    it('abort INSERT OR REPLACE over an existing row (REPLACE deletes without firing the delete trigger)', async () => {
      const copy = copyVault('replace');
      const db = openDb(copy.vault);
      try {
        for (const sql of [
          'INSERT OR REPLACE INTO journal (seq, bytes, hash, sig) VALUES (?, ?, ?, ?)',
          'REPLACE INTO journal (seq, bytes, hash, sig) VALUES (?, ?, ?, ?)',
          'INSERT OR IGNORE INTO journal (seq, bytes, hash, sig) VALUES (?, ?, ?, ?)',
        ]) {
          expect(() => db.prepare(sql).run(requestSeq, Buffer.from('{}'), Buffer.alloc(32), Buffer.alloc(64)), sql).toThrow(/append-only/);
        }
      } finally {
        db.close();
      }
      expect(readRows(copy.vault)).toEqual(rows);
      expectStatus(await verifyCli(copy), 0, 'journal verify after refused edits');
    });
  });

  describe('single-bit flips in the rows', () => {
    it('of every field of every row, sampled bytes, all 8 bits: the vault names TAMPER / TAMPER / BAD_SIGNATURE at that seq when it opens', async () => {
      // The exhaustive table runs on the same verifier in test/unit/journal/verify.test.ts; here
      // the flips go into the live file, and the check is the one the vault does at open.
      const copy = copyVault('flips');
      const db = openDb(copy.vault);
      db.pragma('synchronous = OFF');
      db.exec('DROP TRIGGER journal_no_update');
      let state = 0x9e3779b9;
      const nextInt = (n: number): number => {
        state = (Math.imul(state ^ (state >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
        return state % n;
      };
      const mismatches: string[] = [];
      let cases = 0;
      try {
        for (const row of rows) {
          for (const field of ['bytes', 'hash', 'sig'] as const) {
            const expected = field === 'sig' ? 'BAD_SIGNATURE' : 'TAMPER';
            const len = row[field].length;
            for (const pos of new Set([0, len - 1, nextInt(len), nextInt(len)])) {
              for (let bit = 0; bit < 8; bit++) {
                const flipped = Buffer.from(row[field]);
                flipped[pos]! ^= 1 << bit;
                db.prepare(`UPDATE journal SET ${field} = ? WHERE seq = ?`).run(flipped, row.seq);
                const session = await VaultSession.open(copy.vault, signingStore, { write: false });
                const f = session.report.failure;
                await session.close();
                cases += 1;
                if (f?.code !== expected || f.seq !== row.seq)
                  mismatches.push(`seq ${row.seq} ${field}[${pos}] bit ${bit}: ${f ? `${f.code}@${f.seq}` : 'ok'}`);
                db.prepare(`UPDATE journal SET ${field} = ? WHERE seq = ?`).run(row[field], row.seq);
              }
            }
          }
        }
      } finally {
        db.close();
      }
      expect(mismatches).toEqual([]);
      expect(cases).toBeGreaterThanOrEqual(rows.length * 3 * 8 * 2);
      expect(readRows(copy.vault)).toEqual(rows);
    }, 120_000);

    it('in the first, a middle and the last row, through `journal verify --json`: exit 4 with the seq and the code', async () => {
      const cases = [0, requestSeq, rows.length - 1].flatMap((seq) =>
        (['bytes', 'hash', 'sig'] as const).map((field) => ({ seq, field, expected: field === 'sig' ? 'BAD_SIGNATURE' : 'TAMPER' })),
      );
      const copies = cases.map((c) => {
        const copy = copyVault(`flip-${c.seq}-${c.field}`);
        tamper(copy.vault, (db) => {
          const value = Buffer.from(rows[c.seq]![c.field]);
          value[value.length >> 1]! ^= 0x10;
          db.prepare(`UPDATE journal SET ${c.field} = ? WHERE seq = ?`).run(value, c.seq);
        });
        return copy;
      });
      // Independent copies, so the CLI runs can overlap.
      const transcripts = await inParallel(copies.map((copy) => () => verifyCli(copy)));
      cases.forEach((c, i) => {
        expect({ ...c, got: failureOf(transcripts[i]!) }).toEqual({
          ...c,
          got: { code: 'JOURNAL_TAMPERED', seq: c.seq, failure: c.expected },
        });
      });
    }, 120_000);
  });

  describe('rows edited by raw SQL with the triggers dropped: `journal verify --json` exits 4', () => {
    const cases: { name: string; edit: (db: Database.Database) => void; seq: () => number; failure: VerifyFailureCode }[] = [
      {
        name: "the request's reason rewritten (bytes only): TAMPER",
        edit: (db) => {
          const row = rows[requestSeq]!;
          const text = row.bytes.toString('utf8').replace('WAN down, IdP unreachable', 'routine maintenance, nothing');
          expect(text).not.toBe(row.bytes.toString('utf8'));
          db.prepare('UPDATE journal SET bytes = ? WHERE seq = ?').run(Buffer.from(text, 'utf8'), requestSeq);
        },
        seq: () => requestSeq,
        failure: 'TAMPER',
      },
      {
        name: "the request's reason rewritten and its hash recomputed: BAD_SIGNATURE",
        edit: (db) => {
          const entry = parse(rows[requestSeq]!) as unknown as { data: { request: { reason: string } } };
          entry.data.request.reason = 'routine maintenance, nothing';
          setRow(db, requestSeq, { ...rehash(entry as unknown as Record<string, unknown>), sig: rows[requestSeq]!.sig });
        },
        seq: () => requestSeq,
        failure: 'BAD_SIGNATURE',
      },
      {
        name: 'an old entry rewritten and re-signed with the key at rest: BAD_SIGNATURE',
        edit: (db) => {
          const entry = parse(rows[requestSeq]!) as unknown as Record<string, unknown>;
          const { bytes, hash } = rehash({ ...entry, actor: 'alice' });
          setRow(db, requestSeq, { bytes, hash, sig: signBytes(atRest, hash) });
        },
        seq: () => requestSeq,
        failure: 'BAD_SIGNATURE',
      },
      {
        name: 'the signature removed (an unsigned entry): BAD_SIGNATURE',
        edit: (db) => db.prepare('UPDATE journal SET sig = ? WHERE seq = ?').run(Buffer.alloc(0), requestSeq + 1),
        seq: () => requestSeq + 1,
        failure: 'BAD_SIGNATURE',
      },
      {
        name: 'a middle row deleted: GAP',
        edit: (db) => db.prepare('DELETE FROM journal WHERE seq = ?').run(requestSeq),
        seq: () => requestSeq,
        failure: 'GAP',
      },
      {
        name: 'a middle row deleted and the later rows renumbered to close the hole: GAP (the row says another seq)',
        edit: (db) => {
          db.prepare('DELETE FROM journal WHERE seq = ?').run(requestSeq);
          for (let s = requestSeq + 1; s < rows.length; s++) db.prepare('UPDATE journal SET seq = ? WHERE seq = ?').run(s - 1, s);
        },
        seq: () => requestSeq,
        failure: 'GAP',
      },
      {
        name: 'two rows swapped (reordered): GAP',
        edit: (db) => {
          setRow(db, requestSeq, rows[requestSeq + 1]!);
          setRow(db, requestSeq + 1, rows[requestSeq]!);
        },
        seq: () => requestSeq,
        failure: 'GAP',
      },
      {
        name: 'a row duplicated over the next one: GAP',
        edit: (db) => setRow(db, requestSeq + 1, rows[requestSeq]!),
        seq: () => requestSeq + 1,
        failure: 'GAP',
      },
      {
        name: 'a copy of an old row appended at the end: GAP',
        edit: (db) => putRow(db, { ...rows[requestSeq]!, seq: rows.length }),
        seq: () => rows.length,
        failure: 'GAP',
      },
      {
        name: "a forged entry appended, chained correctly but signed with the forger's own key: BAD_SIGNATURE",
        edit: (db) =>
          putRow(
            db,
            makeEntry(
              headAfter(rows[rows.length - 1]!),
              { kind: 'credential.reseal', actor: 'vault', subject: 'prod-db-root', data: {} },
              generateSigningKeyPair(),
            ),
          ),
        seq: () => rows.length,
        failure: 'BAD_SIGNATURE',
      },
      {
        name: "an entry of another journal (alice's laptop) put in at the same seq: CHAIN_BREAK",
        edit: (db) => setRow(db, 2, readRows(world.laptops['alice']!.vault)[2]!),
        seq: () => 2,
        failure: 'CHAIN_BREAK',
      },
      {
        name: "the journal id in the vault's meta changed: CHAIN_BREAK at 0",
        edit: (db) => db.prepare("UPDATE meta SET value = 'j-0000000000000000' WHERE key = 'journal_id'").run(),
        seq: () => 0,
        failure: 'CHAIN_BREAK',
      },
      {
        name: 'an older-format entry (v 0), hashed and signed with the key at rest, appended: DOWNGRADE',
        edit: (db) => {
          const head = headAfter(rows[rows.length - 1]!);
          const { bytes, hash } = rehash({
            v: 0,
            journal: head.journal,
            seq: head.nextSeq,
            prev: head.prev,
            epoch: head.epoch,
            kind: 'credential.reseal',
            time: Date.now(),
            mono: 1,
            run: 'forged',
            actor: 'vault',
            subject: 'prod-db-root',
            data: {},
          });
          putRow(db, { seq: head.nextSeq, bytes, hash, sig: signBytes(atRest, hash) });
        },
        seq: () => rows.length,
        failure: 'DOWNGRADE',
      },
      {
        name: 'a key.rotate certifying a malformed key, signed with the key at rest, appended: BAD_KEY',
        edit: (db) => {
          const head = headAfter(rows[rows.length - 1]!);
          putRow(
            db,
            makeEntry(
              head,
              { kind: 'key.rotate', actor: 'vault', subject: head.journal, data: { next: 'not-a-key', epoch: head.epoch + 1 } },
              atRest,
            ),
          );
        },
        seq: () => rows.length,
        failure: 'BAD_KEY',
      },
      {
        name: 'the tail cut (from the unseal on) and an entry appended with the key at rest, in its own epoch: EPOCH_MISMATCH',
        edit: (db) => {
          const cut = rows.find((r) => parse(r).kind === 'credential.unseal')!.seq;
          db.prepare('DELETE FROM journal WHERE seq >= ?').run(cut);
          const head = { ...headAfter(rows[cut - 1]!), epoch: headEpoch };
          putRow(
            db,
            makeEntry(
              head,
              { kind: 'window.close', actor: 'operator', subject: 'prod-db-root', data: { request: requestId, reason: 'closed' } },
              atRest,
            ),
          );
        },
        seq: () => rows.find((r) => parse(r).kind === 'credential.unseal')!.seq,
        failure: 'EPOCH_MISMATCH',
      },
      {
        name: 'the tail cut and an entry appended with the key at rest, claiming the epoch of the cut journal: BAD_SIGNATURE',
        edit: (db) => {
          const cut = rows.find((r) => parse(r).kind === 'credential.unseal')!.seq;
          db.prepare('DELETE FROM journal WHERE seq >= ?').run(cut);
          putRow(
            db,
            makeEntry(
              headAfter(rows[cut - 1]!),
              { kind: 'window.close', actor: 'operator', subject: 'prod-db-root', data: { request: requestId, reason: 'closed' } },
              atRest,
            ),
          );
        },
        seq: () => rows.find((r) => parse(r).kind === 'credential.unseal')!.seq,
        failure: 'BAD_SIGNATURE',
      },
      {
        name: 'the tail cut, including the last key.rotate, and nothing appended: EPOCH_MISMATCH from the keychain, which holds a later epoch key',
        edit: (db) => db.prepare('DELETE FROM journal WHERE seq >= ?').run(rows.length - 2),
        seq: () => rows.length - 2,
        failure: 'EPOCH_MISMATCH',
      },
    ];

    // Each case on its own copy; the CLI runs overlap, and each case reports on its own.
    const outcomes = new Map<string, Transcript>();
    beforeAll(async () => {
      const copies = cases.map((c) => {
        const copy = copyVault('edit');
        tamper(copy.vault, c.edit);
        return copy;
      });
      const transcripts = await inParallel(copies.map((copy) => () => verifyCli(copy)));
      cases.forEach((c, i) => outcomes.set(c.name, transcripts[i]!));
    }, 180_000);

    for (const c of cases) {
      it(c.name, () => {
        expect(failureOf(outcomes.get(c.name)!)).toEqual({ code: 'JOURNAL_TAMPERED', seq: c.seq(), failure: c.failure });
      });
    }
  });

  describe('a vault whose journal does not verify changes nothing', () => {
    const REQUEST = requestArgs({ reason: 'again', incident: 'INC-4712' });

    /** Runs commands that would change the vault (or reveal) and checks each is refused, changing nothing. */
    const refusals = async (copy: Laptop, failure: VerifyFailureCode, seq: number, commands: string[][]): Promise<void> => {
      const before = await snapshot(copy.vault, vaultId);
      // The plaintext path: exit 4, and no secret on stdout.
      const reveal = await copy.run(['unseal', requestId, '--reveal']);
      expect(reveal.status).toBe(4);
      expect(reveal.stdout).not.toContain(world.secret);
      expect(reveal.stderr).toMatch(new RegExp(`^breakglass: JOURNAL_TAMPERED: .*${failure}`));
      for (const args of commands) {
        const t = await copy.run(['--json', ...args], { passphraseOf: 'dave' });
        expect({ args, got: failureOf(t) }).toEqual({ args, got: { code: 'JOURNAL_TAMPERED', seq, failure } });
        expect(t.stdout).not.toContain(world.secret);
      }
      expect(await snapshot(copy.vault, vaultId)).toEqual(before);
    };

    it('an edited row: unseal --reveal, unseal, request and close exit 4 JOURNAL_TAMPERED (TAMPER)', async () => {
      const copy = copyVault('refuse-tamper');
      tamper(copy.vault, (db) => {
        const value = Buffer.from(rows[requestSeq]!.bytes);
        value[10]! ^= 0x01;
        db.prepare('UPDATE journal SET bytes = ? WHERE seq = ?').run(value, requestSeq);
      });
      await refusals(copy, 'TAMPER', requestSeq, [['unseal', requestId], REQUEST, ['close', 'prod-db-root']]);
    });

    it('a cut tail: unseal --reveal and close exit 4 JOURNAL_TAMPERED (EPOCH_MISMATCH), keychain untouched', async () => {
      // The cut journal verifies on its own; the vault finds out when it needs its signing key,
      // which is before anything is committed or revealed. (A request would be refused earlier,
      // with STATE_CONFLICT: the credential is unsealed.)
      const copy = copyVault('refuse-cut');
      const cut = rows.find((r) => parse(r).kind === 'credential.unseal')!.seq;
      tamper(copy.vault, (db) => db.prepare('DELETE FROM journal WHERE seq >= ?').run(cut));
      expect(failureOf(await verifyCli(copy))).toEqual({ code: 'JOURNAL_TAMPERED', seq: cut, failure: 'EPOCH_MISMATCH' });
      await refusals(copy, 'EPOCH_MISMATCH', cut, [['close', 'prod-db-root']]);
    });

    it('a cut tail: the read views (list, journal show) still show what is there, with a warning naming the cut', async () => {
      const copy = copyVault('show-cut');
      const cut = rows.find((r) => parse(r).kind === 'credential.unseal')!.seq;
      tamper(copy.vault, (db) => db.prepare('DELETE FROM journal WHERE seq >= ?').run(cut));
      const before = await snapshot(copy.vault, vaultId);
      const show = expectStatus(await copy.run(['journal', 'show']), 0, 'journal show on a cut journal');
      expect(show.stdout.trim().split('\n')).toHaveLength(cut);
      const list = expectStatus(await copy.run(['list']), 0, 'list on a cut journal');
      expect(list.stdout).toContain('prod-db-root');
      for (const t of [show, list]) {
        expect(t.stderr).toContain(`warning: the journal does not verify (EPOCH_MISMATCH at seq ${cut})`);
      }
      expect(await snapshot(copy.vault, vaultId)).toEqual(before);
      // The intact vault shows no warning.
      for (const args of [['journal', 'show'], ['list']]) {
        expect(expectStatus(await world.vault.run(args), 0, args.join(' ')).stderr).not.toContain('warning');
      }
    });
  });

  describe('exports, verified by a third party with the genesis key', () => {
    let exportFile = '';
    let genesisKey = '';
    let lines: string[] = [];
    const verifyFile = (text: string, key = genesisKey): Promise<Transcript> => {
      const file = world.file(`export-${++copies}.jsonl`, text);
      return run(['--json', 'journal', 'verify', '--file', file, '--genesis-key', key]);
    };

    beforeAll(async () => {
      exportFile = join(world.root, 'journal.jsonl');
      const t = expectStatus(await world.vault.run(['--json', 'journal', 'export', '--out', exportFile]), 0, 'journal export');
      const out = t.json<{ entries: number; journalGenesisKey: string; journal: string }>();
      expect(out.entries).toBe(rows.length);
      genesisKey = out.journalGenesisKey;
      lines = readFileSync(exportFile, 'utf8').split('\n').slice(0, -1);
    });

    it('the export holds every row verbatim and verifies with no vault', async () => {
      expect(genesisKey).toBe(parse(rows[0]!).data['key']);
      expect(lines.map((l) => JSON.parse(l) as { hash: string; sig: string })).toEqual(
        rows.map((r) => ({ entry: parse(r), hash: b64(r.hash), sig: b64(r.sig) })),
      );
      const t = expectStatus(
        await run(['--json', 'journal', 'verify', '--file', exportFile, '--genesis-key', genesisKey]),
        0,
        'verify export',
      );
      expect(t.json<{ report: VerifyReport }>().report).toMatchObject({ ok: true, count: rows.length, epoch: headEpoch });
    });

    it('edited exports fail with the right code and seq', async () => {
      const text = (ls: readonly string[]): string => ls.map((l) => `${l}\n`).join('');
      const mutate = (f: (ls: string[]) => void): string => {
        const ls = [...lines];
        f(ls);
        return text(ls);
      };
      const withSig = (line: string, sig: string): string => `${line.slice(0, line.lastIndexOf('"sig":"'))}"sig":"${sig}"}`;
      const other = join(world.root, 'alice.jsonl');
      expectStatus(await world.laptops['alice']!.run(['journal', 'export', '--out', other]), 0, 'export alice');
      const aliceText = readFileSync(other, 'utf8');
      const k = requestSeq;
      const cases: { name: string; text: string; key?: string; seq: number; failure: VerifyFailureCode }[] = [
        { name: 'reason edited', text: mutate((ls) => (ls[k] = ls[k]!.replace('WAN down', 'WAN fine'))), seq: k, failure: 'TAMPER' },
        {
          name: 'reason edited, hash recomputed',
          text: mutate((ls) => {
            const rec = JSON.parse(ls[k]!.replace('WAN down', 'WAN fine')) as { entry: Record<string, unknown>; sig: string };
            ls[k] = `{"entry":${canonicalize(rec.entry)},"hash":"${b64(rehash(rec.entry).hash)}","sig":"${rec.sig}"}`;
          }),
          seq: k,
          failure: 'BAD_SIGNATURE',
        },
        {
          name: 'the signature of the line before',
          text: mutate((ls) => (ls[k] = withSig(ls[k]!, b64(rows[k - 1]!.sig)))),
          seq: k,
          failure: 'BAD_SIGNATURE',
        },
        { name: 'no signature', text: mutate((ls) => (ls[k] = withSig(ls[k]!, ''))), seq: k, failure: 'BAD_SIGNATURE' },
        { name: 'line deleted', text: mutate((ls) => ls.splice(k, 1)), seq: k, failure: 'GAP' },
        { name: 'lines swapped', text: mutate((ls) => ([ls[k], ls[k + 1]] = [ls[k + 1]!, ls[k]!])), seq: k, failure: 'GAP' },
        { name: 'line duplicated', text: mutate((ls) => ls.splice(k, 0, ls[k]!)), seq: k + 1, failure: 'GAP' },
        {
          name: "a line of alice's journal at the same seq",
          text: mutate((ls) => (ls[2] = aliceText.split('\n')[2]!)),
          seq: 2,
          failure: 'CHAIN_BREAK',
        },
        { name: 'a line that is not JSON', text: mutate((ls) => (ls[k] = ls[k]!.slice(0, -1))), seq: k, failure: 'TAMPER' },
        { name: 'wrong genesis key pinned', text: text(lines), key: generateSigningKeyPair().publicKey, seq: 0, failure: 'BAD_KEY' },
        { name: "alice's whole journal under this vault's genesis key", text: aliceText, seq: 0, failure: 'BAD_KEY' },
      ];
      const transcripts = await inParallel(cases.map((c) => () => verifyFile(c.text, c.key)));
      cases.forEach((c, i) => {
        if (c.key === undefined) expect(c.text).not.toBe(text(lines));
        expect({ name: c.name, got: failureOf(transcripts[i]!) }).toEqual({
          name: c.name,
          got: { code: 'JOURNAL_TAMPERED', seq: c.seq, failure: c.failure },
        });
      });
    });

    it('a genesis key that starts with a dash (one key in 64) is read as the key, wherever --genesis-key stands', async () => {
      let key = generateSigningKeyPair();
      while (!key.publicKey.startsWith('-')) key = generateSigningKeyPair();
      const journal = 'j-00000000000000d5';
      const genesis = makeEntry(
        { journal, nextSeq: 0, prev: '', epoch: 0 },
        { kind: 'journal.genesis', actor: 'vault', subject: 'v-dash', data: { key: key.publicKey, vault: 'v-dash', name: 'dash' } },
        key,
      );
      const head = advanceHead({ journal, nextSeq: 0, prev: '', epoch: 0 }, genesis, 'journal.genesis');
      const rotate = makeEntry(
        head,
        { kind: 'key.rotate', actor: 'vault', subject: journal, data: { next: generateSigningKeyPair().publicKey, epoch: 1 } },
        key,
      );
      const file = world.file('dash.jsonl', `${exportLine(genesis)}\n${exportLine(rotate)}\n`);
      for (const args of [
        ['--file', file, '--genesis-key', key.publicKey],
        ['--genesis-key', key.publicKey, '--file', file],
      ]) {
        const t = expectStatus(await run(['--json', 'journal', 'verify', ...args]), 0, `verify ${args[0]} first`);
        expect(t.json<{ report: VerifyReport }>().report).toMatchObject({ ok: true, count: 2, genesisKey: key.publicKey });
      }
      // A missing value is still an error, not the next option taken for a key.
      const missing = expectStatus(await run(['--json', 'journal', 'verify', '--genesis-key', '--file', file]), 2, 'no key');
      expect(missing.json<{ error: { code: string } }>().error.code).toBe('BAD_ARGUMENTS');
    });

    it('a genesis key to pin against that is weak or mistyped is BAD_KEY (exit 4) before the file is read: the identity point would let anyone sign', async () => {
      const identity = Buffer.alloc(32);
      identity[0] = 1;
      for (const key of [b64(identity), genesisKey.slice(0, -1)]) {
        const t = expectStatus(await verifyFile(lines.join('\n') + '\n', key), 4, `weak key ${key}`);
        const error = t.json<{ error: { code: string; message: string } }>().error;
        expect(error).toMatchObject({ code: 'BAD_KEY' });
        expect(error.message).toMatch(/genesis key to check against is not a valid Ed25519 public key/);
      }
    });

    it('an export cut at the end still verifies: on its own it cannot show what is missing (receipts and holder journals do)', async () => {
      const t = expectStatus(await verifyFile(lines.slice(0, requestSeq).join('\n') + '\n'), 0, 'verify cut export');
      expect(t.json<{ report: VerifyReport }>().report).toMatchObject({ ok: true, count: requestSeq });
    });

    it('a vault whose journal does not verify refuses to export it', async () => {
      const copy = copyVault('export-tampered');
      tamper(copy.vault, (db) => db.prepare('UPDATE journal SET sig = ? WHERE seq = ?').run(Buffer.alloc(64), requestSeq));
      const out = join(world.root, 'tampered.jsonl');
      expect(failureOf(await copy.run(['--json', 'journal', 'export', '--out', out]))).toEqual({
        code: 'JOURNAL_TAMPERED',
        seq: requestSeq,
        failure: 'BAD_SIGNATURE',
      });
      expect(() => readFileSync(out)).toThrow(/ENOENT/);
    });

    // Bug (reported): exportJournal only checks the chain, not the keychain, so it exports a journal
    // that `journal verify` rejects. The export itself cannot show the cut (see the test above).
    it('a vault whose journal was cut refuses to export it, as `journal verify` does (EPOCH_MISMATCH)', async () => {
      const copy = copyVault('export-cut');
      const cut = rows.length - 2;
      tamper(copy.vault, (db) => db.prepare('DELETE FROM journal WHERE seq >= ?').run(cut));
      const out = join(world.root, 'cut.jsonl');
      expect(failureOf(await copy.run(['--json', 'journal', 'export', '--out', out]))).toEqual({
        code: 'JOURNAL_TAMPERED',
        seq: cut,
        failure: 'EPOCH_MISMATCH',
      });
      expect(() => readFileSync(out)).toThrow(/ENOENT/);
    });
  });

  describe('journal show', () => {
    it('--kind request.create lists exactly the request entries', async () => {
      const t = expectStatus(await world.vault.run(['--json', 'journal', 'show', '--kind', 'request.create']), 0, 'show --kind');
      const { entries } = t.json<{ entries: JournalEntry[] }>();
      expect(entries.map((e) => e.seq)).toEqual(rows.filter((r) => parse(r).kind === 'request.create').map((r) => r.seq));
      expect(entries).toEqual([parse(rows[requestSeq]!)]);
      expect((entries[0]!.data as { request: { id: string } }).request.id).toBe(requestId);
      const human = expectStatus(await world.vault.run(['journal', 'show', '--kind', 'request.create']), 0, 'show --kind (text)');
      expect(human.stdout.split('\n').filter(Boolean)).toEqual([
        expect.stringMatching(
          new RegExp(
            `^ +${requestSeq}  \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d [+-]\\d\\d:\\d\\d  e\\d+  request.create +dave -> prod-db-root  ${requestId} trigger=network-outage incident=INC-4711 reason="WAN down, IdP unreachable"$`,
          ),
        ),
      ]);
    });

    it('--since SEQ lists the entries from SEQ on, one line each', async () => {
      const since = requestSeq - 1;
      const t = expectStatus(await world.vault.run(['--json', 'journal', 'show', '--since', String(since)]), 0, 'show --since');
      expect(t.json<{ entries: JournalEntry[] }>().entries).toEqual(rows.slice(since).map(parse));
      const human = expectStatus(await world.vault.run(['journal', 'show', '--since', String(since)]), 0, 'show --since (text)');
      const shown = human.stdout.split('\n').filter(Boolean);
      expect(shown.map((l) => Number(l.trim().split(/\s+/)[0]))).toEqual(rows.slice(since).map((r) => r.seq));
      expect(shown.every((l, i) => l.includes(parse(rows[since + i]!).kind))).toBe(true);
      // Combined, and past the end.
      const both = expectStatus(
        await world.vault.run(['--json', 'journal', 'show', '--since', String(requestSeq + 1), '--kind', 'request.create']),
        0,
        'show both',
      );
      expect(both.json<{ entries: unknown[] }>().entries).toEqual([]);
      expect(
        expectStatus(await world.vault.run(['--json', 'journal', 'show', '--since', String(rows.length)]), 0, 'show past end').json<{
          entries: unknown[];
        }>().entries,
      ).toEqual([]);
    });

    it('refuses an unknown kind and a bad --since with exit 2', async () => {
      for (const args of [
        ['--kind', 'request.created'],
        ['--since', '-1'],
        ['--since', 'x'],
      ]) {
        const t = await world.vault.run(['--json', 'journal', 'show', ...args]);
        expect({ args, status: t.status, code: t.json<{ error: { code: string } }>().error.code }).toEqual({
          args,
          status: 2,
          code: 'BAD_ARGUMENTS',
        });
      }
    });
  });
});

describe('the keychain and the clock, on a vault of its own', () => {
  // A fresh vault (init only), so that changing its keychain or committing disturbs no other test.
  const { dir, cleanup } = tempDir('bgv-keychain-');
  const l = laptop(dir, 'vault');
  let vaultId = '';
  const store = (): KeytarSecretStore => new KeytarSecretStore(vaultId);
  const state = async (): Promise<{ epoch: number; count: number; keys: string[] }> => {
    const { report } = expectStatus(await l.run(['--json', 'journal', 'verify']), 0, 'journal verify').json<{ report: VerifyReport }>();
    const keys = (await store().list())
      .filter((a) => a.startsWith('journal-epoch:'))
      .sort((a, b) => Number(a.split(':')[1]) - Number(b.split(':')[1]));
    return { epoch: report.epoch, count: report.count, keys };
  };

  /** Runs a write (policy set), then expects one commit more and exactly its key and the next one. */
  const expectOneCommitLater = async ({ epoch, count }: { epoch: number; count: number }): Promise<void> => {
    writeFileSync(join(dir, 'policy.yaml'), examplePolicy());
    expectStatus(await l.run(['policy', 'set', join(dir, 'policy.yaml')]), 0, 'policy set');
    expect(await state()).toEqual({
      epoch: epoch + 1,
      count: count + 2,
      keys: [`journal-epoch:${epoch + 1}`, `journal-epoch:${epoch + 2}`],
    });
  };

  beforeAll(async () => {
    vaultId = expectStatus(await l.run(['--json', 'init', '--name', 'keychain']), 0, 'init').json<{ vault: string }>().vault;
  });
  afterAll(() => cleanup());

  it('a wall clock set back verifies, with a CLOCK_ANOMALY flag at the first entry written after it', async () => {
    const session = await VaultSession.open(l.vault, signingStore, { write: true });
    const seq = session.head.nextSeq;
    const clock = vi.spyOn(Date, 'now').mockReturnValue(Date.now() - 10 * 60_000);
    try {
      await setPolicy(session, examplePolicy());
    } finally {
      clock.mockRestore();
      await session.close();
    }
    const t = expectStatus(await l.run(['--json', 'journal', 'verify']), 0, 'journal verify');
    const { report } = t.json<{ report: VerifyReport }>();
    expect(report).toMatchObject({ ok: true, failure: null, count: seq + 2 });
    expect(report.flags.map((f) => ({ seq: f.seq, code: f.code }))).toEqual([{ seq, code: 'CLOCK_ANOMALY' }]);
    const human = expectStatus(await l.run(['journal', 'verify']), 0, 'journal verify (text)');
    expect(human.stdout).toContain(`flag at seq ${seq}: CLOCK_ANOMALY: wall clock went back`);
  });

  it('keys an interrupted commit left behind (the previous epoch, or beyond the next) do not fail the journal, and the next write erases them', async () => {
    const { epoch, count, keys } = await state();
    // At rest: the current key and the pre-generated next one.
    expect(keys).toEqual([`journal-epoch:${epoch}`, `journal-epoch:${epoch + 1}`]);
    // A crash after the transaction but before the old key was erased leaves the previous epoch's
    // key; a replaced next key is still just an uncertified next key; anything further is stale.
    await store().set(`journal-epoch:${epoch + 1}`, JSON.stringify(generateSigningKeyPair()));
    await store().set(`journal-epoch:${epoch - 1}`, JSON.stringify(generateSigningKeyPair()));
    await store().set(`journal-epoch:${epoch + 2}`, JSON.stringify(generateSigningKeyPair()));
    const planted = [epoch - 1, epoch, epoch + 1, epoch + 2].map((e) => `journal-epoch:${e}`);
    // journal verify reads and holds no lock: it verifies, and leaves the keychain to writers.
    expect(await state()).toEqual({ epoch, count, keys: planted });
    // A write holds the lock: it erases the stale keys and certifies the replaced next key.
    await expectOneCommitLater({ epoch, count });
  });

  it('a damaged pre-generated next key is replaced, and the next commit still verifies', async () => {
    const { epoch, count } = await state();
    await store().set(`journal-epoch:${epoch + 1}`, 'not a key');
    await expectOneCommitLater({ epoch, count });
  });

  it('a different key for the last epoch in the keychain: exit 4, BAD_KEY at the head', async () => {
    const { epoch, count } = await state();
    const account = `journal-epoch:${epoch}`;
    const original = (await store().get(account))!;
    await store().set(account, JSON.stringify(generateSigningKeyPair()));
    try {
      expect(failureOf(await l.run(['--json', 'journal', 'verify']))).toEqual({ code: 'JOURNAL_TAMPERED', seq: count, failure: 'BAD_KEY' });
      // And it signs nothing with it.
      writeFileSync(join(dir, 'policy.yaml'), examplePolicy());
      expect(failureOf(await l.run(['--json', 'policy', 'set', join(dir, 'policy.yaml')]))).toEqual({
        code: 'JOURNAL_TAMPERED',
        seq: count,
        failure: 'BAD_KEY',
      });
    } finally {
      await store().set(account, original);
    }
    expect((await state()).count).toBe(count);
  });

  it('no journal key at all: exit 4, TAIL_UNPROVEN (a cut tail with its keys erased, or a vault folder without its keychain)', async () => {
    const { epoch, count } = await state();
    const accounts = [`journal-epoch:${epoch}`, `journal-epoch:${epoch + 1}`];
    const originals = await Promise.all(accounts.map(async (a) => (await store().get(a))!));
    for (const a of accounts) await store().delete(a);
    try {
      const t = await l.run(['--json', 'journal', 'verify']);
      expect({ status: t.status, code: t.json<{ error: { code: string } }>().error.code }).toEqual({
        status: 4,
        code: 'TAIL_UNPROVEN',
      });
      // The read view still shows the journal, and says that its end cannot be proven.
      const show = expectStatus(await l.run(['journal', 'show']), 0, 'journal show without the journal key');
      expect(show.stdout.trim().split('\n')).toHaveLength(count);
      expect(show.stderr).toContain('warning: the end of the journal cannot be proven (TAIL_UNPROVEN)');
    } finally {
      for (const [i, a] of accounts.entries()) await store().set(a, originals[i]!);
    }
    expect((await state()).count).toBe(count);
  });

  it("the last epoch's key gone while a later one is there: exit 4, EPOCH_MISMATCH (the journal was signed further)", async () => {
    const { epoch, count } = await state();
    const account = `journal-epoch:${epoch}`;
    const original = (await store().get(account))!;
    await store().delete(account);
    try {
      expect(failureOf(await l.run(['--json', 'journal', 'verify']))).toEqual({
        code: 'JOURNAL_TAMPERED',
        seq: count,
        failure: 'EPOCH_MISMATCH',
      });
    } finally {
      await store().set(account, original);
    }
    expect((await state()).count).toBe(count);
  });
});
