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
 * One answer: typed once `prompt` has appeared (an empty prompt: at once); a function runs first (what
 * happens while the person reads) and returns what they type.
 */
export interface TerminalStep {
  readonly prompt: string;
  readonly type: string | (() => Promise<string>);
}

/**
 * Runs `breakglass ARGS` on a real pseudo-terminal (util-linux `script`), typing each answer only
 * once its prompt has appeared, as a person would. An answer is sent as typed: end it with "\r"
 * (Enter), or send "\x03" (Ctrl-C).
 */
export function runOnTerminal(args: readonly string[], steps: readonly TerminalStep[]): Promise<TerminalRun> {
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
    let waiting = false;
    const advance = (): void => {
      const next = steps[step];
      if (!next || waiting) return;
      const at = screen.indexOf(next.prompt, seen);
      if (at < 0) return;
      seen = at + next.prompt.length;
      step += 1;
      if (typeof next.type === 'string') {
        child.stdin.write(next.type);
        advance();
        return;
      }
      waiting = true;
      next.type().then(
        (typed) => {
          waiting = false;
          child.stdin.write(typed);
          advance();
        },
        (err: unknown) => {
          child.kill();
          reject(err instanceof Error ? err : new Error(String(err)));
        },
      );
    };
    child.stdout.on('data', (d: Buffer) => {
      screen += d.toString('utf8');
      advance();
    });
    child.stderr.on('data', (d: Buffer) => (screen += d.toString('utf8')));
    child.on('error', reject);
    // A first step with an empty prompt is typed at once, before the command has shown anything.
    advance();
    child.on('close', (code) => {
      if (step < steps.length) reject(new Error(`the prompt "${steps[step]!.prompt}" never appeared; the terminal showed:\n${screen}`));
      else resolve({ status: code ?? -1, screen });
    });
  });
}
