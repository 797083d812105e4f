import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { BreakGlassError, exitStatusFor } from '../core/errors.js';
import { printable } from '../core/text.js';
import { COMMANDS, type Command } from './commands.js';
import { GLOBAL_FLAGS, GLOBAL_HELP, extractGlobals, makeContext, type CliContext, type GlobalOptions } from './context.js';
import { abandonPendingFiles, muteTypeAhead } from './io.js';
import { didYouMean, withHint } from '../core/suggest.js';

/** The environment variables that change what breakglass does, for `breakglass --help`. */
const ENVIRONMENT: Readonly<Record<string, string>> = {
  BREAKGLASS_HOME: 'the vault folder when --vault is not given',
  BREAKGLASS_PROMPT_TIMEOUT: 'how many seconds a prompt waits for an answer, 1-3600, before the command ends (CANCELLED); default: 300',
  BREAKGLASS_DEBUG: 'set to 1: an unexpected (INTERNAL) error prints its stack on stderr',
  BREAKGLASS_LOG_LEVEL: 'the log level of breakglass server (fatal, error, warn, info, debug, trace); default: info',
  DATABASE_URL: 'the PostgreSQL database of breakglass server when --database is not given',
  TZ: "the time zone times are printed in; default: the machine's",
};

/** Labelled explanations, one label a line and its text indented below, as the command list is. */
const explained = (entries: readonly (readonly [string, string])[]): string =>
  entries.map(([label, text]) => `  ${label}\n      ${text}`).join('\n');

/**
 * The value an option takes as a usage names it ("DIR" of "--vault DIR"), or "" when it names
 * none (a flag that takes no value).
 */
export function valueName(usage: string, option: string): string {
  return new RegExp(`(?<![a-z-])--${option} ([A-Za-z0-9][^\\s\\]]*)`).exec(usage)?.[1] ?? '';
}

/** "--out FILE" for an option that takes a value, "--yes" for one that does not. */
const optionLabel = (usage: string, option: string): string => `--${option} ${valueName(usage, option)}`.trimEnd();

const GLOBAL_USAGE =
  'breakglass [--vault DIR] [--json] [--keystore os|file:PATH [--keystore-passphrase-file FILE]] [--passphrase-file FILE|-] COMMAND';

const USAGE = `usage: ${GLOBAL_USAGE}

${explained(COMMANDS.map((c) => [c.usage, c.summary]))}

global options, before or after the command:
${explained(Object.entries(GLOBAL_HELP).map(([flag, text]) => [optionLabel(GLOBAL_USAGE, flag), text]))}

environment:
${explained(Object.entries(ENVIRONMENT))}

"breakglass COMMAND --help" explains each option of a command, with examples.

Exit status: 0 ok, 2 bad input, 3 refused by policy or state, 4 integrity failure,
5 environment (no keychain, vault busy), 130 stopped by Ctrl-C, 1 anything else.`;

/** This build's version, from the package.json above this module (dist/src/cli or src/cli). */
export function cliVersion(): string {
  for (let dir = import.meta.dirname; dirname(dir) !== dir; dir = dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: unknown; version?: unknown };
      if (pkg.name === 'break-glass-vault' && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // not here: look one folder up
    }
  }
  return 'unknown';
}

const isHelp = (arg: string | undefined): boolean => arg === '--help' || arg === '-h';

/** The first words of commands, for "did you mean". */
const TOP_WORDS = [...new Set(COMMANDS.map((c) => c.words[0]!))];

/** The commands under a first word ("policy": check, set, show), or none when it is not a group. */
const groupOf = (word: string | undefined): Command[] => COMMANDS.filter((c) => c.words[0] === word && c.words.length > 1);

function groupUsage(word: string, group: readonly Command[]): string {
  const root = COMMANDS.find((c) => c.words.length === 1 && c.words[0] === word);
  const listed = explained([...(root ? [root] : []), ...group].map((c) => [c.usage, c.summary]));
  return `usage: breakglass ${word} COMMAND\n\n${listed}\n\n"breakglass ${word} COMMAND --help" explains each option of a command, with examples.`;
}

/** How `COMMAND --help` names one of the command's positionals ("FILE...") or options ("--out FILE"). */
function argumentLabel(command: Command, key: string): string {
  const positional = command.positionals.find((p) => p.replace(/\?$|\.\.\.$/, '') === key);
  if (positional !== undefined) return positional.replace(/\?$/, '');
  return command.options[key]?.type === 'boolean' ? `--${key}` : optionLabel(command.usage, key);
}

const GLOBAL_NAMES = Object.keys(GLOBAL_HELP)
  .map((flag) => `--${flag}`)
  .join(', ');

/**
 * `breakglass COMMAND --help`: its usage and summary (and the other commands of its group), each
 * positional and option explained with its default, and examples.
 */
function commandHelp(command: Command, group: readonly Command[]): string {
  const others =
    command.words.length === 1 && group.length > 0
      ? `\n      other ${command.words[0]!} commands: ${group.map((c) => c.words.join(' ')).join(', ')}`
      : '';
  const entries = Object.entries(command.explain).map(([key, text]) => [argumentLabel(command, key), text] as const);
  const options = entries.length > 0 ? `options:\n${explained(entries)}` : 'options: none of its own';
  const examples = command.examples.map((e) => `  breakglass ${e}`).join('\n');
  return `usage: breakglass ${command.usage}\n      ${command.summary}${others}\n\n${options}\nglobal options: ${GLOBAL_NAMES}; see "breakglass --help"\n\nexamples:\n${examples}`;
}

/**
 * The options a command's usage shows outside brackets: the ones it cannot run without. A usage
 * with alternatives at its top level ("approve A | approve B") names none.
 */
export function requiredOptions(usage: string): string[] {
  let bare = usage;
  for (let before = ''; before !== bare;) {
    before = bare;
    bare = bare.replace(/\[[^[\]]*\]/g, '');
  }
  if (bare.includes(' | ')) return [];
  return [...bare.matchAll(/--([a-z][a-z0-9-]*)/g)].map((m) => m[1]!);
}

/** The positional arguments of a usage that are not optional, by name ("REQUEST"). */
const requiredPositionals = (command: Command): string[] =>
  command.positionals.filter((p) => !p.endsWith('?')).map((p) => p.replace(/\.\.\.$/, ''));

function findCommand(rest: readonly string[]): { command: Command; args: string[] } | null {
  // The longest run of leading words that names a command wins ("request export" over "request").
  const candidates = COMMANDS.filter((c) => c.words.every((w, i) => rest[i] === w)).sort((a, b) => b.words.length - a.words.length);
  const command = candidates[0];
  return command ? { command, args: rest.slice(command.words.length) } : null;
}

/**
 * parseArgs refuses an option value that starts with a dash ("argument is ambiguous"), but a
 * base64url key starts with one once in 64 keys, and a reason may too. So a value-taking option
 * followed by anything other than one of the command's own options (or "--") takes it as its value.
 */
export function attachDashValues(args: readonly string[], options: Command['options']): string[] {
  // The command's own option an argument names ("--out" or "--out=x"), if any.
  const own = (arg: string): { type: 'string' | 'boolean' } | undefined => {
    const name = arg.startsWith('--') ? arg.slice(2).split('=')[0]! : '';
    return Object.hasOwn(options, name) ? options[name] : undefined;
  };
  const isOption = (arg: string): boolean => arg === '--' || arg === '--help' || own(arg) !== undefined;
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') {
      out.push(...args.slice(i));
      break;
    }
    const next = args[i + 1];
    const takesValue = !arg.includes('=') && own(arg)?.type === 'string';
    if (takesValue && next !== undefined && next.startsWith('-') && !isOption(next)) {
      out.push(`${arg}=${next}`);
      i += 1;
    } else {
      out.push(arg);
    }
  }
  return out;
}

/** What a command line asks for: a usage text to print, or a command to run with its parsed arguments. */
export type CommandLine =
  | { readonly kind: 'usage'; readonly globals: GlobalOptions; readonly usage: string; readonly status: 0 | 2 }
  | { readonly kind: 'version'; readonly globals: GlobalOptions; readonly version: string }
  | {
      readonly kind: 'run';
      readonly globals: GlobalOptions;
      readonly command: Command;
      readonly values: Record<string, string | boolean | string[] | undefined>;
      readonly positionals: string[];
    };

/**
 * Parses a command line without running anything: BAD_ARGUMENTS for an unknown command, option or
 * word, a missing value or the wrong number of positionals.
 */
export function parseCommandLine(argv: readonly string[]): CommandLine {
  const { globals, rest } = extractGlobals(argv);
  if (rest.length === 0) {
    // With --json, every outcome is exactly one JSON object on stdout, so no command is an error.
    if (globals.json) throw new BreakGlassError('BAD_ARGUMENTS', 'no command given; see "breakglass --help"');
    return { kind: 'usage', globals, usage: USAGE, status: 2 };
  }
  if (rest[0] === '--help' || rest[0] === 'help' || rest[0] === '-h') return { kind: 'usage', globals, usage: USAGE, status: 0 };
  if (rest[0] === '--version') {
    if (rest.length > 1) throw new BreakGlassError('BAD_ARGUMENTS', '--version takes nothing after it');
    return { kind: 'version', globals, version: cliVersion() };
  }
  const found = findCommand(rest);
  if (!found) {
    const group = groupOf(rest[0]);
    if (group.length > 0 && isHelp(rest[1]) && rest.length === 2)
      return { kind: 'usage', globals, usage: groupUsage(rest[0]!, group), status: 0 };
    throw unknownCommand(rest);
  }
  const { command, args } = found;
  const usage = `usage: breakglass ${command.usage}`;
  const group = groupOf(command.words[0]);
  // "request exprot": a group's own command that takes no words after its name was given one.
  if (
    command.words.length === 1 &&
    group.length > 0 &&
    command.positionals.length === 0 &&
    args[0] !== undefined &&
    !args[0].startsWith('-')
  ) {
    const subs = group.map((c) => c.words.slice(1).join(' '));
    const hint =
      didYouMean(args[0], subs, (s) => `"${command.words[0]!} ${s}"`) ||
      `; the ${command.words[0]!} commands are ${[command, ...group].map((c) => `"${c.words.join(' ')}"`).join(', ')};`;
    throw new BreakGlassError(
      'BAD_ARGUMENTS',
      withHint(`unknown command "${[...command.words, args[0]].join(' ')}"`, hint, `see "breakglass ${command.words[0]!} --help"`),
    );
  }
  // Help is asked for by an option of its own, not by an option's value ("--reason -h").
  const attached = attachDashValues(args, command.options);
  if (attached.some(isHelp)) return { kind: 'usage', globals, usage: commandHelp(command, group), status: 0 };
  checkOptions(command, attached, usage);
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: attached, options: command.options, allowPositionals: true, strict: true });
  } catch {
    // checkOptions names every way a line can fail here; this is the last word, without the runtime's text.
    throw new BreakGlassError('BAD_ARGUMENTS', `the options are not in the form "--name value"; ${usage}`);
  }
  const missing = [
    ...requiredPositionals(command).slice(parsed.positionals.length),
    ...requiredOptions(command.usage)
      .filter((name) => parsed.values[name] === undefined || parsed.values[name] === '')
      .map((name) => `--${name}`),
  ];
  if (missing.length > 0) throw new BreakGlassError('BAD_ARGUMENTS', `missing ${listed(missing)}; ${usage}`, { missing });
  // A last positional named "NAME..." takes every argument from there on.
  const variadic = command.positionals.at(-1)?.endsWith('...') === true;
  if (!variadic && parsed.positionals.length > command.positionals.length) {
    // Not echoed: a person who misread "-" may have typed a secret there.
    const takes =
      command.positionals.length === 0
        ? 'takes no arguments'
        : `takes ${command.positionals.map((p) => p.replace(/\?$/, '')).join(' ')} only`;
    throw new BreakGlassError('BAD_ARGUMENTS', `too many arguments: "breakglass ${command.words.join(' ')}" ${takes}; ${usage}`);
  }
  return {
    kind: 'run',
    globals,
    command,
    values: parsed.values as Record<string, string | boolean | string[] | undefined>,
    positionals: parsed.positionals,
  };
}

const listed = (names: readonly string[]): string =>
  names.length === 1 ? names[0]! : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]!}`;

/** BAD_ARGUMENTS for a line no command matches: a group without its command, a mistyped word or option. */
function unknownCommand(rest: readonly string[]): BreakGlassError {
  const [first, second] = rest as [string, string | undefined];
  if (first.startsWith('-')) {
    const name = first.replace(/^-+/, '').split('=')[0]!;
    return new BreakGlassError(
      'BAD_ARGUMENTS',
      withHint(
        `unknown option ${first.split('=')[0]!} before the command`,
        didYouMean(name, [...GLOBAL_FLAGS, 'help', 'version'], (s) => `--${s}`),
        'see "breakglass --help"',
      ),
    );
  }
  const group = groupOf(first);
  if (group.length > 0) {
    const subs = group.map((c) => c.words[1]!);
    if (second === undefined || second.startsWith('-')) {
      return new BreakGlassError(
        'BAD_ARGUMENTS',
        `"${first}" needs one of its commands: ${group.map((c) => `"${c.words.join(' ')}"`).join(', ')}; see "breakglass ${first} --help"`,
      );
    }
    return new BreakGlassError(
      'BAD_ARGUMENTS',
      withHint(
        `unknown command "${first} ${second}"`,
        didYouMean(second, subs, (s) => `"${first} ${s}"`),
        `see "breakglass ${first} --help"`,
      ),
    );
  }
  return new BreakGlassError(
    'BAD_ARGUMENTS',
    withHint(`unknown command "${first}"`, didYouMean(first, TOP_WORDS), 'see "breakglass --help"'),
  );
}

/**
 * Every option on the line is the command's own, given once, with a value exactly when it takes
 * one; BAD_ARGUMENTS naming the first that is not, in words (never the parser's own text).
 */
function checkOptions(command: Command, args: readonly string[], usage: string): void {
  const seen = new Set<string>();
  const own = Object.keys(command.options);
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') return;
    if (arg === '-' || !arg.startsWith('-')) continue;
    const name = arg.startsWith('--') ? arg.slice(2).split('=')[0]! : arg.slice(1);
    const spec = arg.startsWith('--') && Object.hasOwn(command.options, name) ? command.options[name] : undefined;
    if (!spec) {
      throw new BreakGlassError(
        'BAD_ARGUMENTS',
        withHint(
          `unknown option ${arg.split('=')[0]!} for "breakglass ${command.words.join(' ')}"`,
          didYouMean(name, [...own, ...GLOBAL_FLAGS], (s) => `--${s}`),
          usage,
        ),
      );
    }
    if (seen.has(name) && !spec.multiple) throw new BreakGlassError('BAD_ARGUMENTS', `--${name} is given twice; give it once; ${usage}`);
    seen.add(name);
    if (spec.type === 'boolean' && arg.includes('=')) throw new BreakGlassError('BAD_ARGUMENTS', `--${name} takes no value; ${usage}`);
    if (spec.type === 'string' && !arg.includes('=')) {
      const next = args[i + 1];
      if (next === undefined || next === '--' || (next.startsWith('-') && next !== '-'))
        throw new BreakGlassError('BAD_ARGUMENTS', `--${name} needs a value; ${usage}`);
      i += 1;
    }
  }
}

/** Runs the CLI with `argv` (without node and the script) and returns the exit status. */
export async function runCli(argv: readonly string[]): Promise<number> {
  let json = argv.includes('--json');
  let ctx: CliContext | undefined;
  try {
    const line = parseCommandLine(argv);
    json = line.globals.json;
    if (line.kind === 'version') {
      process.stdout.write(json ? `${JSON.stringify({ ok: true, version: line.version })}\n` : `breakglass ${line.version}\n`);
      return 0;
    }
    if (line.kind === 'usage') {
      process.stdout.write(json ? `${JSON.stringify({ ok: true, usage: line.usage })}\n` : `${line.usage}\n`);
      return line.status;
    }
    const interrupted = (): void => {
      // Between two steps (a commit is synchronous, so never inside one): what was committed stays,
      // the next write session settles the rest, and no output is left half made.
      abandonPendingFiles();
      if (!json) process.stderr.write('\n');
      reportError(
        new BreakGlassError('CANCELLED', 'interrupted (Ctrl-C) before it finished; what it had already committed stays in the journal'),
        json,
        ctx,
      );
      process.exit(exitStatusFor('CANCELLED'));
    };
    if (!line.command.handlesInterrupt) {
      process.on('SIGINT', interrupted);
      muteTypeAhead();
    }
    try {
      ctx = makeContext(line.globals, line.command.words.join(' '));
      const result = await line.command.run(ctx, line.values, line.positionals);
      if (json) process.stdout.write(`${JSON.stringify({ ok: true, ...result })}\n`);
      return 0;
    } finally {
      process.off('SIGINT', interrupted);
    }
  } catch (err) {
    return reportError(err, json, ctx);
  }
}

/** Which vault an error happened in (once the command opened one): its name and folder, and whether that is the default one. */
function vaultInUse(ctx: CliContext | undefined): { name: string; dir: string; defaultFolder: boolean } | null {
  if (!ctx?.vaultInUse) return null;
  return { ...ctx.vaultInUse, defaultFolder: !ctx.vaultGiven };
}

function reportError(err: unknown, json: boolean, ctx?: CliContext): number {
  const known = err instanceof BreakGlassError ? err : null;
  const code = known?.code ?? 'INTERNAL';
  // An unexpected error's message could come from anywhere, so it is not printed unless debugging.
  const message = known?.message ?? 'an unexpected error occurred; rerun with BREAKGLASS_DEBUG=1 for details';
  const vault = vaultInUse(ctx);
  if (json) {
    process.stdout.write(
      `${JSON.stringify({ ok: false, error: { code, message, details: known?.details ?? {} }, ...(vault ? { vault } : {}) })}\n`,
    );
  } else {
    process.stderr.write(`breakglass: ${code}: ${printable(message)}\n`);
    if (vault)
      process.stderr.write(
        `breakglass: vault in use: "${printable(vault.name)}" in ${printable(vault.dir)}${vault.defaultFolder ? ' (the default folder; --vault DIR names another)' : ''}\n`,
      );
  }
  if (process.env['BREAKGLASS_DEBUG'] === '1' && !known) process.stderr.write(`${(err as Error)?.stack ?? String(err)}\n`);
  return exitStatusFor(code);
}
