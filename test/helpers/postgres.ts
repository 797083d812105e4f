/**
 * A private PostgreSQL for the tests: Debian's binaries, initdb in a temp folder owned by the
 * postgres user (initdb refuses to run as root), listening on 127.0.0.1 on a free port.
 */
import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A running private cluster. */
export interface PrivatePostgres {
  readonly url: string;
  readonly port: number;
  /** A fresh, empty database on this cluster, and its URL. */
  createDatabase(name?: string): string;
  stop(): void;
}

/** The folder of Debian's PostgreSQL binaries (the newest installed version). */
export function postgresBin(): string | null {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ? join(root, versions[0], 'bin') : null;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const address = s.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      s.close(() => resolve(port));
    });
  });
}

function asPostgres(): string[] {
  return process.getuid?.() === 0 ? ['runuser', '-u', 'postgres', '--'] : [];
}

function run(command: string[], options: { quiet?: boolean } = {}): string {
  const [file, ...args] = command;
  return execFileSync(file!, args, { stdio: ['ignore', 'pipe', options.quiet ? 'ignore' : 'pipe'], encoding: 'utf8' });
}

let counter = 0;

/** Starts a private cluster; `stop` removes it. Throws when PostgreSQL is not installed. */
export async function startPostgres(): Promise<PrivatePostgres> {
  const bin = postgresBin();
  if (!bin) throw new Error('PostgreSQL is not installed: apt-get install postgresql (see .ci/run)');
  const dir = mkdtempSync(join(tmpdir(), 'bgv-pg-'));
  const data = join(dir, 'data');
  const pg = asPostgres();
  if (pg.length) {
    const uid = Number(run(['id', '-u', 'postgres']).trim());
    const gid = Number(run(['id', '-g', 'postgres']).trim());
    chownSync(dir, uid, gid);
  }
  const port = await freePort();
  run([...pg, join(bin, 'initdb'), '-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8'], { quiet: true });
  // fsync off: a test cluster is thrown away, and durability is not what these tests measure.
  const opts = `-c listen_addresses=127.0.0.1 -c port=${port} -c unix_socket_directories=${dir} -c fsync=off -c max_connections=200`;
  run([...pg, join(bin, 'pg_ctl'), '-D', data, '-o', opts, '-l', join(dir, 'log'), '-w', '-t', '60', 'start'], { quiet: true });
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  return {
    url,
    port,
    createDatabase(name = `t${process.pid}_${++counter}_${Date.now()}`) {
      run([join(bin, 'psql'), '-X', '-q', '-d', url, '-c', `CREATE DATABASE ${name}`]);
      return `postgres://postgres@127.0.0.1:${port}/${name}`;
    },
    stop() {
      try {
        run([...pg, join(bin, 'pg_ctl'), '-D', data, '-m', 'immediate', '-w', 'stop'], { quiet: true });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
