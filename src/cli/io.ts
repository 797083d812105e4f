import { closeSync, existsSync, fsyncSync, openSync, readFileSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { BreakGlassError } from '../core/errors.js';

const MAX_INPUT = 1024 * 1024;

let stdinUsed = false;

function readStdin(what: string): Buffer {
  if (stdinUsed) throw new BreakGlassError('BAD_ARGUMENTS', `standard input is already used for another input; give ${what} as a file`);
  stdinUsed = true;
  try {
    return readFileSync(0);
  } catch (err) {
    throw new BreakGlassError('BAD_INPUT', `could not read ${what} from standard input`, {}, { cause: err });
  }
}

/** Reads a file named on the command line (`-` = standard input), with a size limit and a clear error. */
export function readInputFile(path: string, what: string): Buffer {
  if (path === '-') return readStdin(what);
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new BreakGlassError(
      'BAD_INPUT',
      `cannot read ${what} from ${path} (${code === 'ENOENT' ? 'no such file' : (code ?? 'error')})`,
      {},
      { cause: err },
    );
  }
  if (bytes.length > MAX_INPUT) throw new BreakGlassError('BAD_INPUT', `${what} in ${path} is larger than 1 MiB`);
  return bytes;
}

/** Reads a JSON file, or BAD_INPUT naming the file. */
export function readJsonFile(path: string, what: string): unknown {
  const text = readInputFile(path, what).toString('utf8');
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new BreakGlassError('BAD_INPUT', `${path} is not a ${what} (not JSON)`, {}, { cause: err });
  }
}

/** The argument as a text code when it looks like one, else the contents of the file it names. */
export function codeOrFile(arg: string, what: string): string {
  if (arg.startsWith('BGV')) return arg;
  return readInputFile(arg, what).toString('utf8');
}

/** Refuses up front to overwrite a file, so a command fails before it changes anything. */
export function assertWritable(path: string): void {
  if (existsSync(path)) throw new BreakGlassError('BAD_INPUT', `${path} already exists; choose another file or remove it first`);
  if (!existsSync(dirname(path))) throw new BreakGlassError('BAD_INPUT', `the folder of ${path} does not exist`);
}

/** Writes a new file (never overwriting) with owner-only permissions, flushed to disk. */
export function writeNewFile(path: string, data: string | Uint8Array): void {
  let fd: number;
  try {
    fd = openSync(path, 'wx', 0o600);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new BreakGlassError(
      code === 'EEXIST' ? 'BAD_INPUT' : 'IO_ERROR',
      `cannot create ${path} (${code ?? 'error'})`,
      {},
      { cause: err },
    );
  }
  try {
    writeSync(fd, typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Asks for a passphrase on the terminal without echoing it. */
async function promptHidden(question: string): Promise<string> {
  const muted = new Writable({ write: (_chunk, _enc, done) => done() });
  const rl = createInterface({ input: process.stdin, output: muted, terminal: true });
  process.stderr.write(question);
  try {
    return await new Promise<string>((resolve) => rl.question('', resolve));
  } finally {
    rl.close();
    process.stderr.write('\n');
  }
}

/**
 * Where passphrases come from: `--passphrase-file FILE` (`-` = stdin, one passphrase per command),
 * or a hidden prompt on a terminal. Never argv, never the environment.
 */
export function passphraseSource(file: string | undefined): (purpose: string) => Promise<string> {
  return async (purpose: string) => {
    if (file !== undefined) {
      const text = readInputFile(file, 'the passphrase').toString('utf8');
      return text.replace(/\r?\n$/, '');
    }
    if (!process.stdin.isTTY) {
      throw new BreakGlassError(
        'BAD_ARGUMENTS',
        `a passphrase is needed (${purpose}); run in a terminal or pass --passphrase-file FILE (- for standard input)`,
      );
    }
    return promptHidden(`${purpose}: `);
  };
}

/** Asks a yes/no question on a terminal; false when there is no terminal to ask on. */
export async function confirm(question: string): Promise<boolean> {
  if (!process.stdin.isTTY) return false;
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await new Promise<string>((resolve) => rl.question(`${question} [y/N] `, resolve));
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}
