import type BetterSqlite3 from 'better-sqlite3';
import { createRequire } from 'node:module';

let loaded: typeof BetterSqlite3 | undefined;

/**
 * better-sqlite3, loaded when a database is first opened rather than when this module is: a command
 * that opens no database (`policy check` in CI) runs where the native module is not installed or
 * not built (`npm ci --ignore-scripts`). It is a CommonJS package, so `require` loads it synchronously.
 */
export function sqliteDatabase(): typeof BetterSqlite3 {
  loaded ??= createRequire(import.meta.url)('better-sqlite3') as typeof BetterSqlite3;
  return loaded;
}
