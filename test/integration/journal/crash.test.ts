/**
 * Crash injection (issue 3): a child process (test/helpers/crash-child.ts) appends, rotates,
 * unseals, reveals, cancels, closes, reviews and reseals through the vault API with the real
 * keychain, and is killed with SIGKILL after a random delay. After every kill: the vault opens (its
 * lock is free), the journal verifies, the keychain holds exactly the key of the journal's last
 * epoch, every commit the child saw return is still there with the same hash, every reveal the
 * child saw has its credential.reveal entry, and the envelope a quorum needs next is in place. At
 * the end a quorum opens the credential through the CLI.
 *
 * CRASH_TRIALS raises the number of kills (default 200) for a longer run; CRASH_SEED replays the
 * delays of a failed run as fractions of a span that adapts to the machine (see killSpan; the seed
 * and each delay are in every failure message); CRASH_PROFILE=1 prints a line per trial (op, delay,
 * span, first step, how long the child ran and the checks took).
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JournalEntry } from '../../../src/core/journal.js';
import { b64 } from '../../../src/crypto/index.js';
import { KeytarSecretStore, openSecretStore } from '../../../src/keychain/index.js';
import { VaultSession } from '../../../src/vault/index.js';
import { expectStatus } from '../../helpers/cli.js';
import { buildWorld, type World } from '../../helpers/world.js';

const CHILD = resolve(import.meta.dirname, '../../../dist/test/helpers/crash-child.js');
const TRIALS = Number(process.env['CRASH_TRIALS'] ?? 200);
const SEED = process.env['CRASH_SEED'] !== undefined ? Number(process.env['CRASH_SEED']) : Math.floor(Math.random() * 2 ** 32);
/**
 * Kill delays are a seeded fraction of a span that adapts to the machine: at least this, and three
 * times the median time a world's children took from READY to their first step's line. On a busy
 * machine a step takes longer, so the kills move later with it and the worlds still make progress.
 */
const MIN_SPAN_MS = 300;
const MAX_SPAN_MS = 10_000;

/** The span a world's kill delays are drawn from, given the first-step times its children showed. */
function killSpan(firstSteps: readonly number[]): number {
  if (firstSteps.length === 0) return MIN_SPAN_MS;
  const sorted = [...firstSteps].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)]!;
  return Math.round(Math.min(MAX_SPAN_MS, Math.max(MIN_SPAN_MS, 3 * median)));
}

type Op = 'append' | 'reveal' | 'cancel' | 'lifecycle';

/** mulberry32: a small seeded PRNG, so a failing run's delays can be replayed with CRASH_SEED. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

interface ChildRun {
  readonly lines: readonly string[];
  readonly stderr: string;
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly ready: boolean;
  /** Milliseconds from READY to the first COMMITTED or REVEALED line, if one came before the kill. */
  readonly firstStepMs: number | null;
}

/** A child started ahead of its trial: loaded, waiting for `go` before it opens the vault. */
interface PendingChild {
  /** Lets the child open the vault, and kills it `delay` ms after it reports READY. */
  go(delay: number): Promise<ChildRun>;
  /** Kills a child that was never let go. */
  discard(): void;
}

/**
 * Spawns `crash-child VAULT OP`. Loading the code takes longer than a trial's work, so the next
 * trial's child is spawned while the current one runs; it touches nothing until `go`.
 */
function startChild(vault: string, op: Op, secretSha256: string): PendingChild {
  const child = spawn(process.execPath, [CHILD, vault, op], {
    env: { ...process.env, CRASH_SECRET_SHA256: secretSha256, CRASH_WAIT_FOR_GO: '1' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let pending = '';
  let stderr = '';
  let ready = false;
  let readyAt = 0;
  let firstStepMs: number | null = null;
  let delay = 0;
  let killTimer: NodeJS.Timeout | undefined;
  let hangTimer: NodeJS.Timeout | undefined;
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    pending += chunk;
    for (let i = pending.indexOf('\n'); i >= 0; i = pending.indexOf('\n')) {
      const line = pending.slice(0, i);
      pending = pending.slice(i + 1);
      if (line === 'LOADED') continue;
      lines.push(line);
      if (ready && firstStepMs === null && (line.startsWith('COMMITTED ') || line.startsWith('REVEALED ')))
        firstStepMs = performance.now() - readyAt;
      if (!ready && line.startsWith('READY ')) {
        ready = true;
        readyAt = performance.now();
        clearTimeout(hangTimer);
        killTimer = setTimeout(() => child.kill('SIGKILL'), delay);
      }
    }
  });
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => (stderr += chunk));
  child.stdin.on('error', () => undefined); // a child that died early closes its end
  const result = new Promise<ChildRun>((resolvePromise, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(hangTimer);
      clearTimeout(killTimer);
      // A line cut short by the kill was never complete, so it never counted.
      resolvePromise({ lines, stderr, code, signal, ready, firstStepMs });
    });
  });
  return {
    go(ms) {
      delay = ms;
      // A child that never gets ready (a hang in its expensive steps) is killed too, and fails the trial.
      hangTimer = setTimeout(() => child.kill('SIGKILL'), 120_000);
      child.stdin.end('GO\n');
      return result;
    },
    discard() {
      child.kill('SIGKILL');
    },
  };
}

const secretStore = (namespace: string) => openSecretStore(undefined, namespace, () => Promise.reject(new Error('no key store file here')));

/** The envelope slot a quorum would open next, by state (DESIGN.md: a credential is never lost). */
const NEEDED_SLOTS: Record<string, readonly ('active' | 'next')[]> = {
  SEALED: ['active'],
  REQUESTED: ['active'],
  UNSEALED: ['active', 'next'],
  REVIEW_PENDING: ['next'],
  REVIEWED: ['next'],
};

interface Stats {
  trials: number;
  commits: number;
  reveals: number;
  killedBeforeFirstCommit: number;
}

/** Everything that must hold after a kill; throws with the facts of the trial. */
async function checkAfterKill(world: { vault: string; vaultId: string }, run: ChildRun, stats: Stats, where: string): Promise<void> {
  const fail = (what: string): never => {
    throw new Error(`${where}: ${what}\n--- child stdout\n${run.lines.slice(-20).join('\n')}\n--- child stderr\n${run.stderr}`);
  };
  if (!run.ready || run.signal !== 'SIGKILL')
    fail(`the child ended by itself (exit ${run.code}, signal ${run.signal}) instead of being killed after READY`);
  const session = await VaultSession.open(world.vault, secretStore, { write: true }).catch((err: Error) =>
    fail(`the vault does not open: ${err.message}`),
  );
  try {
    const { report } = session;
    if (!report.ok) fail(`the journal does not verify: ${report.failure!.code} at seq ${report.failure!.seq}: ${report.failure!.message}`);
    await session.assertSigningKey().catch((err: Error) => fail(`the keychain key check fails: ${err.message}`));
    const epochKeys = (await new KeytarSecretStore(world.vaultId).list()).filter((a) => a.startsWith('journal-epoch:'));
    // At rest: the current epoch's key (certified, never used) and at most the pre-generated next one.
    const allowed = [`journal-epoch:${session.head.epoch}`, `journal-epoch:${session.head.epoch + 1}`];
    if (!epochKeys.includes(allowed[0]!) || epochKeys.some((a) => !allowed.includes(a)))
      fail(`the keychain holds ${epochKeys.join(', ')}; expected ${allowed[0]} and at most ${allowed[1]}`);
    const entryAt = (seq: number): { hash: Buffer; entry: JournalEntry } | undefined => {
      const row = session.repo.db.prepare('SELECT bytes, hash FROM journal WHERE seq = ?').get(seq) as
        { bytes: Buffer; hash: Buffer } | undefined;
      return row && { hash: row.hash, entry: JSON.parse(row.bytes.toString('utf8')) as JournalEntry };
    };
    let sawCommit = false;
    for (const line of run.lines) {
      const [tag, a, b] = line.split(' ');
      if (tag === 'COMMITTED') {
        sawCommit = true;
        stats.commits += 1;
        const found = entryAt(Number(a));
        if (!found || b64(found.hash) !== b)
          fail(`committed entry ${a} (${b}) is ${found ? `now ${b64(found.hash)}` : 'gone'}; the journal has ${report.count} entries`);
        if (report.count < Number(a) + 1) fail(`the journal has ${report.count} entries, but ${Number(a) + 1} were reported committed`);
      } else if (tag === 'REVEALED') {
        stats.reveals += 1;
        if (b !== 'ok') fail(`reveal at ${a} returned something other than the sealed secret`);
        const found = entryAt(Number(a));
        if (found?.entry.kind !== 'credential.reveal') fail(`a reveal returned, but entry ${a} is ${found ? found.entry.kind : 'missing'}`);
      }
    }
    if (!sawCommit) stats.killedBeforeFirstCommit += 1;
    const cred = session.repo.getCredential('prod-db-root');
    if (!cred) fail('the credential is gone');
    for (const slot of NEEDED_SLOTS[cred!.state] ?? []) {
      const env = session.repo.getEnvelope('prod-db-root', slot);
      const body = env && (JSON.parse(env.body) as { threshold: number; shares: unknown[] });
      if (!body || body.threshold !== 2 || body.shares.length !== 3)
        fail(`${cred!.state} but the ${slot} envelope is ${env ? 'malformed' : 'missing'}`);
    }
  } finally {
    await session.close();
  }
}

/** Brings the credential back to SEALED through the CLI, then has a quorum open it and reveal the secret. */
async function openByQuorum(world: World): Promise<void> {
  for (let step = 0; step < 6; step++) {
    const list = expectStatus(await world.vault.run(['--json', 'list']), 0, 'list').json<{
      credentials: { id: string; state: string; request: string | null }[];
    }>();
    const cred = list.credentials.find((c) => c.id === 'prod-db-root')!;
    if (cred.state === 'SEALED') break;
    const [args, passphraseOf] = ((): [string[], string | undefined] => {
      switch (cred.state) {
        case 'REQUESTED':
          return [['request', 'cancel', cred.request!], 'dave'];
        case 'UNSEALED':
          return [['close', 'prod-db-root'], undefined];
        case 'REVIEW_PENDING':
          return [
            ['review', 'prod-db-root', '--reviewer', 'carol', '--warranted', 'yes', '--summary', 'crash test', '--changes', 'none'],
            'carol',
          ];
        default:
          return [['reseal', 'prod-db-root'], undefined];
      }
    })();
    expectStatus(await world.vault.run(args, passphraseOf ? { passphraseOf } : {}), 0, args.join(' '));
  }
  const request = await world.request();
  for (const holder of ['alice', 'bob'])
    expectStatus(
      await world.vault.run(['approve', request, '--holder', holder, '--yes'], { passphraseOf: holder }),
      0,
      `approve ${holder}`,
    );
  const t = expectStatus(await world.vault.run(['unseal', request, '--reveal']), 0, 'unseal --reveal');
  expect(t.stdout).toBe(`${world.secret}\n`);
  expectStatus(await world.vault.run(['journal', 'verify']), 0, 'journal verify');
}

describe(`crash injection: ${TRIALS} SIGKILLs at random points (seed ${SEED})`, () => {
  // Two worlds run side by side. The first is unsealed and takes cheap kills (policy appends and
  // reveals, alternating); the second takes the slow lifecycle (request + cancel, then the whole
  // activation with scrypt steps) so that reseals and first unseals get their share of kills.
  const worlds: { world: World; vault: string; vaultId: string; schedule: Op[]; seed: number; stats: Stats }[] = [];
  let finished = false;

  beforeAll(async () => {
    if (process.env['BREAKGLASS_KEYCHAIN_READY'] !== '1') throw new Error('run through `bash scripts/with-keychain.sh npx vitest run ...`');
    const [quick, slow] = await Promise.all([buildWorld(), buildWorld()]);
    const request = await quick!.request();
    for (const holder of ['alice', 'bob'])
      expectStatus(
        await quick!.vault.run(['approve', request, '--holder', holder, '--yes'], { passphraseOf: holder }),
        0,
        `approve ${holder}`,
      );
    expectStatus(await quick!.vault.run(['unseal', request]), 0, 'unseal');
    const quickTrials = Math.round(TRIALS * 0.85);
    const slowTrials = TRIALS - quickTrials;
    const schedules: Op[][] = [
      Array.from({ length: quickTrials }, (_, i) => (i % 2 === 0 ? 'append' : 'reveal')),
      Array.from({ length: slowTrials }, (_, i) => (i < slowTrials * 0.4 ? 'cancel' : 'lifecycle')),
    ];
    for (const [i, world] of [quick!, slow!].entries()) {
      const session = await VaultSession.open(world.vault.vault, secretStore, { write: false });
      worlds.push({
        world,
        vault: world.vault.vault,
        vaultId: session.vaultId,
        schedule: schedules[i]!,
        seed: (SEED + i) >>> 0,
        stats: { trials: 0, commits: 0, reveals: 0, killedBeforeFirstCommit: 0 },
      });
      await session.close();
    }
  }, 300_000);

  afterAll(() => {
    for (const w of worlds) w.world.cleanup();
  });

  it(
    "after every kill the vault opens, its journal verifies, its key is the last epoch's, and nothing committed or revealed is lost",
    async () => {
      let stop = false;
      const results = await Promise.allSettled(
        worlds.map(async (w, index) => {
          const random = prng(w.seed);
          const secretSha256 = createHash('sha256').update(w.world.secret).digest('hex');
          let next: PendingChild | null = startChild(w.vault, w.schedule[0]!, secretSha256);
          // The last first-step times of this world's children, by op (steps differ in cost).
          const firstSteps = new Map<Op, number[]>();
          try {
            for (const [trial, op] of w.schedule.entries()) {
              if (stop) return;
              const current: PendingChild = next!;
              next = trial + 1 < w.schedule.length ? startChild(w.vault, w.schedule[trial + 1]!, secretSha256) : null;
              const span = killSpan(firstSteps.get(op) ?? []);
              const delay = Math.floor(random() * (span + 1));
              const where = `world ${index} trial ${trial} op ${op} delay ${delay} ms of ${span} (replay the fractions with CRASH_SEED=${SEED} CRASH_TRIALS=${TRIALS})`;
              const t0 = performance.now();
              const run = await current.go(delay);
              // A child killed before its first step says that step takes longer than its delay: twice
              // the delay stands in for it, so a span that is too short grows instead of starving the world.
              const sample = run.firstStepMs ?? (run.ready ? 2 * Math.max(delay, MIN_SPAN_MS / 10) : null);
              if (sample !== null) firstSteps.set(op, [...(firstSteps.get(op) ?? []), sample].slice(-15));
              const t1 = performance.now();
              await checkAfterKill(w, run, w.stats, where);
              if (process.env['CRASH_PROFILE'] === '1')
                console.log(
                  `w${index} ${op} delay ${delay}/${span} first step ${run.firstStepMs?.toFixed(0) ?? '-'} run ${(t1 - t0).toFixed(0)} check ${(performance.now() - t1).toFixed(0)} lines ${run.lines.length}`,
                );
              w.stats.trials += 1;
            }
          } catch (err) {
            stop = true;
            throw err;
          } finally {
            next?.discard();
          }
        }),
      );
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
      const total = worlds.reduce((n, w) => n + w.stats.trials, 0);
      console.log(`crash: seed ${SEED}; ${worlds.map((w, i) => `world ${i}: ${JSON.stringify(w.stats)}`).join('; ')}`);
      expect(total).toBe(TRIALS);
      // The kills landed among real work: commits and reveals happened before many of them.
      for (const w of worlds) expect(w.stats.commits).toBeGreaterThan(0);
      expect(worlds[0]!.stats.reveals).toBeGreaterThan(0);
      finished = true;
    },
    Math.max(600_000, TRIALS * 6_000),
  );

  it('the slow world went through whole activations, reseals included, under fire', async () => {
    expect(finished).toBe(true);
    const session = await VaultSession.open(worlds[1]!.vault, secretStore, { write: false });
    try {
      const kinds = [...session.repo.entries()].map((e) => (JSON.parse(Buffer.from(e.bytes).toString('utf8')) as JournalEntry).kind);
      const count = (kind: string): number => kinds.filter((k) => k === kind).length;
      console.log(
        `crash: slow world journal: ${['request.create', 'request.cancel', 'approval.accept', 'credential.unseal', 'credential.reveal', 'window.close', 'review.sign', 'credential.reseal'].map((k) => `${k} ${count(k)}`).join(', ')}`,
      );
      expect(count('request.cancel')).toBeGreaterThan(0);
      expect(count('credential.unseal')).toBeGreaterThan(0);
      expect(count('credential.reseal')).toBeGreaterThan(0);
    } finally {
      await session.close();
    }
  });

  it('at the end a quorum still opens the credential in each world, through the CLI', async () => {
    expect(finished).toBe(true);
    await Promise.all(worlds.map((w) => openByQuorum(w.world)));
  }, 300_000);
});
