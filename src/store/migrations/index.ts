import * as m001 from './001_initial.js';
import * as m002 from './002_journal_no_replace.js';

/** Numbered migrations, applied in order; a database records the highest it has in user_version. */
export const MIGRATIONS: readonly { readonly version: number; readonly up: string }[] = [
  { version: 1, up: m001.up },
  { version: 2, up: m002.up },
];
