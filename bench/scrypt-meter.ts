/**
 * Preloaded (NODE_OPTIONS=--import) into the CLI and `breakglass ui` processes the ui benchmark
 * starts: appends one line per scrypt derivation they finish, with its wall time, to the file named
 * by BGV_BENCH_SCRYPT_LOG. The benchmark then counts the KDF runs of a story instead of guessing them.
 * Without that variable it changes nothing. Nothing about the passphrase is written, only a duration.
 */
import crypto from 'node:crypto';
import { appendFileSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { performance } from 'node:perf_hooks';

/** The variable naming the log file. */
export const SCRYPT_LOG_ENV = 'BGV_BENCH_SCRYPT_LOG';

const log = process.env[SCRYPT_LOG_ENV];
if (log) {
  const original = crypto.scrypt;
  const metered = (...args: unknown[]): void => {
    const done = args.at(-1) as (err: Error | null, key: Buffer) => void;
    const t0 = performance.now();
    args[args.length - 1] = (err: Error | null, key: Buffer): void => {
      appendFileSync(log, `${JSON.stringify({ ms: performance.now() - t0 })}\n`);
      done(err, key);
    };
    (original as (...a: unknown[]) => void)(...args);
  };
  crypto.scrypt = metered as typeof crypto.scrypt;
  // `import { scrypt } from 'node:crypto'` in src/crypto reads the ESM binding, not the object.
  syncBuiltinESMExports();
}
