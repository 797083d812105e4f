import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/** The built CLI (npm test builds first); tests run it as a user would, in a child process. */
export const BIN = resolve(import.meta.dirname, '../../bin/breakglass.js');

/** What one CLI run produced. */
export interface Transcript {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout parsed as JSON when --json was given. */
  json<T = Record<string, unknown>>(): T;
}

/** One CLI run as a recorder saw it: the arguments and what came back. */
export interface RecordedRun {
  readonly args: readonly string[];
  readonly transcript: Transcript;
}

const recorders = new Set<RecordedRun[]>();

/**
 * Starts recording every CLI run of this test file (including the harness's own, e.g. buildWorld),
 * so a test can inspect all output afterwards. `stop` ends the recording; `runs` keeps what it saw.
 */
export function recordTranscripts(): { readonly runs: readonly RecordedRun[]; stop(): void } {
  const runs: RecordedRun[] = [];
  recorders.add(runs);
  return { runs, stop: () => recorders.delete(runs) };
}

/** Runs `breakglass ARGS` with optional stdin; never throws on a non-zero exit. */
export function run(
  args: readonly string[],
  options: { stdin?: string | Buffer; env?: NodeJS.ProcessEnv; cwd?: string } = {},
): Promise<Transcript> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: options.cwd,
      env: { ...process.env, BREAKGLASS_HOME: undefined, ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', reject);
    child.on('close', (code) => {
      const stdout = Buffer.concat(out).toString('utf8');
      const transcript: Transcript = {
        status: code ?? -1,
        stdout,
        stderr: Buffer.concat(err).toString('utf8'),
        json: <T>() => JSON.parse(stdout) as T,
      };
      for (const runs of recorders) runs.push({ args: [...args], transcript });
      resolvePromise(transcript);
    });
    child.stdin.end(options.stdin ?? '');
  });
}

/** A temporary folder removed by `cleanup`. */
export function tempDir(prefix = 'bgv-test-'): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A simulated machine: its own vault folder, and a helper to run the CLI against it. */
export interface Laptop {
  readonly name: string;
  readonly vault: string;
  /** Runs breakglass --vault <this laptop> ARGS. */
  run(args: readonly string[], options?: { stdin?: string | Buffer; passphraseOf?: string }): Promise<Transcript>;
}

/** The passphrases of the test members; each test world writes them to files, never to argv. */
export const PASSPHRASES: Record<string, string> = {
  alice: 'alice correct horse battery',
  bob: 'bob correct horse battery',
  carol: 'carol correct horse battery',
  dave: 'dave correct horse battery',
  erin: 'erin correct horse battery',
};

/** Makes a laptop in `root`. `passphraseOf` writes that member's passphrase to a file and passes it. */
export function laptop(root: string, name: string): Laptop {
  const vault = join(root, name);
  return {
    name,
    vault,
    run(args, options = {}) {
      const extra: string[] = [];
      if (options.passphraseOf !== undefined) {
        const file = join(root, `.pw-${options.passphraseOf}`);
        writeFileSync(file, PASSPHRASES[options.passphraseOf] ?? options.passphraseOf, { mode: 0o600 });
        extra.push('--passphrase-file', file);
      }
      return run(['--vault', vault, ...extra, ...args], options.stdin === undefined ? {} : { stdin: options.stdin });
    },
  };
}

/** The line an error ends with once its command opened a vault (given with --vault): the vault's name and folder. */
export const vaultInUse = (name: string, dir: string): string => `breakglass: vault in use: "${name}" in ${dir}\n`;

/** Fails loudly with the transcript when a command did not exit as expected. */
export function expectStatus(t: Transcript, status: number, what = 'command'): Transcript {
  if (t.status !== status) {
    throw new Error(`${what}: expected exit ${status}, got ${t.status}\n--- stdout\n${t.stdout}\n--- stderr\n${t.stderr}`);
  }
  return t;
}
