/** The journal server as a user runs it: `breakglass server` in a child process, on 127.0.0.1. */
import { spawn, type ChildProcess } from 'node:child_process';
import { BIN } from '../../helpers/cli.js';

/** A running server process. */
export interface ServerProcess {
  readonly url: string;
  readonly serverKey: string;
  readonly child: ChildProcess;
  /** Everything it wrote to stdout (JSON logs) and stderr so far. */
  output(): string;
  /** Stops it (SIGTERM, or SIGKILL for a crash) and waits for it to exit. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** Starts `breakglass server --data DIR` (with --database URL for PostgreSQL) and waits until it listens. */
export function startServerProcess(options: { data: string; adminTokenFile: string; database?: string }): Promise<ServerProcess> {
  const args = [BIN, 'server', '--data', options.data, '--listen', '127.0.0.1:0', '--admin-token-file', options.adminTokenFile];
  if (options.database) args.push('--database', options.database);
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, BREAKGLASS_HOME: undefined } });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString('utf8')));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${out}`)), 30_000);
    child.stderr!.on('data', (d: Buffer) => {
      out += d.toString('utf8');
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+) \([A-Za-z]+\), server key ([A-Za-z0-9_-]{43})/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({
          url: m[1]!,
          serverKey: m[2]!,
          child,
          output: () => out,
          async stop(signal: NodeJS.Signals = 'SIGTERM') {
            if (child.exitCode === null && child.signalCode === null) child.kill(signal);
            await exited;
          },
        });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited (${code}) before listening:\n${out}`));
    });
  });
}
