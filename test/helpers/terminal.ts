import { spawn } from 'node:child_process';
import { BIN } from './cli.js';
import { requireTool } from './tools.js';

/** What a run on a terminal showed (stdout and stderr together, as a terminal shows them) and its exit status. */
export interface TerminalRun {
  readonly status: number;
  readonly screen: string;
}

const quote = (arg: string): string => `'${arg.replaceAll("'", "'\\''")}'`;

/**
 * Runs `breakglass ARGS` on a real pseudo-terminal (util-linux `script`), typing each answer only
 * once its prompt has appeared, as a person would. An answer is sent as typed: end it with "\r"
 * (Enter), or send "\x03" (Ctrl-C).
 */
export function runOnTerminal(args: readonly string[], steps: readonly { prompt: string; type: string }[]): Promise<TerminalRun> {
  requireTool('script', 'bsdutils');
  return new Promise((resolve, reject) => {
    const command = [process.execPath, BIN, ...args].map(quote).join(' ');
    const child = spawn('script', ['-qefc', command, '/dev/null'], {
      env: { ...process.env, BREAKGLASS_HOME: undefined, TERM: 'dumb' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let screen = '';
    let seen = 0;
    let step = 0;
    const advance = (): void => {
      const next = steps[step];
      if (!next) return;
      const at = screen.indexOf(next.prompt, seen);
      if (at < 0) return;
      seen = at + next.prompt.length;
      step += 1;
      child.stdin.write(next.type);
      advance();
    };
    child.stdout.on('data', (d: Buffer) => {
      screen += d.toString('utf8');
      advance();
    });
    child.stderr.on('data', (d: Buffer) => (screen += d.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => {
      if (step < steps.length) reject(new Error(`the prompt "${steps[step]!.prompt}" never appeared; the terminal showed:\n${screen}`));
      else resolve({ status: code ?? -1, screen });
    });
  });
}
