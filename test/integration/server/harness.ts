/**
 * The server under test on real HTTP (127.0.0.1), over either storage: a SQLite file in a temp
 * folder, or a fresh database on the private PostgreSQL that the test file starts.
 */
import { afterAll, beforeAll } from 'vitest';
import { generateSigningKeyPair, type SigningKeyPair } from '../../../src/crypto/index.js';
import { buildServer, newToken, PostgresStorage, SqliteStorage, type ServerStorage } from '../../../src/server/index.js';
import type { TokenRole } from '../../../src/core/sync-api.js';
import { tempDir } from '../../helpers/cli.js';
import { startPostgres, type PrivatePostgres } from '../../helpers/postgres.js';
import type { FastifyInstance } from 'fastify';

export type StorageKind = 'sqlite' | 'postgres';
export const STORAGE_KINDS: readonly StorageKind[] = ['sqlite', 'postgres'];

/** Starts one private PostgreSQL for the test file (stopped in afterAll) and makes storages of either kind. */
export function useStorages(): {
  make(kind: StorageKind): Promise<ServerStorage>;
  pg(): PrivatePostgres;
  /** The SQLite file or PostgreSQL URL behind a storage this made. */
  location(storage: ServerStorage): string;
} {
  let pg: PrivatePostgres | null = null;
  const locations = new WeakMap<ServerStorage, string>();
  const cleanups: (() => Promise<void> | void)[] = [];
  beforeAll(async () => {
    pg = await startPostgres();
  });
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
    pg?.stop();
  });
  return {
    pg: () => pg!,
    location: (storage) => locations.get(storage)!,
    async make(kind) {
      let storage: ServerStorage;
      if (kind === 'sqlite') {
        const t = tempDir('bgv-server-');
        storage = SqliteStorage.open(`${t.dir}/server.db`);
        locations.set(storage, `${t.dir}/server.db`);
        cleanups.push(t.cleanup);
      } else {
        const url = pg!.createDatabase();
        storage = new PostgresStorage(url);
        locations.set(storage, url);
      }
      await storage.migrate();
      cleanups.push(() => storage.close());
      return storage;
    },
  };
}

/** A listening server and helpers to call it. */
export interface TestServer {
  readonly app: FastifyInstance;
  readonly url: string;
  readonly key: SigningKeyPair;
  readonly storage: ServerStorage;
  /** The clock the server reads; tests move it. */
  now: number;
  /** Issues a token of `role` directly in storage (as the admin API would). */
  token(role: TokenRole, ttlMs?: number | null, journal?: string): Promise<{ id: string; token: string }>;
  request(method: string, path: string, options?: { auth?: string; body?: unknown; raw?: string; type?: string }): Promise<HttpResult>;
  close(): Promise<void>;
}

export interface HttpResult {
  readonly status: number;
  readonly body: Record<string, unknown>;
  readonly text: string;
  readonly headers: Headers;
}

/** Starts a server on `storage` with a fresh key. */
export async function startServer(storage: ServerStorage, options: { key?: SigningKeyPair; logger?: unknown } = {}): Promise<TestServer> {
  const key = options.key ?? generateSigningKeyPair();
  const server: Partial<TestServer> & { now: number } = { now: Date.now() };
  const app = await buildServer({
    storage,
    signingKey: key,
    clock: () => server.now,
    ...(options.logger ? { logger: options.logger as never } : {}),
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  return Object.assign(server, {
    app,
    url,
    key,
    storage,
    async token(role: TokenRole, ttlMs: number | null = 3_600_000, journal?: string) {
      const t = newToken(role, server.now, ttlMs);
      await storage.insertToken(t.row, journal);
      return { id: t.row.id, token: t.token };
    },
    async request(method: string, path: string, o: { auth?: string; body?: unknown; raw?: string; type?: string } = {}) {
      const headers: Record<string, string> = {};
      if (o.auth) headers['authorization'] = `Bearer ${o.auth}`;
      const payload = o.raw ?? (o.body === undefined ? undefined : JSON.stringify(o.body));
      if (payload !== undefined) headers['content-type'] = o.type ?? 'application/json';
      const res = await fetch(`${url}${path}`, { method, headers, ...(payload === undefined ? {} : { body: payload }) });
      const text = await res.text();
      let body: Record<string, unknown> = {};
      try {
        body = JSON.parse(text) as Record<string, unknown>;
      } catch {
        // not JSON (metrics)
      }
      return { status: res.status, body, text, headers: res.headers };
    },
    close: () => app.close(),
  }) as TestServer;
}
