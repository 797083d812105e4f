import Database from 'better-sqlite3';
import { join } from 'node:path';
import { expect } from 'vitest';
import { KeytarSecretStore } from '../../../src/keychain/index.js';
import type { Transcript } from '../../helpers/cli.js';

/** A journal entry as the CLI tests read it back from `<vault>/vault.db`. */
export interface JournalRecord {
  readonly seq: number;
  readonly kind: string;
  readonly actor: string;
  readonly subject: string;
  readonly data: Record<string, unknown>;
}

/** Everything a refused command must leave alone: every table but the journal, the journal's length, the keychain. */
export interface VaultSnapshot {
  /** Every table except the journal, as JSON (rows in primary-key order). */
  readonly tables: string;
  readonly journalCount: number;
  /** The account names of this vault's namespace in the OS keychain (epoch keys, request keys). */
  readonly keychain: readonly string[];
}

function openReadOnly(vaultDir: string): Database.Database {
  return new Database(join(vaultDir, 'vault.db'), { readonly: true, fileMustExist: true });
}

/** Reads the state of the vault in `vaultDir`, read-only (the CLI must not be running on it). */
export async function snapshot(vaultDir: string): Promise<VaultSnapshot> {
  const db = openReadOnly(vaultDir);
  let tables: Record<string, unknown[]>;
  let journalCount: number;
  let vaultId: string;
  try {
    const names = (
      db
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'journal' ORDER BY name")
        .all() as { name: string }[]
    ).map((r) => r.name);
    tables = {};
    for (const name of names) {
      // Every table has a primary key; ordering by all columns keeps the JSON stable.
      const cols = (db.prepare(`PRAGMA table_info("${name}")`).all() as { name: string }[]).map((c) => `"${c.name}"`);
      tables[name] = db.prepare(`SELECT * FROM "${name}" ORDER BY ${cols.join(', ')}`).all();
    }
    journalCount = (db.prepare('SELECT count(*) AS n FROM journal').get() as { n: number }).n;
    vaultId = (db.prepare("SELECT value FROM meta WHERE key = 'vault_id'").get() as { value: string }).value;
  } finally {
    db.close();
  }
  const keychain = (await new KeytarSecretStore(vaultId).list()).filter((a) => !a.startsWith('breakglass-probe-')).sort();
  return { tables: JSON.stringify(tables), journalCount, keychain };
}

/** The vault's journal entries from `since` on, parsed from their stored bytes. */
export function journal(vaultDir: string, since = 0): JournalRecord[] {
  const db = openReadOnly(vaultDir);
  try {
    const rows = db.prepare('SELECT seq, bytes FROM journal WHERE seq >= ? ORDER BY seq').all(since) as { seq: number; bytes: Buffer }[];
    return rows.map((r) => {
      const e = JSON.parse(r.bytes.toString('utf8')) as JournalRecord;
      return { seq: r.seq, kind: e.kind, actor: e.actor, subject: e.subject, data: e.data };
    });
  } finally {
    db.close();
  }
}

/** The kinds of the vault's journal entries from `since` on. */
export function kinds(vaultDir: string, since = 0): string[] {
  return journal(vaultDir, since).map((e) => e.kind);
}

/** Asserts that the vault is exactly as `before`: tables, journal length and keychain accounts. */
export async function expectUnchanged(vaultDir: string, before: VaultSnapshot): Promise<void> {
  const after = await snapshot(vaultDir);
  expect(after.tables, 'vault tables changed').toBe(before.tables);
  expect(after.journalCount, 'journal length changed').toBe(before.journalCount);
  expect(after.keychain, 'keychain accounts changed').toEqual(before.keychain);
}

/**
 * Asserts that a refusal was journaled and changed nothing else: the tables are as `before`, the
 * journal grew by exactly one `access.refused` entry (with `code` in its data) and its `key.rotate`,
 * and the keychain only moved to the next epoch key. Returns the refusal entry.
 */
export async function expectRefusalJournaled(vaultDir: string, before: VaultSnapshot, code: string): Promise<JournalRecord> {
  const after = await snapshot(vaultDir);
  expect(after.tables, 'vault tables changed').toBe(before.tables);
  const added = journal(vaultDir, before.journalCount);
  expect(added.map((e) => e.kind)).toEqual(['access.refused', 'key.rotate']);
  const refusal = added[0]!;
  expect(refusal.data['code']).toBe(code);
  const epochOf = (accounts: readonly string[]): number[] =>
    accounts
      .filter((a) => a.startsWith('journal-epoch:'))
      .map((a) => Number(a.slice('journal-epoch:'.length)))
      // The keychain lists accounts in no particular order.
      .sort((a, b) => a - b);
  const others = (accounts: readonly string[]): string[] => accounts.filter((a) => !a.startsWith('journal-epoch:'));
  expect(others(after.keychain), 'keychain accounts other than the epoch key changed').toEqual(others(before.keychain));
  expect(epochOf(after.keychain)).toEqual(epochOf(before.keychain).map((e) => e + 1));
  return refusal;
}

/** The `{ ok: false, error }` object of a --json run, after checking its exit status and that stdout is that one object. */
export function jsonError(t: Transcript, status: number): { code: string; message: string; details: Record<string, unknown> } {
  expect(t.status, `exit status; stdout: ${t.stdout}; stderr: ${t.stderr}`).toBe(status);
  expect(t.stdout.trim().split('\n')).toHaveLength(1);
  const body = t.json<{ ok: boolean; error: { code: string; message: string; details: Record<string, unknown> } }>();
  expect(body.ok).toBe(false);
  return body.error;
}

/** The `{ ok: true, ... }` object of a --json run, after checking exit 0 and that stdout is that one object. */
export function jsonOk<T = Record<string, unknown>>(t: Transcript): T & { ok: true } {
  expect(t.status, `exit status; stdout: ${t.stdout}; stderr: ${t.stderr}`).toBe(0);
  expect(t.stdout.trim().split('\n')).toHaveLength(1);
  const body = t.json<T & { ok: true }>();
  expect(body.ok).toBe(true);
  return body;
}

/** Asserts `actual === expected` for secret material without printing either value on failure. */
export function expectSecretEqual(actual: string | Buffer, expected: string, what: string): void {
  expect(Buffer.from(actual).equals(Buffer.from(expected, 'utf8')), `${what} differs from the expected secret (values not printed)`).toBe(
    true,
  );
}

/** Asserts that none of `secrets` occurs in `text`, without printing them on failure. */
export function expectNoSecret(text: string, secrets: readonly string[], what: string): void {
  const found = secrets.map((s, i) => (text.includes(s) ? i : -1)).filter((i) => i >= 0);
  expect(found, `${what} contains secret #${found.join(', #')} (values not printed)`).toEqual([]);
}
