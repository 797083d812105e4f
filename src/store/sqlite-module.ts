import type BetterSqlite3 from 'better-sqlite3';
import { createRequire } from 'node:module';
import { BreakGlassError } from '../core/errors.js';

let loaded: typeof BetterSqlite3 | undefined;

/**
 * better-sqlite3, loaded when a database is first opened rather than when this module is: a command
 * that opens no database (`policy check` in CI) runs where the native module is not installed or
 * not built (`npm ci --ignore-scripts`). It is a CommonJS package, so `require` loads it synchronously.
 */
export function sqliteDatabase(): typeof BetterSqlite3 {
  try {
    loaded ??= createRequire(import.meta.url)('better-sqlite3') as typeof BetterSqlite3;
  } catch (err) {
    // Not a missing vault: this installation cannot open any. Said as such, not as "no vault here".
    throw new BreakGlassError(
      'IO_ERROR',
      'the SQLite module (better-sqlite3) is not installed or not built for this Node, so no vault can be opened here; run "npm ci" (or "npm rebuild better-sqlite3") in the breakglass folder',
      {},
      { cause: err },
    );
  }
  return loaded;
}
