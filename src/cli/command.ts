import { IdSchema } from '../core/documents.js';
import { BreakGlassError } from '../core/errors.js';
import type { CliContext } from './context.js';

/**
 * What every command file shares: the shape of a command, its parsed options, and the checks of a
 * required option or id. The commands themselves are grouped by area (commands.ts lists them all).
 */

/** Parsed options of one command: strings and booleans, as node:util parseArgs gives them (a list for a repeatable one). */
export type Values = Record<string, string | boolean | string[] | undefined>;

/** One CLI command: its words, options, positional arguments, and what it does. */
export interface Command {
  readonly words: readonly string[];
  readonly usage: string;
  readonly summary: string;
  /** `multiple`: the option may be given more than once (its values come as a list). */
  readonly options: Record<string, { type: 'string' | 'boolean'; multiple?: true }>;
  /** By name; "NAME?" is optional, and a last "NAME..." takes one or more (the rest of the line). */
  readonly positionals: readonly string[];
  /**
   * What `COMMAND --help` says of each option (by its key) and positional (by its name, without "?"
   * or "..."), in the order shown: what it is and, for one that may be left out, its default (or the
   * option it goes with). A global flag the usage names (`policy check [--vault DIR]`) may be explained too.
   */
  readonly explain: Readonly<Record<string, string>>;
  /** One to three command lines, without the leading "breakglass", that parse as this command; no secret in any. */
  readonly examples: readonly string[];
  /** A command that runs until stopped handles Ctrl-C itself (a graceful stop); any other is CANCELLED by it. */
  readonly handlesInterrupt?: true;
  run(ctx: CliContext, v: Values, args: string[]): Promise<Record<string, unknown>>;
}

/** A required string option, or BAD_ARGUMENTS naming it. */
export function req(v: Values, name: string): string {
  const value = v[name];
  if (typeof value !== 'string' || value === '') throw new BreakGlassError('BAD_ARGUMENTS', `--${name} is required`);
  return value;
}

/** A required id option, checked against the id alphabet. */
export function id(v: Values | string, name: string): string {
  const value = typeof v === 'string' ? v : req(v, name);
  const parsed = IdSchema.safeParse(value);
  if (!parsed.success)
    throw new BreakGlassError('BAD_ARGUMENTS', `${name} "${value}" is not a valid id: use 1-64 of a-z, 0-9, ".", "_", "-"`);
  return value;
}

/** An optional id option: undefined when not given, else checked as `id` does. */
export function optionalId(v: Values, name: string): string | undefined {
  return v[name] === undefined ? undefined : id(v, name);
}

/** The help of `--by` on a change nobody signs (policy set, member add and remove, seal). */
export const BY_HELP =
  "who made this change, for the journal: an enrolled member's id (stated, not signed); default: the login account, recorded as login:NAME";

/** Option types, for the commands' option tables. */
export const S = { type: 'string' } as const;
export const B = { type: 'boolean' } as const;
