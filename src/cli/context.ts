import { BreakGlassError } from '../core/errors.js';
import { terminalSafe } from '../core/text.js';
import { openSecretStore, probeSecretStore } from '../keychain/index.js';
import {
  VaultSession,
  applyTimeLimits,
  askFirst,
  defaultVaultDir,
  type PassphraseSource,
  type SecretStoreFactory,
} from '../vault/index.js';
import { passphraseSource } from './io.js';

/** What every command gets: global options, where passphrases come from, and how to print. */
export interface CliContext {
  readonly vaultDir: string;
  /** True when --vault named the folder; false for the default folder (or BREAKGLASS_HOME). */
  readonly vaultGiven: boolean;
  /** The command's words ("request export"), named to another command its write lock keeps waiting. */
  readonly command?: string;
  readonly json: boolean;
  readonly passphrase: PassphraseSource;
  /** True when passphrases are typed at a terminal prompt (so a new one is asked twice). */
  readonly promptsForPassphrase: boolean;
  /** True when --passphrase-file is "-" and standard input is not a terminal: passphrases are read from a pipe. */
  readonly passphraseFromPipe?: boolean;
  readonly secretStore: SecretStoreFactory;
  /** What must be asked before the vault's lock is taken (a key store file's passphrase), so nobody waits on it. */
  beforeLock?(): Promise<void>;
  /** The vault this command opened (its name, and its folder as a full path), once it has: named with an error. */
  vaultInUse?: { readonly name: string; readonly dir: string };
  /** A line for the person (suppressed with --json). */
  say(line: string): void;
  /** A notice on stderr (kept with --json, so stdout stays one JSON object). */
  note(line: string): void;
}

/** Global options, accepted before or after the command words. */
export interface GlobalOptions {
  /** Undefined when --vault is not given: the vault is then the default folder. */
  vault?: string;
  json: boolean;
  keystore?: string;
  keystorePassphraseFile?: string;
  passphraseFile?: string;
}

const GLOBAL_WITH_VALUE: Record<string, keyof GlobalOptions> = {
  '--vault': 'vault',
  '--keystore': 'keystore',
  '--keystore-passphrase-file': 'keystorePassphraseFile',
  '--passphrase-file': 'passphraseFile',
};

/** The global options' names, for "did you mean". */
export const GLOBAL_FLAGS: readonly string[] = ['json', ...Object.keys(GLOBAL_WITH_VALUE).map((f) => f.slice(2))];

/** What `breakglass --help` says of each global option, by its name in GLOBAL_FLAGS: what it does and its default. */
export const GLOBAL_HELP: Readonly<Record<string, string>> = {
  vault:
    "the vault's folder (init creates it, mode 0700); default: $BREAKGLASS_HOME when set, else the folder the desktop app uses: ~/.config/Break Glass Vault/vault on Linux ($XDG_CONFIG_HOME in place of ~/.config when set), ~/Library/Application Support/Break Glass Vault/vault on macOS, %APPDATA%\\Break Glass Vault\\vault on Windows",
  json: 'print exactly one JSON object on stdout for every outcome, {"ok":true,...} or {"ok":false,"error":{"code","message","details"}}; notes stay on stderr; default: lines for a person',
  keystore:
    "where this machine keeps its keys (the journal's, its members'): os, the OS keychain, or file:PATH, a file protected by a passphrase, for a machine without one; default: os",
  'keystore-passphrase-file':
    "with --keystore file:PATH: a file holding that file's passphrase (- for standard input); default: asked once per command, at a hidden prompt",
  'passphrase-file':
    'where passphrases come from: a file holding the passphrase (one line; one try), or - for piped standard input (one passphrase per command; on a terminal, - is the prompt); default: a hidden prompt at the terminal, three tries, and refused without a terminal',
};

/** Pulls the global options out of argv, leaving the command's own words and options. */
export function extractGlobals(argv: readonly string[]): { globals: GlobalOptions; rest: string[] } {
  const globals: GlobalOptions = { json: false };
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--json') {
      if (globals.json) throw new BreakGlassError('BAD_ARGUMENTS', '--json is given twice; give it once');
      globals.json = true;
      continue;
    }
    const [flag, inline] =
      arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const key = GLOBAL_WITH_VALUE[flag];
    if (key) {
      const value = inline ?? argv[++i];
      if (value === undefined || value === '') throw new BreakGlassError('BAD_ARGUMENTS', `${flag} needs a value`);
      if ((globals as unknown as Record<string, string | undefined>)[key] !== undefined)
        throw new BreakGlassError('BAD_ARGUMENTS', `${flag} is given twice; give it once`);
      (globals as unknown as Record<string, string>)[key] = value;
      continue;
    }
    rest.push(arg);
  }
  return { globals, rest };
}

/** Builds the context for one CLI run. */
export function makeContext(globals: GlobalOptions, command = ''): CliContext {
  const json = globals.json;
  // A key store file's passphrase is asked once per command (before any lock: see openVault).
  const askKeystore = passphraseSource(globals.keystorePassphraseFile);
  let keystorePassphrase: Promise<string> | null = null;
  const keystoreIsFile = globals.keystore?.startsWith('file:') === true;
  const readKeystorePassphrase = (): Promise<string> => (keystorePassphrase ??= askKeystore('passphrase of the key store file'));
  // A person at a terminal may mistype a passphrase: two more tries, not a re-typed command.
  const prompts = (globals.passphraseFile === undefined || globals.passphraseFile === '-') && process.stdin.isTTY === true;
  return {
    vaultDir: globals.vault ?? defaultVaultDir(),
    vaultGiven: globals.vault !== undefined,
    command,
    json,
    passphrase: Object.assign(passphraseSource(globals.passphraseFile), { tries: prompts ? 3 : 1 }),
    promptsForPassphrase: prompts,
    passphraseFromPipe: globals.passphraseFile === '-' && process.stdin.isTTY !== true,
    // A locked keyring reads as empty, so the store is probed before anything trusts a missing key.
    secretStore: async (namespace) => {
      const store = await openSecretStore(globals.keystore, namespace, readKeystorePassphrase);
      // The OS keyring reads as empty while locked, so it is probed before a missing key is trusted; a
      // key store file refuses a wrong passphrase on every read, and a probe would rewrite it.
      if (!keystoreIsFile) await probeSecretStore(store);
      return store;
    },
    beforeLock: async () => {
      if (keystoreIsFile) await readKeystorePassphrase();
    },
    say: (line) => {
      if (!json) process.stdout.write(`${terminalSafe(line)}\n`);
    },
    note: (line) => process.stderr.write(`${terminalSafe(line)}\n`),
  };
}

/**
 * Opens the vault. A write session holds the vault's lock and first applies the clock: expired
 * requests end and unseal windows past their limit close (each journaled).
 */
export async function openVault(ctx: CliContext, write: boolean): Promise<VaultSession> {
  if (write) await ctx.beforeLock?.();
  const session = await VaultSession.open(ctx.vaultDir, ctx.secretStore, { write, holder: ctx.command });
  ctx.vaultInUse = { name: session.name, dir: session.dir };
  try {
    if (write && session.report.ok) {
      // A cut tail or a missing journal key is named before any use case reads the vault's state.
      await session.assertSigningKey();
      for (const line of await applyTimeLimits(session)) ctx.note(`note: ${line}`);
    }
    return session;
  } catch (err) {
    await session.close();
    throw err;
  }
}

/** Runs `fn` with an open vault and always closes it. */
export async function withVault<T>(ctx: CliContext, write: boolean, fn: (session: VaultSession) => Promise<T> | T): Promise<T> {
  const session = await openVault(ctx, write);
  try {
    return await fn(session);
  } finally {
    await session.close();
  }
}

/**
 * Runs a use case that may ask for a passphrase: asked with no lock held, then run under the lock with
 * every check made again (`askFirst`). What can be known before the prompt (a cut tail, a keychain
 * that cannot be reached, a refusal) is said before it. `fn` returns what the command prints after.
 */
export function withVaultAskingFirst<T>(
  ctx: CliContext,
  fn: (session: VaultSession, passphrase: PassphraseSource) => Promise<T>,
): Promise<T> {
  const open = async (write: boolean): Promise<VaultSession> => {
    const session = await openVault(ctx, write);
    if (write || !session.report.ok) return session;
    try {
      await session.assertSigningKey();
      return session;
    } catch (err) {
      await session.close();
      throw err;
    }
  };
  return askFirst(open, ctx.passphrase, fn);
}

/**
 * Shows a screen and asks for the holder's decision just before the first passphrase, once: the
 * checks the vault can make without the holder (expired, approved already, not a holder) refuse
 * first, and nobody reads a request or answers y/N for an approval that would be refused anyway.
 */
export function confirmedBeforePassphrase(show: () => void, confirm: () => Promise<void>): (p: PassphraseSource) => PassphraseSource {
  let decided: Promise<void> | null = null;
  return (passphrase) =>
    Object.assign(async (prompt: string, question?: string): Promise<string> => {
      decided ??= (async () => {
        show();
        await confirm();
      })();
      await decided;
      return passphrase(prompt, question);
    }, passphrase);
}

/**
 * For the read views (`list`, `journal show`): a warning on stderr when the journal does not verify,
 * or when the keychain shows it was cut, while the view still shows what is there. A keychain this
 * machine cannot reach only means the second check could not be made, and says so.
 */
export async function warnIfJournalSuspect(ctx: CliContext, session: VaultSession): Promise<void> {
  const failure = session.report.failure;
  if (failure) {
    ctx.note(`warning: the journal does not verify (${failure.code} at seq ${failure.seq}); run "breakglass journal verify"`);
    return;
  }
  try {
    await session.assertSigningKey();
  } catch (err) {
    if (!(err instanceof BreakGlassError)) throw err;
    if (err.code === 'JOURNAL_TAMPERED') {
      ctx.note(
        `warning: the journal does not verify (${String(err.details['failure'])} at seq ${String(err.details['seq'])}): ${err.message}`,
      );
    } else if (err.code === 'TAIL_UNPROVEN') {
      ctx.note(`warning: the end of the journal cannot be proven (TAIL_UNPROVEN): ${err.message}`);
    } else if (err.code.startsWith('KEYCHAIN_')) {
      ctx.note(`note: the journal could not be checked against the keychain (${err.code}), so a cut tail would go unnoticed here`);
    } else {
      throw err;
    }
  }
}
