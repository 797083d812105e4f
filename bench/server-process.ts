/**
 * The journal server as the benchmarks run it: `breakglass server` in its own process (so it has a
 * core to itself, apart from the clients in the benchmark's process), with devices enrolled through
 * its API as a user would.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { enrolDevice, type SyncTarget } from '../src/sync/index.js';
import type { TestJournal } from '../test/integration/server/fixtures.js';

const BIN = fileURLToPath(new URL('../../bin/breakglass.js', import.meta.url));

/** A running `breakglass server`. */
export interface BenchServer {
  readonly url: string;
  readonly child: ChildProcess;
  readonly exited: Promise<void>;
  /** The admin token it wrote at first start (empty on a restart over the same folder). */
  admin(): string;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** Starts `breakglass server --data DIR` (PostgreSQL with `database`) and waits until it listens. */
export function startBenchServer(options: { data: string; adminTokenFile: string; database?: string }): Promise<BenchServer> {
  const args = [BIN, 'server', '--data', options.data, '--listen', '127.0.0.1:0', '--admin-token-file', options.adminTokenFile];
  if (options.database) args.push('--database', options.database);
  const child = spawn(process.execPath, args, {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, BREAKGLASS_LOG_LEVEL: 'warn' },
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    let err = '';
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString('utf8');
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(err);
      if (m)
        resolve({
          url: m[1]!,
          child,
          exited,
          admin: () => readFileSync(options.adminTokenFile, 'utf8').trim(),
          async stop(signal: NodeJS.Signals = 'SIGTERM') {
            if (child.exitCode === null && child.signalCode === null) child.kill(signal);
            await exited;
          },
        });
    });
    child.once('exit', () => reject(new Error(`the server exited before listening:\n${err}`)));
  });
}

/** Issues an enrolment token with the admin token and enrols `journal` as a device. */
export async function enrolJournal(url: string, admin: string, journal: TestJournal, name = 'bench'): Promise<SyncTarget> {
  const res = await fetch(`${url}/api/v1/tokens`, {
    method: 'POST',
    headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
    body: JSON.stringify({ role: 'enroll' }),
  });
  if (!res.ok) throw new Error(`token create answered ${res.status}`);
  const { token } = (await res.json()) as { token: string };
  const e = await enrolDevice({ server: url }, { token, journal: journal.id, genesisLine: journal.lines[0]!, name });
  return { server: url, serverKey: e.serverKey, journal: journal.id, credential: e.credential };
}
