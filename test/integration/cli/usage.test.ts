import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { COMMANDS, type Command } from '../../../src/cli/commands.js';
import { GLOBAL_FLAGS, GLOBAL_HELP } from '../../../src/cli/context.js';
import { parseCommandLine, requiredOptions, valueName } from '../../../src/cli/main.js';
import { BreakGlassError } from '../../../src/core/errors.js';
import { ENTRY_KINDS } from '../../../src/core/journal.js';
import { BIN, run } from '../../helpers/cli.js';

/** A usage's top-level alternatives ("approve A | approve B"): a " | " inside brackets is not one. */
function alternatives(usage: string): string[] {
  const parts = [''];
  let depth = 0;
  for (let i = 0; i < usage.length; i++) {
    const ch = usage[i]!;
    depth += ch === '[' ? 1 : ch === ']' ? -1 : 0;
    if (depth === 0 && usage.startsWith(' | ', i)) {
      parts.push('');
      i += 2;
    } else {
      parts[parts.length - 1] += ch;
    }
  }
  return parts;
}

/** An example line as a shell splits it: words, and quoted words with their spaces ("WAN down"). */
const shellWords = (line: string): string[] => [...line.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3]!);

/** A positional's name as a command's help data names it: without "?" or "...". */
const positionalKey = (p: string): string => p.replace(/\?$|\.\.\.$/, '');

/** How a command's help labels one of its arguments, from the command's own data. */
function label(c: Command, key: string): string {
  const positional = c.positionals.find((p) => positionalKey(p) === key);
  if (positional !== undefined) return positional.replace(/\?$/, '');
  return c.options[key]?.type === 'boolean' ? `--${key}` : `--${key} ${valueName(c.usage, key)}`;
}

const GLOBALS_LINE = `global options: ${Object.keys(GLOBAL_HELP)
  .map((f) => `--${f}`)
  .join(', ')}; see "breakglass --help"`;

describe('help data: every option explained, with its default, and examples that parse', () => {
  it('every option and positional of every command has an explanation, and nothing else has one', () => {
    const problems: string[] = [];
    for (const c of COMMANDS) {
      const name = c.words.join(' ');
      const named = [...Object.keys(c.options), ...c.positionals.map(positionalKey)];
      // A global flag the usage shows (policy check [--vault DIR]) may be explained where it means more.
      const globalsShown = GLOBAL_FLAGS.filter((f) => valueName(c.usage, f) !== '' || c.usage.includes(`--${f}]`));
      for (const key of named) if (!c.explain[key]?.trim()) problems.push(`${name}: ${key} is not explained`);
      for (const key of Object.keys(c.explain))
        if (!named.includes(key) && !globalsShown.includes(key)) problems.push(`${name}: ${key} is explained but not an argument`);
      // The help shows "--out FILE": the usage names the value of every option that takes one.
      for (const [key, spec] of Object.entries(c.options))
        if (spec.type === 'string' && valueName(c.usage, key) === '') problems.push(`${name}: the usage names no value of --${key}`);
    }
    expect(problems).toEqual([]);
  });

  it('every optional option and positional says its default, or the option it goes with', () => {
    const missing: string[] = [];
    for (const c of COMMANDS) {
      // Required in some alternative of the usage ("enroll --again ..."): its absence is a usage error, not a default.
      const required = new Set(alternatives(c.usage).flatMap((alt) => requiredOptions(alt)));
      const optional = [
        ...Object.keys(c.options).filter((k) => !required.has(k)),
        ...c.positionals.filter((p) => p.endsWith('?')).map(positionalKey),
      ];
      for (const key of optional)
        if (!/\bdefault\b|\bwith --[a-z]/.test(c.explain[key] ?? '')) missing.push(`${c.words.join(' ')}: ${key}: ${c.explain[key]}`);
    }
    expect(missing).toEqual([]);
  });

  it('every example is a line that parses as its command, so examples cannot drift from the options', () => {
    for (const c of COMMANDS) {
      const name = c.words.join(' ');
      expect(c.examples.length, name).toBeGreaterThanOrEqual(1);
      expect(c.examples.length, name).toBeLessThanOrEqual(3);
      for (const example of c.examples) {
        expect(example, name).not.toMatch(/^breakglass /);
        let line: ReturnType<typeof parseCommandLine> | BreakGlassError;
        try {
          line = parseCommandLine(shellWords(example));
        } catch (err) {
          line = err as BreakGlassError;
        }
        expect(line instanceof BreakGlassError ? `${line.code}: ${line.message}` : line.kind, example).toBe('run');
        if (!(line instanceof BreakGlassError) && line.kind === 'run') expect(line.command.words.join(' '), example).toBe(name);
      }
    }
  });
});

describe('help and output pipes', () => {
  it('COMMAND --help prints its usage, summary, every option and positional explained, and examples, for every command', async () => {
    const transcripts = await Promise.all(COMMANDS.map((c) => run([...c.words, '--help'])));
    COMMANDS.forEach((c, i) => {
      const t = transcripts[i]!;
      // A group's own command ("request") names the group's other commands too.
      const others = COMMANDS.filter((o) => c.words.length === 1 && o.words.length > 1 && o.words[0] === c.words[0]);
      const explained = Object.entries(c.explain).map(([key, text]) => `  ${label(c, key)}\n      ${text}\n`);
      expect({ command: c.words.join(' '), status: t.status, stdout: t.stdout, stderr: t.stderr }).toEqual({
        command: c.words.join(' '),
        status: 0,
        stdout: [
          `usage: breakglass ${c.usage}\n      ${c.summary}\n`,
          others.length ? `      other ${c.words[0]!} commands: ${others.map((o) => o.words.join(' ')).join(', ')}\n` : '',
          '\n',
          explained.length ? `options:\n${explained.join('')}` : 'options: none of its own\n',
          `${GLOBALS_LINE}\n`,
          '\n',
          `examples:\n${c.examples.map((e) => `  breakglass ${e}\n`).join('')}`,
        ].join(''),
        stderr: '',
      });
    });
  });

  it('--help explains every global option with its default, and the environment variables breakglass reads', async () => {
    expect(Object.keys(GLOBAL_HELP).sort()).toEqual([...GLOBAL_FLAGS].sort());
    const t = await run(['--help']);
    expect([t.status, t.stderr]).toEqual([0, '']);
    const globals = t.stdout.slice(
      t.stdout.indexOf('\nglobal options, before or after the command:\n'),
      t.stdout.indexOf('\nenvironment:\n'),
    );
    for (const flag of GLOBAL_FLAGS) {
      const text = GLOBAL_HELP[flag]!;
      expect(text, flag).toMatch(/\bdefault: \S/);
      expect(globals).toContain(`\n  --${flag}${flag === 'json' ? '' : ` ${valueName(t.stdout.split('\n')[0]!, flag)}`}\n      ${text}\n`);
    }
    // Every BREAKGLASS_ variable the code reads is named in the environment block.
    const source = readdirSync(join(import.meta.dirname, '../../../src'), { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.ts'))
      .map((f) => readFileSync(join(import.meta.dirname, '../../../src', f), 'utf8'))
      .join('\n');
    const variables = [...new Set([...source.matchAll(/\bBREAKGLASS_[A-Z_]+\b/g)].map((m) => m[0]))];
    expect(variables).toEqual(expect.arrayContaining(['BREAKGLASS_HOME', 'BREAKGLASS_PROMPT_TIMEOUT', 'BREAKGLASS_DEBUG']));
    const environment = t.stdout.slice(t.stdout.indexOf('\nenvironment:\n'));
    for (const variable of variables) expect(environment, variable).toMatch(new RegExp(`\\n  ${variable}\\n      \\S`));
    expect(t.stdout).toContain('\n"breakglass COMMAND --help" explains each option of a command, with examples.\n');
  });

  it('GROUP --help lists the commands of every group (breakglass policy --help), and --version prints the version', async () => {
    const groups = [
      ...new Set(
        COMMANDS.filter((c) => c.words.length > 1 && !COMMANDS.some((r) => r.words.length === 1 && r.words[0] === c.words[0])).map(
          (c) => c.words[0]!,
        ),
      ),
    ];
    expect(groups).toEqual(expect.arrayContaining(['member', 'policy', 'journal', 'approval', 'shares']));
    const transcripts = await Promise.all(groups.map((g) => run([g, '--help'])));
    groups.forEach((g, i) => {
      const t = transcripts[i]!;
      const listed = COMMANDS.filter((c) => c.words[0] === g).map((c) => `  ${c.usage}\n      ${c.summary}`);
      expect({ g, status: t.status, stdout: t.stdout, stderr: t.stderr }).toEqual({
        g,
        status: 0,
        stdout: `usage: breakglass ${g} COMMAND\n\n${listed.join('\n')}\n\n"breakglass ${g} COMMAND --help" explains each option of a command, with examples.\n`,
        stderr: '',
      });
    });
    const version = (JSON.parse(readFileSync(join(import.meta.dirname, '../../../package.json'), 'utf8')) as { version: string }).version;
    expect(await run(['--version'])).toMatchObject({ status: 0, stdout: `breakglass ${version}\n`, stderr: '' });
    expect(await run(['--json', '--version'])).toMatchObject({
      status: 0,
      stdout: `${JSON.stringify({ ok: true, version })}\n`,
      stderr: '',
    });
  });

  // A tired person mistypes: each line gets one message that names what is wrong and the way out, in
  // the tool's words (never the argument parser's), exit 2, and nothing is created anywhere.
  it('mistyped commands and flags: did you mean; repeated flags refused; every missing argument named at once', async () => {
    const home = mkdtempSync(join(tmpdir(), 'bgv-usage-'));
    const vault = join(home, 'vault');
    try {
      const cases: [string[], string][] = [
        [['lisst'], 'unknown command "lisst"; did you mean "list"? see "breakglass --help"'],
        [['reqeust'], 'unknown command "reqeust"; did you mean "request"? see "breakglass --help"'],
        [['policy'], '"policy" needs one of its commands: "policy check", "policy set", "policy show"; see "breakglass policy --help"'],
        [['policy', 'shwo'], 'unknown command "policy shwo"; did you mean "policy show"? see "breakglass policy --help"'],
        [['journal', 'zzz'], 'unknown command "journal zzz"; see "breakglass journal --help"'],
        [
          ['request', 'bogus'],
          'unknown command "request bogus"; the request commands are "request", "request export", "request cancel", "request show"; see "breakglass request --help"',
        ],
        [['list', '--valt', '/tmp/x'], 'unknown option --valt for "breakglass list"; did you mean --vault? usage: breakglass list'],
        [['list', '-x'], 'unknown option -x for "breakglass list"; usage: breakglass list'],
        [['--jsn', 'list'], 'unknown option --jsn before the command; did you mean --json? see "breakglass --help"'],
        [
          ['close', 'prod-db-root', 'S3cr3t-typed-by-mistake'],
          'too many arguments: "breakglass close" takes CREDENTIAL only; usage: breakglass close CREDENTIAL [--operator ID]',
        ],
        [['--version', 'extra'], '--version takes nothing after it'],
        [
          ['journal', 'show', '--kind', 'request.craete'],
          `--kind "request.craete" is not a kind of journal entry; did you mean "request.create"? the kinds are ${ENTRY_KINDS.join(', ')}`,
        ],
        [['list', 'extra'], 'too many arguments: "breakglass list" takes no arguments; usage: breakglass list'],
        [
          ['journal', 'show', '--since'],
          '--since needs a value; usage: breakglass journal show [--since SEQ] [--kind KIND] [--hide KIND]... [--activations]',
        ],
        [['journal', 'export', '--out=x', '--force=yes'], '--force takes no value; usage: breakglass journal export --out FILE [--force]'],
        [
          ['request', '--credential', 'a', '--credential', 'b'],
          '--credential is given twice; give it once; usage: breakglass request --credential ID --trigger NAME --reason TEXT --incident REF --requester ID',
        ],
        [['--vault', vault, '--vault', vault, 'list'], '--vault is given twice; give it once'],
        [['list', '--json'], '--json is given twice; give it once'],
        [
          ['request', '--trigger', 't'],
          'missing --credential, --reason, --incident and --requester; usage: breakglass request --credential ID --trigger NAME --reason TEXT --incident REF --requester ID',
        ],
        [['request', 'export'], 'missing REQUEST, --holder and --out; usage: breakglass request export REQUEST --holder ID --out FILE'],
      ];
      const transcripts = await Promise.all(
        cases.map(([args]) => run(['--vault', vault, '--json', ...args].slice(args[0] === '--vault' ? 2 : 0))),
      );
      cases.forEach(([args, message], i) => {
        const t = transcripts[i]!;
        expect({ args, status: t.status, stderr: t.stderr, out: JSON.parse(t.stdout) as unknown }).toEqual({
          args,
          status: 2,
          stderr: '',
          out: { ok: false, error: { code: 'BAD_ARGUMENTS', message, details: expect.any(Object) as unknown } },
        });
      });
      // Without --json: the same sentence on one line of stderr.
      const t = await run(['--vault', vault, 'lisst']);
      expect([t.status, t.stdout, t.stderr]).toEqual([
        2,
        '',
        'breakglass: BAD_ARGUMENTS: unknown command "lisst"; did you mean "list"? see "breakglass --help"\n',
      ]);
      expect(existsSync(vault)).toBe(false);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('with --json every outcome is exactly one JSON object on stdout: usage errors, help and a missing command too', async () => {
    const cases: [string[], number, boolean][] = [
      [[], 2, false],
      [['help'], 0, true],
      [['--help'], 0, true],
      [['request', '--help'], 0, true],
      [['nosuch'], 2, false],
      [['journal'], 2, false],
      [['list', '--bogus'], 2, false],
      [['request'], 2, false],
      [['list', 'extra'], 2, false],
      [['--vault'], 2, false],
    ];
    const transcripts = await Promise.all(cases.map(([args]) => run(['--json', ...args])));
    cases.forEach(([args, status, ok], i) => {
      const t = transcripts[i]!;
      const lines = t.stdout.split('\n');
      expect({ args, status: t.status, stderr: t.stderr, lines: lines.length, last: lines[1] }).toEqual({
        args,
        status,
        stderr: '',
        lines: 2,
        last: '',
      });
      const doc = JSON.parse(lines[0]!) as { ok: boolean; usage?: string; error?: { code: string } };
      expect(doc.ok, JSON.stringify(args)).toBe(ok);
      if (ok) expect(doc.usage).toMatch(/^usage: breakglass /);
      else expect(doc.error?.code, JSON.stringify(args)).toBe('BAD_ARGUMENTS');
    });
  });

  it('"-h" as the value of an option is that value, not a request for help', async () => {
    const t = await run([
      '--vault',
      '/nonexistent/bgv-vault',
      'request',
      '--credential',
      'x',
      '--trigger',
      't',
      '--reason',
      '-h',
      '--incident',
      'i',
      '--requester',
      'dave',
    ]);
    expect(t.stdout).not.toContain('usage:');
    expect(t.stderr).toContain('NOT_INITIALIZED');
  });

  it('a reader that closes the pipe early ends the output quietly, with no stack trace', async () => {
    const child = spawn(process.execPath, [BIN, '--help'], { stdio: ['ignore', 'pipe', 'pipe'] });
    // The read end closes before the child has started, so its first write finds no reader (EPIPE).
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect({ status, stderr }).toEqual({ status: 0, stderr: '' });
  });
});
