import { parseArgs } from 'node:util';
import { BreakGlassError, exitStatusFor } from '../core/errors.js';
import { printable } from '../core/text.js';
import { COMMANDS, type Command } from './commands.js';
import { extractGlobals, makeContext, type GlobalOptions } from './context.js';

const USAGE = `usage: breakglass [--vault DIR] [--json] [--keystore os|file:PATH [--keystore-passphrase-file FILE]] [--passphrase-file FILE|-] COMMAND

${COMMANDS.map((c) => `  ${c.usage}\n      ${c.summary}`).join('\n')}

Exit status: 0 ok, 2 bad input, 3 refused by policy or state, 4 integrity failure,
5 environment (no keychain, vault busy), 1 anything else.`;

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
  | {
      readonly kind: 'run';
      readonly globals: GlobalOptions;
      readonly command: Command;
      readonly values: Record<string, string | boolean | undefined>;
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
  const found = findCommand(rest);
  if (!found) throw new BreakGlassError('BAD_ARGUMENTS', `unknown command "${rest.slice(0, 2).join(' ')}"; see "breakglass --help"`);
  const { command, args } = found;
  // "request exprot": a command that takes no words after its name was given one.
  if (command.positionals.length === 0 && args[0] !== undefined && !args[0].startsWith('-')) {
    const near = COMMANDS.filter((c) => c.words[0] === command.words[0]).map((c) => `"${c.words.join(' ')}"`);
    throw new BreakGlassError(
      'BAD_ARGUMENTS',
      `unknown command "${[...command.words, args[0]].join(' ')}"; did you mean ${near.join(', ')}? see "breakglass --help"`,
    );
  }
  // Help is asked for by an option of its own, not by an option's value ("--reason -h").
  const attached = attachDashValues(args, command.options);
  if (attached.includes('--help') || attached.includes('-h')) {
    return { kind: 'usage', globals, usage: `usage: breakglass ${command.usage}\n      ${command.summary}`, status: 0 };
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: attached, options: command.options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new BreakGlassError('BAD_ARGUMENTS', `${(err as Error).message.split('\n')[0]}; usage: breakglass ${command.usage}`);
  }
  const required = command.positionals.filter((p) => !p.endsWith('?')).length;
  if (parsed.positionals.length < required || parsed.positionals.length > command.positionals.length) {
    throw new BreakGlassError('BAD_ARGUMENTS', `usage: breakglass ${command.usage}`);
  }
  return {
    kind: 'run',
    globals,
    command,
    values: parsed.values as Record<string, string | boolean | undefined>,
    positionals: parsed.positionals,
  };
}

/** Runs the CLI with `argv` (without node and the script) and returns the exit status. */
export async function runCli(argv: readonly string[]): Promise<number> {
  let json = argv.includes('--json');
  try {
    const line = parseCommandLine(argv);
    json = line.globals.json;
    if (line.kind === 'usage') {
      process.stdout.write(json ? `${JSON.stringify({ ok: true, usage: line.usage })}\n` : `${line.usage}\n`);
      return line.status;
    }
    const result = await line.command.run(makeContext(line.globals), line.values, line.positionals);
    if (json) process.stdout.write(`${JSON.stringify({ ok: true, ...result })}\n`);
    return 0;
  } catch (err) {
    return reportError(err, json);
  }
}

function reportError(err: unknown, json: boolean): number {
  const known = err instanceof BreakGlassError ? err : null;
  const code = known?.code ?? 'INTERNAL';
  // An unexpected error's message could come from anywhere, so it is not printed unless debugging.
  const message = known?.message ?? 'an unexpected error occurred; rerun with BREAKGLASS_DEBUG=1 for details';
  if (json) {
    process.stdout.write(`${JSON.stringify({ ok: false, error: { code, message, details: known?.details ?? {} } })}\n`);
  } else {
    process.stderr.write(`breakglass: ${code}: ${printable(message)}\n`);
  }
  if (process.env['BREAKGLASS_DEBUG'] === '1' && !known) process.stderr.write(`${(err as Error)?.stack ?? String(err)}\n`);
  return exitStatusFor(code);
}
