import * as m001 from './001_initial.js';
import * as m002 from './002_journal_no_replace.js';
import * as m003 from './003_rotation_requests.js';

/** Numbered migrations, applied in order; a database records the highest it has in user_version. */
/** `foreignKeysOff`: it rebuilds a table others refer to, so it runs with foreign keys off, checked before it commits. */
export const MIGRATIONS: readonly { readonly version: number; readonly up: string; readonly foreignKeysOff?: boolean }[] = [
  { version: 1, up: m001.up },
  { version: 2, up: m002.up },
  { version: 3, up: m003.up, foreignKeysOff: m003.foreignKeysOff },
];
