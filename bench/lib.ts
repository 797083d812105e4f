/**
 * What every benchmark shares: a clock, percentiles, temporary folders, the machine header and the
 * one `BENCH ...` line per target. Targets are ratios against raw primitives measured in the same
 * run, so a slow or busy machine moves both sides together.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

/** Milliseconds on the monotonic clock. */
export const now = (): number => performance.now();

/** Summary statistics of latency samples, in milliseconds. */
export interface Latency {
  readonly n: number;
  readonly mean: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

/** The p-th percentile (0..100) by nearest rank; `sorted` is ascending and not empty. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) throw new Error('percentile of no samples');
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

/** Mean, p50, p99 and max of latency samples. */
export function latency(samples: readonly number[]): Latency {
  const sorted = [...samples].sort((a, b) => a - b);
  const mean = sorted.reduce((a, b) => a + b, 0) / sorted.length;
  return { n: sorted.length, mean, p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted[sorted.length - 1]! };
}

/** The median of a few numbers. */
export function median(values: readonly number[]): number {
  return percentile(
    [...values].sort((a, b) => a - b),
    50,
  );
}

/** Formats a number with `digits` decimals (fewer for big numbers, which need none). */
export function fmt(value: number, digits = 2): string {
  if (!Number.isFinite(value)) return String(value);
  return Math.abs(value) >= 1000 ? value.toFixed(0) : value.toFixed(digits);
}

/** A latency summary as one readable fragment. */
export function fmtLatency(l: Latency, unit = 'ms'): string {
  return `p50=${fmt(l.p50, 3)}${unit} p99=${fmt(l.p99, 3)}${unit} mean=${fmt(l.mean, 3)}${unit} max=${fmt(l.max, 3)}${unit} (n=${l.n})`;
}

/** Where run.ts wants this benchmark's folders (it removes them even if the benchmark is killed). */
export const BENCH_TMP_ENV = 'BGV_BENCH_TMP';

/** A temporary folder under os.tmpdir(), removed by `cleanup` (also after a failure). */
export function tempDir(prefix: string): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(process.env[BENCH_TMP_ENV] ?? tmpdir(), `bgv-bench-${prefix}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** One benchmark's heading, with the machine it ran on. */
export function header(title: string, what: string): void {
  const cpu = cpus();
  console.log('');
  console.log(`== ${title}: ${what}`);
  console.log(
    `   machine: ${cpu.length} cpu (${cpu[0]?.model.trim() ?? 'unknown'}), load ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}, node ${process.version}, ${process.platform}-${process.arch}, tmp ${tmpdir()}`,
  );
}

/** An indented detail line under a benchmark's heading. */
export function info(line: string): void {
  console.log(`   ${line}`);
}

/** One measured target. `limit` is the raw primitive it is compared with, measured in the same run. */
export interface Target {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  readonly limit: number;
  readonly limitUnit: string;
  /** value / limit, or the inverse for rates: whatever the target is stated in. */
  readonly ratio: number;
  /** The target as text, e.g. `<20ms` or `>=0.8x`. */
  readonly target: string;
  readonly pass: boolean;
}

/** Prints the target's `BENCH` line, exactly one per target. */
export function report(t: Target): void {
  console.log(
    `BENCH ${t.name} value=${fmt(t.value, 3)}${t.unit} limit=${fmt(t.limit, 3)}${t.limitUnit} ratio=${fmt(t.ratio, 3)} target=${t.target} ${t.pass ? 'PASS' : 'MISS'}`,
  );
}

/** Lets pending I/O callbacks and timers run, so a long synchronous loop does not starve them. */
export function breathe(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
