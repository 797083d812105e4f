/**
 * Runs a fuzz target under fast-check: mutated genuine inputs go through the real parser, and the
 * oracle holds every outcome to one of three:
 *   - rejected with a stable code from src/core/errors.ts (never INTERNAL, never a bare Error);
 *   - accepted, meaning exactly what its seed means (signed documents: `same`), or, where the input
 *     is not signed (a policy, a command line), a value that reads back to itself (`stable`);
 *   - and in either case within a time bound, with the heap bounded.
 * A violation is shrunk by fast-check to a small counterexample and reported with the seed and path
 * that replay it.
 */
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { BreakGlassError, ERROR_CODES } from '../../src/core/errors.js';

export interface FuzzTarget<I = Buffer> {
  readonly name: string;
  /** Mutated inputs, each with the index of the genuine seed it came from. */
  readonly inputs: fc.Arbitrary<{ readonly seed: number; readonly input: I }>;
  /** The genuine inputs themselves; each must be accepted. */
  readonly seeds: readonly I[];
  /** Parses an input as the product does; returns its meaning as text, or throws. */
  parse(input: I): string | Promise<string>;
  /**
   * `same`: an accepted input means what its seed means (signed documents). `stable`: an accepted
   * input's meaning, rendered as an input again by `render` and parsed, is unchanged.
   */
  readonly oracle: 'same' | 'stable';
  /** For `same`: where the format documents a weaker rule (an export may be cut between transactions), that rule. */
  sameAs?(meaning: string, seedMeaning: string): boolean;
  render?(meaning: string): I;
}

export interface FuzzStats {
  readonly name: string;
  readonly seed: number;
  tried: number;
  accepted: number;
  readonly rejected: Record<string, number>;
  crashes: number;
  slowestMs: number;
  /** The largest heap seen after an input, in MiB. */
  heapMiB: number;
  /** The shrunk counterexample, its replay path and what was wrong, when the oracle failed. */
  failure: { readonly input: string; readonly path: string; readonly problem: string; readonly file: string } | null;
}

/** The time one input may take: a parser that needs longer is a denial of service. */
export const SLOW_MS = 1_000;
/** The heap the fuzzing process may reach; a parser that holds more is unbounded. */
export const HEAP_LIMIT_MIB = 1_024;

const KNOWN_CODES = new Set(Object.keys(ERROR_CODES).filter((c) => c !== 'INTERNAL'));

/** Why an outcome breaks the oracle, or null. Throws nothing. */
async function judge<I>(
  target: FuzzTarget<I>,
  meanings: readonly string[],
  seed: number,
  input: I,
  stats: FuzzStats | null,
): Promise<string | null> {
  const t0 = performance.now();
  let problem: string | null = null;
  try {
    const meaning = await target.parse(input);
    if (stats) stats.accepted++;
    const same = target.sameAs ? target.sameAs(meaning, meanings[seed]!) : meaning === meanings[seed];
    if (target.oracle === 'same' && !same) problem = `accepted with another meaning than its seed: ${meaning.slice(0, 300)}`;
    if (target.oracle === 'stable') {
      try {
        const again = await target.parse(target.render!(meaning));
        if (again !== meaning)
          problem = `accepted, but its meaning does not read back to itself: ${meaning.slice(0, 300)} then ${again.slice(0, 300)}`;
      } catch (err) {
        problem = `accepted, but its meaning rendered again is refused: ${String(err)}`;
      }
    }
  } catch (err) {
    if (err instanceof BreakGlassError && KNOWN_CODES.has(err.code)) {
      // A journal verdict is counted by the check that failed (JOURNAL_TAMPERED/GAP, ...).
      const verify = (err.details as { verify?: unknown }).verify;
      const key = typeof verify === 'string' ? `${err.code}/${verify}` : err.code;
      if (stats) stats.rejected[key] = (stats.rejected[key] ?? 0) + 1;
    } else {
      if (stats) stats.crashes++;
      problem = `crashed: ${err instanceof BreakGlassError ? `${err.code}: ${err.message}` : ((err as Error)?.stack ?? String(err))}`.slice(
        0,
        2000,
      );
    }
  }
  const ms = performance.now() - t0;
  if (stats) {
    stats.tried++;
    stats.slowestMs = Math.max(stats.slowestMs, ms);
    if (stats.tried % 256 === 0) stats.heapMiB = Math.max(stats.heapMiB, process.memoryUsage().heapUsed / 2 ** 20);
  }
  if (problem === null && ms > SLOW_MS) problem = `took ${ms.toFixed(0)} ms (limit ${SLOW_MS} ms)`;
  if (problem === null && stats && stats.heapMiB > HEAP_LIMIT_MIB) problem = `the heap reached ${stats.heapMiB.toFixed(0)} MiB`;
  return problem;
}

/** A short printable form of an input, for the report. */
function show(input: unknown): string {
  const text = Buffer.isBuffer(input) ? JSON.stringify(input.toString('utf8')) : JSON.stringify(input);
  return text.length > 600 ? `${text.slice(0, 600)}... (${text.length} characters)` : text;
}

/** Runs `runs` mutated inputs of `target` from `seed`; `path` replays one counterexample. */
export async function fuzz<I>(target: FuzzTarget<I>, options: { runs: number; seed: number; path?: string }): Promise<FuzzStats> {
  const stats: FuzzStats = {
    name: target.name,
    seed: options.seed,
    tried: 0,
    accepted: 0,
    rejected: {},
    crashes: 0,
    slowestMs: 0,
    heapMiB: 0,
    failure: null,
  };
  const meanings: string[] = [];
  for (const [i, seed] of target.seeds.entries()) {
    try {
      meanings.push(await target.parse(seed));
    } catch (err) {
      throw new Error(`fuzz target ${target.name}: genuine seed ${i} is refused: ${String(err)}`);
    }
  }
  let counting = true;
  let lastProblem = '';
  const property = fc.asyncProperty(target.inputs, async ({ seed, input }) => {
    const problem = await judge(target, meanings, seed, input, counting ? stats : null);
    if (problem !== null) {
      counting = false;
      lastProblem = problem;
      return false;
    }
    return true;
  });
  const result = await fc.check(property, {
    numRuns: options.runs,
    seed: options.seed,
    ...(options.path === undefined ? {} : { path: options.path }),
    endOnFailure: false,
    interruptAfterTimeLimit: 30 * 60_000,
  });
  if (result.failed) {
    const example = result.counterexample?.[0] as { input: unknown } | undefined;
    // The whole input, for replay with `npm run fuzz -- --replay FILE`: the seed documents are made
    // afresh (new keys) in every run, so a seed and path reproduce the mutation, not always its bytes.
    const file = join(tmpdir(), `bgv-fuzz-${target.name}-${options.seed}.input`);
    const input = example?.input;
    writeFileSync(file, Buffer.isBuffer(input) ? input : JSON.stringify(input));
    stats.failure = {
      input: show(input),
      path: result.counterexamplePath ?? '',
      problem: lastProblem || String(result.errorInstance),
      file,
    };
  }
  return stats;
}

/** The one line `npm run fuzz` prints per target. */
export function summary(stats: FuzzStats): string {
  const codes = Object.entries(stats.rejected)
    .sort((a, b) => b[1] - a[1])
    .map(([code, n]) => `${code}=${n}`)
    .join(',');
  const verdict = stats.failure ? 'FAIL' : 'PASS';
  return `FUZZ ${stats.name} tried=${stats.tried} accepted=${stats.accepted} rejected=${stats.tried - stats.accepted - stats.crashes} (${codes || 'none'}) crashes=${stats.crashes} slowest=${stats.slowestMs.toFixed(1)}ms heap=${stats.heapMiB.toFixed(0)}MiB seed=${stats.seed} ${verdict}`;
}
