import type Database from 'better-sqlite3';
import { chmodSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { BreakGlassError } from '../core/errors.js';
import { MIGRATIONS } from './migrations/index.js';
import { sqliteDatabase } from './sqlite-module.js';

export type Db = Database.Database;

/** Opens (creating if asked) a vault database with WAL, synchronous=FULL and foreign keys, then migrates it. */
export function openDatabase(path: string, options: { create: boolean }): Db {
  if (options.create) mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const Sqlite = sqliteDatabase();
  let db: Db;
  try {
    db = new Sqlite(path, { fileMustExist: !options.create });
  } catch (err) {
    throw new BreakGlassError(
      'NOT_INITIALIZED',
      `no vault at ${dirname(path)}; if one should be here, check --vault (or BREAKGLASS_HOME) and that its disk is mounted, or restore the folder from its backup; "breakglass init --name NAME" is only for setting up a new, empty vault`,
      {},
      { cause: err },
    );
  }
  try {
    db.pragma('busy_timeout = 5000');
    // Look before changing anything: an empty or foreign file is not adopted as a vault.
    const version = db.pragma('user_version', { simple: true }) as number;
    if (!options.create && version === 0) {
      throw new BreakGlassError(
        'NOT_INITIALIZED',
        `${path} is not a vault database; run "breakglass init --name NAME" or restore it from a backup`,
      );
    }
    db.pragma('journal_mode = WAL');
    // better-sqlite3's SQLite defaults WAL to NORMAL, which can lose the last commit on power loss.
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    if (db.pragma('synchronous', { simple: true }) !== 2) throw new Error('synchronous=FULL did not take effect');
    migrate(db);
    // The folder is owner-only already; the files are too, so a copy elsewhere keeps that.
    if (options.create) chmodSync(path, 0o600);
    return db;
  } catch (err) {
    db.close();
    throw mapSqliteError(err);
  }
}

/** Applies every migration newer than the database's user_version, each in its own transaction. */
export function migrate(db: Db): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  const latest = MIGRATIONS[MIGRATIONS.length - 1]!.version;
  if (current > latest) {
    throw new BreakGlassError('BAD_INPUT', `this vault was written by a newer version (schema ${current}); upgrade breakglass`);
  }
  for (const m of MIGRATIONS) {
    if (m.version <= current) continue;
    // PRAGMA foreign_keys is a no-op inside a transaction: it is turned off around it, and on again.
    if (m.foreignKeysOff) db.pragma('foreign_keys = OFF');
    try {
      db.transaction(() => {
        // Another process may have migrated meanwhile: the version is read again inside the write.
        if ((db.pragma('user_version', { simple: true }) as number) >= m.version) return;
        db.exec(m.up);
        if (m.foreignKeysOff && (db.pragma('foreign_key_check') as unknown[]).length > 0) {
          throw new BreakGlassError(
            'INTEGRITY_FAILURE',
            `migration ${m.version} would leave rows that refer to nothing; nothing was changed`,
          );
        }
        db.pragma(`user_version = ${m.version}`);
      }).immediate();
    } finally {
      if (m.foreignKeysOff) db.pragma('foreign_keys = ON');
    }
  }
}

/** Turns SQLite's busy and I/O failures into coded errors; anything else passes through unchanged. */
export function mapSqliteError(err: unknown): unknown {
  const code = (err as { code?: unknown }).code;
  if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') {
    return new BreakGlassError(
      'VAULT_BUSY',
      'the vault is busy in another breakglass process; try again when it has finished',
      {},
      { cause: err },
    );
  }
  if (
    typeof code === 'string' &&
    (code.startsWith('SQLITE_IOERR') || code === 'SQLITE_FULL' || code === 'SQLITE_READONLY' || code === 'SQLITE_CANTOPEN')
  ) {
    return new BreakGlassError(
      'IO_ERROR',
      `the vault database could not be written (${code}); check disk space and permissions`,
      {},
      { cause: err },
    );
  }
  if (code === 'SQLITE_CORRUPT' || code === 'SQLITE_NOTADB') {
    return new BreakGlassError(
      'INTEGRITY_FAILURE',
      `the vault database is damaged (${code}); restore it from a backup`,
      {},
      { cause: err },
    );
  }
  return err;
}

/** Who holds a vault's lock, kept beside it while they do, so a refused command can name them. */
interface LockHolder {
  readonly pid: number;
  readonly command: string;
  readonly since: number;
}

const holderPath = (lockPath: string): string => `${lockPath}.holder`;

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists, under another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The live holder recorded beside `lockPath`, or null (none recorded, unreadable, or its process is gone). */
function readHolder(lockPath: string): LockHolder | null {
  try {
    const h = JSON.parse(readFileSync(holderPath(lockPath), 'utf8')) as Partial<LockHolder>;
    if (!Number.isSafeInteger(h.pid) || h.pid! <= 0 || typeof h.command !== 'string' || !/^([a-z][a-z -]{0,60})?$/.test(h.command))
      return null;
    if (!Number.isSafeInteger(h.since)) return null;
    return isAlive(h.pid!) ? (h as LockHolder) : null;
  } catch {
    return null;
  }
}

// Holder notes this process wrote, removed when it exits without releasing them (Ctrl-C ends a
// command with process.exit); the operating system releases the locks themselves.
const ownNotes = new Set<string>();
let exitHookInstalled = false;

function noteOnExit(path: string): void {
  ownNotes.add(path);
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const note of ownNotes) rmSync(note, { force: true });
  });
}

/**
 * Holds an exclusive lock on `path` for as long as the returned handle is open, so one process at a
 * time changes a vault. The operating system releases it if the process dies. `command` (the CLI
 * command's words, never its arguments) is recorded beside the lock while it is held, so a command
 * refused with VAULT_BUSY can say which command and process hold the vault, and for how long.
 */
export function acquireLock(path: string, command = ''): { release(): void } {
  const Sqlite = sqliteDatabase();
  const lock = new Sqlite(path);
  try {
    lock.pragma('busy_timeout = 3000');
    lock.exec('BEGIN EXCLUSIVE');
  } catch (err) {
    lock.close();
    const mapped = mapSqliteError(err);
    const holder = mapped instanceof BreakGlassError && mapped.code === 'VAULT_BUSY' ? readHolder(path) : null;
    if (!holder) throw mapped;
    const who = holder.command === '' ? `process ${holder.pid}` : `"breakglass ${holder.command}" (process ${holder.pid})`;
    throw new BreakGlassError(
      'VAULT_BUSY',
      `the vault is busy: ${who} has held it for ${Math.max(0, Math.round((Date.now() - holder.since) / 1000))} s; try again when it has finished`,
      { pid: holder.pid, command: holder.command },
      { cause: err },
    );
  }
  // Best effort: a vault whose folder refuses the note still locks; the message is then the plain one.
  const record: LockHolder = { pid: process.pid, command, since: Date.now() };
  const temp = `${holderPath(path)}.${process.pid}`;
  try {
    writeFileSync(temp, JSON.stringify(record), { mode: 0o600 });
    renameSync(temp, holderPath(path));
    noteOnExit(holderPath(path));
  } catch {
    rmSync(temp, { force: true });
  }
  return {
    release() {
      if (!lock.open) return;
      // Ours until the lock goes: nobody else can have written it meanwhile.
      if (ownNotes.delete(holderPath(path))) rmSync(holderPath(path), { force: true });
      lock.close();
    },
  };
}
