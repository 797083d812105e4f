import * as m001 from './001_initial.js';

/** Numbered migrations, applied in order; a database records the highest it has in user_version. */
export const MIGRATIONS: readonly { readonly version: number; readonly up: string }[] = [{ version: 1, up: m001.up }];
