/**
 * `npm run fuzz`: every parser of outside input, 100,000 mutated genuine inputs each, one line per
 * parser: `FUZZ <parser> tried= accepted= rejected= (CODE=n,...) crashes= slowest= heap= seed= PASS|FAIL`.
 *
 *   npm run fuzz -- [--runs N] [--seed S] [--path P] [parser ...]
 *   npm run fuzz -- --replay FILE parser     (one saved input: its outcome)
 *
 * The seed is printed, so a run replays exactly with `--seed`; a failure also prints the shrunk
 * counterexample, its `--path`, and the file it saved the whole input to (`--replay FILE` runs that
 * input alone: the seed documents are made afresh, with new keys, in every run, so a path replays
 * the mutation but not always the same bytes). Exit status 1 when any fails.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { fuzz, summary, type FuzzTarget } from './engine.js';
import { buildSeeds } from './seeds.js';
import { targets } from './targets.js';

const { values, positionals } = parseArgs({
  options: { runs: { type: 'string', default: '100000' }, seed: { type: 'string' }, path: { type: 'string' }, replay: { type: 'string' } },
  allowPositionals: true,
});
const runs = Number(values.runs);
const seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(values.seed);
if (!Number.isSafeInteger(runs) || runs < 1 || !Number.isSafeInteger(seed)) {
  process.stderr.write('usage: npm run fuzz -- [--runs N] [--seed S] [--path P] [parser ...]\n');
  process.exit(2);
}

const seeds = await buildSeeds();
let failed = false;
try {
  const all = targets(seeds);
  const unknown = positionals.filter((p) => !all.some((t) => t.name === p));
  if (unknown.length > 0) {
    process.stderr.write(`unknown parser ${unknown.join(', ')}; the parsers are ${all.map((t) => t.name).join(', ')}\n`);
    process.exit(2);
  }
  if (values.replay !== undefined) {
    const target = all.find((t) => t.name === positionals[0]);
    if (!target || positionals.length !== 1) throw new Error('--replay FILE takes exactly one parser');
    const bytes = readFileSync(values.replay);
    const input = target.name === 'cli-args' ? (JSON.parse(bytes.toString('utf8')) as string[]) : bytes;
    try {
      process.stdout.write(`accepted: ${await (target as FuzzTarget<unknown>).parse(input)}\n`);
    } catch (err) {
      process.stdout.write(
        `refused: ${err instanceof Error ? ((err as { code?: string }).code ?? 'no code') + ': ' + err.message : String(err)}\n`,
      );
    }
    process.exit(0);
  }
  process.stdout.write(`fuzzing ${positionals.length || all.length} parsers, ${runs} inputs each, seed ${seed}\n`);
  for (const target of all.filter((t) => positionals.length === 0 || positionals.includes(t.name))) {
    const started = performance.now();
    const stats = await fuzz(target as FuzzTarget<unknown>, { runs, seed, ...(values.path === undefined ? {} : { path: values.path }) });
    process.stdout.write(`${summary(stats)} in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
    if (stats.failure) {
      failed = true;
      process.stdout.write(
        `  problem: ${stats.failure.problem}\n  input: ${stats.failure.input}\n  saved: ${stats.failure.file}\n  replay: npm run fuzz -- --replay ${stats.failure.file} ${target.name}\n  or: npm run fuzz -- --seed ${seed} --path ${stats.failure.path} --runs ${runs} ${target.name}\n`,
      );
    }
  }
} finally {
  await seeds.cleanup();
}
process.exit(failed ? 1 : 0);
