/** The thin part that listens: opens storage and key from a data folder, bootstraps the admin token, listens. */
import type { FastifyInstance } from 'fastify';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BreakGlassError } from '../core/errors.js';
import { buildServer, type ServerOptions } from './app.js';
import { newToken } from './auth.js';
import { loadOrCreateServerKey } from './keys.js';
import { PostgresStorage, SqliteStorage, type ServerStorage } from './storage/index.js';

/** Where the server keeps its state, and how it listens. */
export interface ServeOptions {
  readonly dataDir: string;
  /** postgres://... for PostgreSQL; SQLite in the data folder when absent. */
  readonly databaseUrl?: string;
  readonly host: string;
  readonly port: number;
  /** Where the first admin token is written (mode 0600); without it, it is handed to `announce`. */
  readonly adminTokenFile?: string;
  readonly https?: ServerOptions['https'];
  readonly logger?: ServerOptions['logger'];
}

/** A running server. */
export interface RunningServer {
  readonly app: FastifyInstance;
  readonly url: string;
  readonly publicKey: string;
  close(): Promise<void>;
}

/** Opens the storage a server is configured for, migrated. */
export async function openStorage(dataDir: string, databaseUrl?: string): Promise<ServerStorage> {
  let storage: ServerStorage;
  if (databaseUrl !== undefined) {
    if (!/^postgres(ql)?:\/\//.test(databaseUrl))
      throw new BreakGlassError('BAD_ARGUMENTS', 'the database URL must start with postgres://');
    storage = new PostgresStorage(databaseUrl);
  } else {
    storage = SqliteStorage.open(join(dataDir, 'server.db'));
  }
  try {
    await storage.migrate();
  } catch (err) {
    await storage.close().catch(() => undefined);
    throw new BreakGlassError(
      'IO_ERROR',
      `the server database could not be opened or migrated: ${(err as Error).message}`,
      {},
      { cause: err },
    );
  }
  return storage;
}

/**
 * Starts a server. On the first start against a database an admin token is created; it is written
 * to `adminTokenFile` or passed to `announce` (which prints it once), and never stored in clear.
 */
export async function serve(options: ServeOptions, announce: (line: string) => void): Promise<RunningServer> {
  const signingKey = loadOrCreateServerKey(options.dataDir);
  const storage = await openStorage(options.dataDir, options.databaseUrl);
  const { token, row } = newToken('admin', Date.now(), null, 'first admin');
  if (await storage.bootstrapAdmin(row)) {
    if (options.adminTokenFile) {
      writeFileSync(options.adminTokenFile, `${token}\n`, { mode: 0o600 });
      announce(`admin token ${row.id} written to ${options.adminTokenFile}`);
    } else {
      announce(`admin token (shown once, keep it safe): ${token}`);
    }
  }
  const app = await buildServer({
    storage,
    signingKey,
    logger: options.logger ?? false,
    ...(options.https ? { https: options.https } : {}),
  });
  try {
    await app.listen({ host: options.host, port: options.port });
  } catch (err) {
    await app.close();
    await storage.close();
    throw new BreakGlassError(
      'IO_ERROR',
      `cannot listen on ${options.host}:${options.port}: ${(err as Error).message}`,
      {},
      { cause: err },
    );
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    app,
    url: `${options.https ? 'https' : 'http'}://${host}:${port}`,
    publicKey: signingKey.publicKey,
    async close() {
      await app.close();
      await storage.close();
    },
  };
}
