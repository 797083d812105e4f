/**
 * The cast of test/helpers/world.ts for benchmarks: a vault laptop and one laptop per member, each
 * its own vault folder driven by the built CLI in child processes, under the example policy. The
 * test helpers find bin/ and docs/ from their TypeScript source, so they cannot run from dist/;
 * this is the same world with paths that work from dist/bench, and passphrases made per run.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../bin/breakglass.js', import.meta.url));
const EXAMPLE_POLICY = fileURLToPath(new URL('../../docs/policy.example.yaml', import.meta.url));

/** The members of the example policy: alice, bob and carol hold, carol reviews, dave requests. */
export const MEMBERS = ['alice', 'bob', 'carol', 'dave'] as const;
export type Member = (typeof MEMBERS)[number];

/** What one CLI run printed. */
export interface Transcript {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** A simulated machine: its own vault folder. */
export interface Laptop {
  readonly vault: string;
  /** Runs `breakglass --vault <this laptop> ARGS`; `passphraseOf` passes that member's passphrase in a file. */
  run(args: readonly string[], options?: { stdin?: string; passphraseOf?: Member }): Promise<Transcript>;
}

/** The vault laptop and the members' laptops, with the passphrases they were made with. */
export interface BenchWorld {
  readonly root: string;
  readonly vault: Laptop;
  readonly laptops: Record<Member, Laptop>;
  readonly passphrases: Record<Member, string>;
}

function runCli(args: readonly string[], stdin: string): Promise<Transcript> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { ...process.env, BREAKGLASS_HOME: undefined },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', reject);
    child.on('close', (code) =>
      resolve({ status: code ?? -1, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }),
    );
    child.stdin.end(stdin);
  });
}

/** Fails loudly on another exit status, with stderr (stdout, where --reveal prints, is left out). */
export function expectOk(t: Transcript, what: string): Transcript {
  if (t.status !== 0) throw new Error(`${what}: expected exit 0, got ${t.status}\n--- stderr\n${t.stderr}`);
  return t;
}

function laptop(root: string, name: string, passphrases: Record<Member, string>): Laptop {
  const vault = join(root, name);
  return {
    vault,
    run(args, options = {}) {
      const extra: string[] = [];
      if (options.passphraseOf !== undefined) {
        const file = join(root, `.pw-${options.passphraseOf}`);
        writeFileSync(file, passphrases[options.passphraseOf], { mode: 0o600 });
        extra.push('--passphrase-file', file);
      }
      return runCli(['--vault', vault, ...extra, ...args], options.stdin ?? '');
    },
  };
}

/** Builds the world in `root`: every member created on their laptop and enrolled with a custody copy; nothing sealed. */
export async function buildBenchWorld(root: string): Promise<BenchWorld> {
  const passphrases = Object.fromEntries(MEMBERS.map((m) => [m, `${m} bench passphrase ${randomBytes(8).toString('hex')}`])) as Record<
    Member,
    string
  >;
  mkdirSync(root, { recursive: true });
  const vault = laptop(root, 'vault-laptop', passphrases);
  const laptops = Object.fromEntries(MEMBERS.map((m) => [m, laptop(root, `laptop-${m}`, passphrases)])) as Record<Member, Laptop>;
  expectOk(await vault.run(['init', '--name', 'crash cart']), 'init vault');
  // Separate machines: set up side by side.
  await Promise.all(
    MEMBERS.map(async (m) => {
      const l = laptops[m];
      expectOk(await l.run(['init', '--name', `${m}'s laptop`]), `init ${m}`);
      const name = m[0]!.toUpperCase() + m.slice(1);
      expectOk(
        await l.run(['member', 'create', '--id', m, '--name', name, '--out', join(root, `${m}.card`)], { passphraseOf: m }),
        `member create ${m}`,
      );
      expectOk(
        await l.run(['member', 'export-key', '--id', m, '--out', join(root, `${m}.custody`)], { passphraseOf: m }),
        `export-key ${m}`,
      );
    }),
  );
  for (const m of MEMBERS) {
    expectOk(await vault.run(['member', 'add', join(root, `${m}.card`), '--custody', join(root, `${m}.custody`)]), `member add ${m}`);
  }
  expectOk(await vault.run(['policy', 'set', EXAMPLE_POLICY]), 'policy set');
  return { root, vault, laptops, passphrases };
}

/** One running `breakglass ui`: its page URL, with the per-run token in the fragment. */
export interface BenchUi {
  readonly url: string;
  stop(): Promise<void>;
}

/** Starts `breakglass --vault DIR ui --no-open --port 0`, as test/e2e/harness.ts does, and waits for its URL. */
export function startBenchUi(vault: string): Promise<BenchUi> {
  const child: ChildProcess = spawn(process.execPath, [BIN, '--vault', vault, 'ui', '--no-open', '--port', '0'], {
    env: { ...process.env, BREAKGLASS_HOME: undefined },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const stop = (): Promise<void> =>
    new Promise((done) => {
      if (child.exitCode !== null || child.signalCode !== null) return done();
      child.once('exit', () => done());
      child.kill('SIGTERM');
    });
  return new Promise((resolve, reject) => {
    const take = (d: Buffer): void => {
      out += d.toString('utf8');
      const m = /http:\/\/127\.0\.0\.1:\d+\/#token=[A-Za-z0-9_-]+/.exec(out);
      if (m) resolve({ url: m[0], stop });
    };
    child.stdout!.on('data', take);
    child.stderr!.on('data', take);
    // Its output names no token but in the URL; only the part before it is quoted.
    child.once('exit', (code) => reject(new Error(`breakglass ui exited with ${code}:\n${out.replace(/#token=\S+/g, '#token=…')}`)));
  });
}
