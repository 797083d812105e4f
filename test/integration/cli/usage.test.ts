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
