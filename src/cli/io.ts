import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  constants,
  fstatSync,
  fsyncSync,
  linkSync,
  lstatSync,
  openSync,
  readSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { assertJsonDepth } from '../core/depth.js';
import { BreakGlassError } from '../core/errors.js';
import { assertDocumentKind, type DocumentKind } from '../core/recognise.js';

const MAX_INPUT = 1024 * 1024;

let stdinUsed = false;

function claimStdin(what: string): void {
  if (stdinUsed) throw new BreakGlassError('BAD_ARGUMENTS', `standard input is already used for another input; give ${what} as a file`);
  stdinUsed = true;
}

/**
 * Reads at most `maxBytes + 1` bytes from `fd`: one byte more than allowed is enough to refuse, so
 * an endless or huge input costs constant memory and time. Null when it is over the limit.
 */
function readBounded(fd: number, maxBytes: number): Buffer | null {
  const buffer = Buffer.alloc(Math.min(maxBytes + 1, 64 * 1024));
  const chunks: Buffer[] = [];
  let total = 0;
  for (;;) {
    let n: number;
    try {
      n = readSync(fd, buffer, 0, buffer.length, null);
    } catch (err) {
      // A non-blocking pipe with nothing in it yet: wait for the writer, as a blocking read would.
      if ((err as NodeJS.ErrnoException).code === 'EAGAIN') {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
        continue;
      }
      if ((err as NodeJS.ErrnoException).code === 'EOF') break;
      throw err;
    }
    if (n === 0) break;
    chunks.push(Buffer.from(buffer.subarray(0, n)));
    total += n;
    if (total > maxBytes) return null;
  }
  return Buffer.concat(chunks, total);
}

const mib = (bytes: number): string => `${bytes / 1024 / 1024} MiB`;

function readStdin(what: string, maxBytes: number): Buffer {
  claimStdin(what);
  let bytes: Buffer | null;
  try {
    bytes = readBounded(0, maxBytes);
  } catch (err) {
    throw new BreakGlassError('BAD_INPUT', `could not read ${what} from standard input`, {}, { cause: err });
  }
  if (bytes === null) throw new BreakGlassError('BAD_INPUT', `${what} on standard input is larger than ${mib(maxBytes)}`);
  return bytes;
}

/**
 * Reads a secret named on the command line: from a file, from piped standard input, or, for "-" on a
 * terminal, typed twice at a prompt that does not show it (one line).
 */
export async function readSecretInput(path: string, what: string): Promise<Buffer> {
  if (path !== '-' || !process.stdin.isTTY) return readInputFile(path, what);
  claimStdin(what);
  const first = await promptHidden(`${what} (not shown; one line): `);
  const again = await promptHidden(`${what} again: `);
  if (first !== again) throw new BreakGlassError('BAD_INPUT', `the two entries of ${what} differ; nothing was changed`);
  if (first === '') throw new BreakGlassError('BAD_INPUT', `${what} is empty; nothing was changed`);
  return Buffer.from(first, 'utf8');
}

/** Reads a file named on the command line (`-` = standard input), with a size limit and a clear error. */
export function readInputFile(path: string, what: string, maxBytes = MAX_INPUT): Buffer {
  if (path === '-') return readStdin(what, maxBytes);
  const fd = openInputFile(path, what, maxBytes);
  try {
    let bytes: Buffer | null;
    try {
      bytes = readBounded(fd, maxBytes);
    } catch (err) {
      return refuseInput(path, what, (err as NodeJS.ErrnoException).code ?? 'error', err);
    }
    // The file grew while it was read.
    if (bytes === null) return refuseInput(path, what, `larger than ${mib(maxBytes)}`);
    return bytes;
  } finally {
    closeSync(fd);
  }
}

const refuseInput = (path: string, what: string, why: string, cause?: unknown): never => {
  throw new BreakGlassError('BAD_INPUT', `cannot read ${what} from ${path} (${why})`, {}, cause === undefined ? {} : { cause });
};

/** Opens a regular file of at most `maxBytes` for reading, or BAD_INPUT naming it; the caller closes it. */
function openInputFile(path: string, what: string, maxBytes: number): number {
  let fd: number;
  try {
    // Non-blocking, so a FIFO cannot hang the open; the type is checked on what was opened.
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return refuseInput(path, what, code === 'ENOENT' ? 'no such file' : (code ?? 'error'), err);
  }
  try {
    const stat = fstatSync(fd);
    // Only a regular file: a directory, a FIFO, a socket or a device (a link to /dev/zero) is refused.
    if (!stat.isFile()) refuseInput(path, what, stat.isDirectory() ? 'it is a folder' : 'not a regular file');
    if (stat.size > maxBytes) refuseInput(path, what, `larger than ${mib(maxBytes)}`);
    return fd;
  } catch (err) {
    closeSync(fd);
    throw err;
  }
}

/** How much of a file a chunked reader holds at once. */
const CHUNK_BYTES = 1024 * 1024;

/**
 * A file named on the command line, read in chunks (`-` = standard input, read whole, since it
 * cannot be read twice): the same checks as readInputFile, then `use` gets a source that reads the
 * file from its start on each call, CHUNK_BYTES at a time, never past `maxBytes`. Closed when `use` settles.
 */
export async function withChunkedInput<T>(
  path: string,
  what: string,
  maxBytes: number,
  use: (chunks: () => Iterable<Uint8Array>) => Promise<T>,
): Promise<T> {
  if (path === '-') {
    const bytes = readStdin(what, maxBytes);
    return use(() => [bytes]);
  }
  const fd = openInputFile(path, what, maxBytes);
  try {
    return await use(function* () {
      let position = 0;
      for (;;) {
        const chunk = Buffer.allocUnsafe(CHUNK_BYTES);
        let n: number;
        try {
          n = readSync(fd, chunk, 0, CHUNK_BYTES, position);
        } catch (err) {
          return refuseInput(path, what, (err as NodeJS.ErrnoException).code ?? 'error', err);
        }
        if (n === 0) return;
        position += n;
        if (position > maxBytes) refuseInput(path, what, `larger than ${mib(maxBytes)}`);
        yield chunk.subarray(0, n);
      }
    });
  } finally {
    closeSync(fd);
  }
}

/**
 * Reads a JSON file, or BAD_INPUT naming the file. With `kind`, a document that says it is another
 * kind is FOREIGN_INPUT naming the file, what it is and where it goes (src/core/recognise.ts).
 */
export function readJsonFile(path: string, what: string, kind?: DocumentKind): unknown {
  const document = parseJsonText(readInputFile(path, what).toString('utf8'), what, path);
  if (kind !== undefined) assertDocumentKind(document, kind, path === '-' ? 'standard input' : path);
  return document;
}

/**
 * Parses the JSON text of a file (`path` names it in errors): BAD_INPUT when it is not JSON or
 * starts with a byte-order mark, TOO_DEEP when it nests too deeply.
 */
export function parseJsonText(text: string, what: string, path: string): unknown {
  if (text.startsWith('\uFEFF'))
    throw new BreakGlassError('BAD_INPUT', `${path} starts with a byte-order mark (U+FEFF); save it without one`);
  assertJsonDepth(text, `${what} ${path}`);
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

/** A new file, reserved (owner-only, never overwriting) before the command changes anything; whole or absent after a crash. */
export interface NewFile {
  readonly path: string;
  /** Writes all of `data`, flushed to disk; on any failure the file is removed and IO_ERROR thrown. */
  write(data: string | Uint8Array): void;
  /** Removes the temporary file unless it was written (the command failed before it had anything to write). */
  abandon(): void;
}

const errnoOf = (err: unknown): string => (err as NodeJS.ErrnoException).code ?? 'error';

/**
 * Reserves `path` for a new file, owner-only and never overwriting, so that a command fails before
 * it journals or decrypts anything when its output cannot be created (it exists, its folder does
 * not, the folder is read-only). The bytes go to a temporary file beside it (`.NAME.RANDOM.partial`),
 * which `write` fsyncs and then links into place (refusing a name that appeared meanwhile), and
 * fsyncs the folder: after a crash at any point, `path` is either absent or whole, never empty or
 * cut short. A leftover `.partial` file is all a crash can leave.
 */
/** Removers of the temporary files of outputs not yet written, for an interrupted command. */
const pendingFiles = new Set<() => void>();

/** Removes every output file this process reserved and has not written (Ctrl-C mid-command). */
export function abandonPendingFiles(): void {
  for (const remove of pendingFiles) remove();
}

export function reserveNewFile(path: string): NewFile {
  if (path === '') throw new BreakGlassError('BAD_ARGUMENTS', 'the output file name is empty');
  const taken = (): BreakGlassError => new BreakGlassError('BAD_INPUT', `${path} already exists; choose another file or remove it first`);
  if (nameTaken(path)) throw taken();
  const folder = dirname(resolve(path));
  const temp = join(folder, `.${basename(path)}.${randomBytes(6).toString('hex')}.partial`);
  let fd: number;
  try {
    fd = openSync(temp, 'wx', 0o600);
  } catch (err) {
    const code = errnoOf(err);
    if (code === 'ENOENT') throw new BreakGlassError('BAD_INPUT', `the folder of ${path} does not exist`);
    throw new BreakGlassError('IO_ERROR', `cannot create ${path} (${code})`, {}, { cause: err });
  }
  let open = true;
  let written = false;
  const close = (): void => {
    if (open) closeSync(fd);
    open = false;
  };
  const remove = (): void => {
    pendingFiles.delete(remove);
    try {
      close();
    } finally {
      rmSync(temp, { force: true });
    }
  };
  pendingFiles.add(remove);
  return {
    path,
    write(data) {
      if (!open) throw new Error(`${path} was already written or abandoned`);
      const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
      try {
        // writeSync may write less than asked (a full disk does that before it fails).
        for (let at = 0; at < bytes.length;) at += writeSync(fd, bytes, at, bytes.length - at);
        fsyncSync(fd);
        close();
      } catch (err) {
        remove();
        throw new BreakGlassError(
          'IO_ERROR',
          `could not write ${path} (${errnoOf(err)}); the incomplete file was removed`,
          {},
          { cause: err },
        );
      }
      pendingFiles.delete(remove);
      try {
        publish(temp, path);
        written = true;
      } catch (err) {
        if (errnoOf(err) === 'EEXIST') throw taken();
        throw new BreakGlassError(
          'IO_ERROR',
          `could not move ${path} into place (${errnoOf(err)}); nothing was left under that name`,
          {},
          { cause: err },
        );
      } finally {
        // Linked (or failed): the temporary name goes either way.
        rmSync(temp, { force: true });
      }
      syncFolder(folder);
    },
    abandon() {
      if (!written) remove();
    },
  };
}

/**
 * Puts the finished file `temp` at `path`: a hard link, which fails if `path` exists. A file system
 * without hard links (FAT on a USB stick) gets a rename instead, after checking again that `path`
 * is free (a race there could replace a file made in the same instant; nothing else can).
 */
function publish(temp: string, path: string): void {
  try {
    linkSync(temp, path);
  } catch (err) {
    const code = errnoOf(err);
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw err;
    if (nameTaken(path)) throw Object.assign(new Error(`${path} exists`), { code: 'EEXIST' });
    renameSync(temp, path);
  }
}

/** True when something (a file, a folder, a dangling link) already has the name `path`. */
function nameTaken(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

/** Flushes a folder's entries (the new name) to disk; a file system that cannot is left as it is. */
function syncFolder(folder: string): void {
  let fd: number | null = null;
  try {
    fd = openSync(folder, constants.O_RDONLY);
    fsyncSync(fd);
  } catch {
    // Some file systems refuse fsync on a folder (EINVAL); the file itself is already on disk.
  } finally {
    if (fd !== null) closeSync(fd);
  }
}

/** Runs `use` with a reserved new file; if it fails before writing the file, the file is removed. */
export async function withNewFile<T>(path: string, use: (file: NewFile) => Promise<T>): Promise<T> {
  const file = reserveNewFile(path);
  try {
    return await use(file);
  } catch (err) {
    file.abandon();
    throw err;
  }
}

/**
 * How long a prompt waits for a person: BREAKGLASS_PROMPT_TIMEOUT seconds (1-3600), else 5 minutes.
 * A command asks before it takes the vault's lock (`withVaultAskingFirst`); a prompt nobody answers still ends it.
 */
export function promptTimeoutMs(env: NodeJS.ProcessEnv = process.env): number {
  const seconds = Number(env['BREAKGLASS_PROMPT_TIMEOUT'] ?? 300);
  return Number.isSafeInteger(seconds) && seconds >= 1 && seconds <= 3600 ? seconds * 1000 : 300_000;
}

const timedOut = (ms: number): BreakGlassError =>
  new BreakGlassError(
    'CANCELLED',
    `no answer at the prompt within ${Math.round(ms / 1000)} s; the command stopped, so the vault is free again`,
  );

/**
 * Turns the terminal's echo off for as long as the command runs, so that what a person types before a
 * prompt appears (a passphrase typed ahead while the vault opens) is never shown in clear. Ctrl-C
 * still stops the command; a y/N question shows its own answer; node puts the terminal back as it
 * found it when the process ends, however it ends short of SIGKILL. Nothing to do without a terminal,
 * and a system without `stty` keeps its echo.
 */
export function muteTypeAhead(): void {
  if (!process.stdin.isTTY) return;
  spawnSync('stty', ['-echo'], { stdio: ['inherit', 'ignore', 'ignore'], timeout: 2000 });
}

/** Asks for a passphrase on the terminal without echoing it. */
async function promptHidden(question: string): Promise<string> {
  const muted = new Writable({ write: (_chunk, _enc, done) => done() });
  const rl = createInterface({ input: process.stdin, output: muted, terminal: true });
  let timer: NodeJS.Timeout | undefined;
  process.stderr.write(question);
  try {
    return await new Promise<string>((resolve, reject) => {
      // Ctrl-C or Ctrl-D at the prompt: the command stops, with its own code and status.
      const cancel = (): void => reject(new BreakGlassError('CANCELLED', 'cancelled at the prompt'));
      rl.on('SIGINT', cancel);
      rl.on('close', cancel);
      const ms = promptTimeoutMs();
      timer = setTimeout(() => reject(timedOut(ms)), ms);
      rl.question('', resolve);
    });
  } finally {
    clearTimeout(timer);
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
    // "-" on a terminal is someone typing: a hidden prompt, not a read that echoes what they type.
    if (file !== undefined && !(file === '-' && process.stdin.isTTY)) {
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
  let timer: NodeJS.Timeout | undefined;
  try {
    const answer = await new Promise<string>((resolve, reject) => {
      const ms = promptTimeoutMs();
      timer = setTimeout(() => {
        process.stderr.write('\n');
        reject(timedOut(ms));
      }, ms);
      // Ctrl-C stops the command, as everywhere; Ctrl-D (no answer) is a no.
      rl.on('SIGINT', () => {
        process.stderr.write('\n');
        reject(new BreakGlassError('CANCELLED', 'cancelled at the prompt'));
      });
      rl.on('close', () => resolve('no'));
      rl.question(`${question} [y/N] `, resolve);
    });
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    clearTimeout(timer);
    rl.close();
  }
}
