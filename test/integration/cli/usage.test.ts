import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../../../src/cli/commands.js';
import { BIN, run } from '../../helpers/cli.js';

describe('help and output pipes', () => {
  it("COMMAND --help prints that command's usage and exits 0, for every command", async () => {
    const transcripts = await Promise.all(COMMANDS.map((c) => run([...c.words, '--help'])));
    COMMANDS.forEach((c, i) => {
      const t = transcripts[i]!;
      expect({ command: c.words.join(' '), status: t.status, stdout: t.stdout, stderr: t.stderr }).toEqual({
        command: c.words.join(' '),
        status: 0,
        stdout: `usage: breakglass ${c.usage}\n      ${c.summary}\n`,
        stderr: '',
      });
    });
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
