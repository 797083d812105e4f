/**
 * The cost of one passphrase guess against a wrapped member key, at the parameters the vault uses
 * (src/crypto/passphrase.ts freshKdf): scrypt plus the AES-GCM open that rejects the guess. Against
 * raw scrypt at N=2^14, r=8, p=1 measured in the same run, so the ratio is the work factor.
 */
import { randomBytes } from 'node:crypto';
import { freshKdf, unwrapWithPassphrase, wrapWithPassphrase } from '../src/crypto/index.js';
import { fmt, header, info, median, now, report } from './lib.js';
import { scryptMillis } from './primitives.js';

const GUESSES = 5;
const RAW_RUNS = 7;
const RAW_N = 2 ** 14;

/** Runs the KDF benchmark and reports its target. */
export async function benchKdf(): Promise<void> {
  header('kdf', "passphrase guess cost at the vault's scrypt parameters, vs raw scrypt N=2^14");
  const kdf = freshKdf();
  info(
    `parameters in use: ${kdf.name} N=2^${Math.log2(kdf.N)} r=${kdf.r} p=${kdf.p} (${fmt((128 * kdf.N * kdf.r * kdf.p) / 2 ** 20, 0)} MiB per guess)`,
  );
  const aad = 'bench member key';
  const wrapped = await wrapWithPassphrase('the right passphrase, long enough', randomBytes(128), aad);

  const raw: number[] = [];
  const guesses: number[] = [];
  await scryptMillis(RAW_N, 8, 1);
  // Interleaved, so a burst of load from another process hits both sides.
  for (let i = 0; i < Math.max(GUESSES, RAW_RUNS); i++) {
    if (i < RAW_RUNS) raw.push(await scryptMillis(RAW_N, 8, 1));
    if (i < GUESSES) {
      const t0 = now();
      const opened = await unwrapWithPassphrase(`wrong guess ${i}`, wrapped, aad);
      guesses.push(now() - t0);
      if (opened !== null) throw new Error('a wrong passphrase opened the wrapped key');
    }
  }
  const guess = median(guesses);
  const rawMs = median(raw);
  info(`raw scrypt N=2^14 r=8 p=1: ${raw.map((x) => fmt(x, 1)).join(' ')} ms (median ${fmt(rawMs, 1)})`);
  info(
    `guess (scrypt + AES-GCM reject): ${guesses.map((x) => fmt(x, 1)).join(' ')} ms (median ${fmt(guess, 1)}); one core per guess, ${fmt(1000 / guess, 2)} guesses/s/core`,
  );
  report({
    name: 'kdf.guess',
    value: guess,
    unit: 'ms',
    limit: rawMs,
    limitUnit: 'ms',
    ratio: guess / rawMs,
    target: '>=250ms',
    pass: guess >= 250,
  });
}
