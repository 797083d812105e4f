/**
 * The seeded short pass of `npm run fuzz`: a few thousand mutated genuine inputs per parser, with a
 * fixed seed, so a regression fails here with a replayable counterexample (FUZZ_RUNS and FUZZ_SEED
 * change the pass).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fuzz, summary, type FuzzTarget } from '../../fuzz/engine.js';
import { buildSeeds, type Seeds } from '../../fuzz/seeds.js';
import { targets, type AnyTarget } from '../../fuzz/targets.js';

const RUNS = Number(process.env['FUZZ_RUNS'] ?? 2_000);
const SEED = Number(process.env['FUZZ_SEED'] ?? 20_261_202);
const NAMES = [
  'policy-yaml',
  'policy-json',
  'member-card',
  'custody',
  'request-bundle',
  'request-code',
  'approval',
  'approval-code',
  'receipt',
  'enrolment',
  'journal-export',
  'cli-args',
];

let seeds: Seeds;
let all: AnyTarget[];

beforeAll(async () => {
  seeds = await buildSeeds();
  all = targets(seeds);
}, 120_000);
afterAll(async () => {
  await seeds?.cleanup();
});

describe('every parser of outside input, fuzzed (seeded short pass)', () => {
  it('covers the list of parsers', () => {
    expect(all.map((t) => t.name)).toEqual(NAMES);
  });

  for (const name of NAMES) {
    it(`${name}: every mutated input is refused with a stable code or means what its seed means`, async () => {
      const target = all.find((t) => t.name === name)!;
      const stats = await fuzz(target as FuzzTarget<unknown>, { runs: RUNS, seed: SEED });
      const line = summary(stats);
      expect(stats.failure, `${line}\n${JSON.stringify(stats.failure, null, 2)}`).toBeNull();
      expect(stats.tried).toBe(RUNS);
      // The pass reaches past the first check: some inputs are refused for more than one reason.
      expect(Object.keys(stats.rejected).length, line).toBeGreaterThan(0);
    }, 300_000);
  }
});
