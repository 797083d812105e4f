/**
 * `npm run bench`: runs every benchmark in sequence, each ending its targets with one line
 * `BENCH <name> value=<v> limit=<raw primitive> ratio=<r> target=<t> PASS|MISS`.
 * Run a subset by name: `npm run bench -- kdf journal-append`.
 *
 * Each benchmark runs in its own child process under a time limit: a fresh heap for every
 * measurement, and a watchdog that still works when the benchmark's main thread is stuck in native
 * code (a deadlock blocks timers too). A MISS is reported, not thrown: the exit status is non-zero
 * only when a benchmark fails to run or to finish.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchJournalAppend } from './journal-append.bench.js';
import { benchJournalOpen } from './journal-open.bench.js';
import { benchJournalVerify } from './journal-verify.bench.js';
import { benchKdf } from './kdf.bench.js';
import { benchServerBacklog } from './server-backlog.bench.js';
import { benchServerIngest } from './server-ingest.bench.js';
import { benchServerLoad } from './server-load.bench.js';
import { BENCH_TMP_ENV, fmt, now } from './lib.js';
import { benchUi } from './ui.bench.js';
import { benchUnseal } from './unseal.bench.js';

interface Benchmark {
  readonly run: () => Promise<void>;
  /** Seconds before the watchdog kills it; generous, for a machine shared with test runs. */
  readonly limitSeconds: number;
}

const BENCHMARKS: Record<string, Benchmark> = {
  kdf: { run: benchKdf, limitSeconds: 90 },
  'journal-append': { run: benchJournalAppend, limitSeconds: 90 },
  'journal-verify': { run: benchJournalVerify, limitSeconds: 240 },
  'journal-open': { run: benchJournalOpen, limitSeconds: 300 },
  unseal: { run: benchUnseal, limitSeconds: 240 },
  'server-ingest': { run: benchServerIngest, limitSeconds: 300 },
  'server-load': { run: benchServerLoad, limitSeconds: 400 },
  'server-backlog': { run: benchServerBacklog, limitSeconds: 400 },
  ui: { run: benchUi, limitSeconds: 240 },
};

/** Runs one benchmark in a child process, echoing its output; resolves with its BENCH lines. */
function runChild(name: string, bench: Benchmark): Promise<{ lines: string[]; failure: string | null }> {
  const tmp = mkdtempSync(join(tmpdir(), `bgv-bench-${name}-`));
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [fileURLToPath(import.meta.url), '--one', name], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, [BENCH_TMP_ENV]: tmp },
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
      process.stdout.write(chunk);
    });
    let timedOut = false;
    const watchdog = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, bench.limitSeconds * 1000);
    child.on('close', (code, signal) => {
      clearTimeout(watchdog);
      rmSync(tmp, { recursive: true, force: true });
      const lines = out.split('\n').filter((l) => l.startsWith('BENCH '));
      const failure = timedOut
        ? `did not finish within ${bench.limitSeconds} s and was killed`
        : code !== 0
          ? `failed (exit ${code ?? signal})`
          : null;
      resolve({ lines, failure });
    });
  });
}

async function main(argv: readonly string[]): Promise<number> {
  if (argv[0] === '--one') {
    const bench = BENCHMARKS[argv[1] ?? ''];
    if (!bench) throw new Error(`--one needs a benchmark name: ${Object.keys(BENCHMARKS).join(', ')}`);
    await bench.run();
    return 0;
  }
  const unknown = argv.filter((n) => !Object.hasOwn(BENCHMARKS, n));
  if (unknown.length > 0) {
    console.error(`unknown benchmark(s): ${unknown.join(', ')}; known: ${Object.keys(BENCHMARKS).join(', ')}`);
    return 2;
  }
  const chosen = argv.length > 0 ? argv : Object.keys(BENCHMARKS);
  const started = now();
  const lines: string[] = [];
  const failures: string[] = [];
  for (const name of chosen) {
    const result = await runChild(name, BENCHMARKS[name]!);
    lines.push(...result.lines);
    if (result.failure) {
      failures.push(`${name} ${result.failure}`);
      console.log(`!! benchmark ${name} ${result.failure}`);
    }
  }
  const missed = lines.filter((l) => l.endsWith(' MISS')).map((l) => l.split(' ')[1]);
  console.log('');
  console.log(
    `${lines.length} targets, ${lines.length - missed.length} PASS, ${missed.length} MISS${missed.length ? ` (${missed.join(', ')})` : ''}` +
      `${failures.length ? `; ${failures.length} benchmark(s) did not complete` : ''}; ${fmt((now() - started) / 1000, 1)} s`,
  );
  return failures.length > 0 ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (status) => {
    process.exitCode = status;
  },
  (err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  },
);
