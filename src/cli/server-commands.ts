/** `breakglass server` (run the journal server), `server token create|revoke` and `server device list|revoke` (its admin API). */
import { readFileSync } from 'node:fs';
import type { ZodType } from 'zod';
import { BreakGlassError } from '../core/errors.js';
import { printable } from '../core/text.js';
import {
  DeviceListResponseSchema,
  DeviceSchema,
  TOKEN_ROLES,
  TokenCreateResponseSchema,
  TokenRevokeResponseSchema,
  type TokenRole,
} from '../core/sync-api.js';
import { isServerToken, parseServerAddress, TOKEN_RULE } from '../core/sync-input.js';
import { callServer } from '../sync/index.js';
import type { Command, Values } from './commands.js';
import { formatMoment, formatTime } from './format.js';
import { readInputFile, withNewFile } from './io.js';

const S = { type: 'string' } as const;

function need(v: Values, name: string): string {
  const value = v[name];
  if (typeof value !== 'string' || value === '') throw new BreakGlassError('BAD_ARGUMENTS', `--${name} is required`);
  return value;
}

/** --server as its origin: the one address rule of src/core (https, or http to this machine only), said about the flag. */
export function serverUrl(text: string): string {
  const parsed = parseServerAddress(text);
  if (!parsed.ok) throw new BreakGlassError('BAD_ARGUMENTS', `--server: ${parsed.problem}`);
  return parsed.origin;
}

/**
 * One call of the server's admin API with the token in --token-file (`what` says which token it
 * must be): the address checked by the one rule before the token is read or sent.
 */
function callWithToken<T>(v: Values, what: string, method: 'GET' | 'DELETE', path: string, schema: ZodType<T>): Promise<T> {
  const server = serverUrl(need(v, 'server'));
  const token = readTokenFile(need(v, 'token-file'), what);
  return callServer({ server }, method, path, schema, { auth: token });
}

/** A token or credential read from a file (never argv): one line, surrounding whitespace dropped. */
export function readTokenFile(path: string, what = 'the token'): string {
  const token = readInputFile(path, what, 4096).toString('utf8').trim();
  if (!isServerToken(token)) throw new BreakGlassError('BAD_INPUT', `${path} does not hold ${what}: one line of ${TOKEN_RULE}`);
  return token;
}

/** HOST:PORT, with 127.0.0.1 the default host and [::1]:PORT for IPv6. */
function parseListen(text: string | undefined): { host: string; port: number } {
  if (text === undefined) return { host: '127.0.0.1', port: 8443 };
  const m = /^(?:\[([0-9a-fA-F:]+)\]|([^:]+)):(\d{1,5})$/.exec(text);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw new BreakGlassError('BAD_ARGUMENTS', `--listen "${text}" is not HOST:PORT (for example 127.0.0.1:8443)`);
  return { host: (m[1] ?? m[2])!, port };
}

/** The database URL from --database or DATABASE_URL; a password on the command line is refused. */
function databaseUrl(v: Values): string | undefined {
  const fromArgs = typeof v['database'] === 'string' ? v['database'] : undefined;
  if (fromArgs !== undefined) {
    let url: URL;
    try {
      url = new URL(fromArgs);
    } catch {
      throw new BreakGlassError('BAD_ARGUMENTS', '--database must be a postgres:// URL');
    }
    if (url.password) {
      throw new BreakGlassError(
        'BAD_ARGUMENTS',
        '--database holds a password, which other users can read in the process list; use DATABASE_URL, PGPASSWORD or ~/.pgpass',
      );
    }
    return fromArgs;
  }
  const env = process.env['DATABASE_URL'];
  return env === undefined || env === '' ? undefined : env;
}

/** "90m", "12h", "7d" or plain seconds. */
export function parseDuration(text: string): number {
  const m = /^(\d+)([smhd]?)$/.exec(text);
  if (!m) throw new BreakGlassError('BAD_ARGUMENTS', `--ttl "${text}" is not a duration such as 90m, 12h or 7d`);
  const unit = { '': 1, s: 1, m: 60, h: 3600, d: 86400 }[m[2] as '' | 's' | 'm' | 'h' | 'd'];
  return Number(m[1]) * unit;
}

/** Resolves on SIGINT or SIGTERM. */
function untilStopped(): Promise<string> {
  return new Promise((resolve) => {
    const stop = (signal: string) => () => resolve(signal);
    process.once('SIGINT', stop('SIGINT'));
    process.once('SIGTERM', stop('SIGTERM'));
  });
}

export const SERVER_COMMANDS: readonly Command[] = [
  {
    words: ['server'],
    handlesInterrupt: true,
    usage: 'server --data DIR [--listen HOST:PORT] [--database URL] [--admin-token-file FILE] [--tls-cert FILE --tls-key FILE]',
    summary: 'run the central journal server (SQLite in DIR, or PostgreSQL with --database / DATABASE_URL)',
    options: { data: S, listen: S, database: S, 'admin-token-file': S, 'tls-cert': S, 'tls-key': S },
    positionals: [],
    explain: {
      data: "the server's folder: its signing key, and its SQLite database unless --database or DATABASE_URL names PostgreSQL",
      listen: 'the HOST:PORT to listen on ([::1]:PORT for IPv6); default: 127.0.0.1:8443',
      database:
        'a postgres:// URL, without a password (give that in DATABASE_URL, PGPASSWORD or ~/.pgpass); default: DATABASE_URL when set, else SQLite in --data',
      'admin-token-file': 'on the first start, the first admin token is written to this file (owner-only); default: printed once on stderr',
      'tls-cert': 'a PEM certificate, to serve https, with --tls-key; default: plain http',
      'tls-key': 'the PEM private key of --tls-cert, with --tls-cert',
    },
    examples: [
      'server --data /srv/breakglass',
      'server --data /srv/breakglass --listen 0.0.0.0:8443 --tls-cert cert.pem --tls-key key.pem --admin-token-file admin.token',
    ],
    async run(ctx, v) {
      const dataDir = need(v, 'data');
      const { host, port } = parseListen(typeof v['listen'] === 'string' ? v['listen'] : undefined);
      const cert = typeof v['tls-cert'] === 'string' ? v['tls-cert'] : undefined;
      const key = typeof v['tls-key'] === 'string' ? v['tls-key'] : undefined;
      if ((cert === undefined) !== (key === undefined)) throw new BreakGlassError('BAD_ARGUMENTS', '--tls-cert and --tls-key go together');
      const database = databaseUrl(v);
      const adminTokenFile = typeof v['admin-token-file'] === 'string' ? v['admin-token-file'] : undefined;
      // Loaded here, not at start: Fastify, pg and prom-client would slow every other command's start.
      const { serve } = await import('../server/index.js');
      const running = await serve(
        {
          dataDir,
          host,
          port,
          // JSON logs on stdout, one line per event, with the request id; headers are never logged.
          logger: { level: process.env['BREAKGLASS_LOG_LEVEL'] ?? 'info' },
          ...(database !== undefined ? { databaseUrl: database } : {}),
          ...(adminTokenFile !== undefined ? { adminTokenFile } : {}),
          ...(cert && key ? { https: { cert: readFileSync(cert), key: readFileSync(key) } } : {}),
        },
        (line) => ctx.note(line),
      );
      ctx.note(`breakglass server listening on ${running.url} (${database ? 'PostgreSQL' : 'SQLite'}), server key ${running.publicKey}`);
      const signal = await untilStopped();
      await running.close();
      ctx.note(`stopped on ${signal}`);
      return { url: running.url, serverKey: running.publicKey };
    },
  },
  {
    words: ['server', 'token', 'create'],
    usage:
      'server token create --server URL --role admin|security|enroll [--journal JOURNAL] [--ttl DURATION] [--label TEXT] --token-file ADMIN --out FILE',
    summary:
      'issue a server token (written to FILE, owner-only); enrolment tokens enrol one device, once (--journal: that journal only, as enrolling a revoked device again needs)',
    options: { server: S, role: S, journal: S, ttl: S, label: S, 'token-file': S, out: S },
    positionals: [],
    explain: {
      server: "the server's address (https, or http to this machine only)",
      role: 'admin, security or enroll (an enrolment token enrols one device, once)',
      journal: 'with --role enroll: the only journal the token may enrol (to enrol a revoked device again); default: any journal',
      ttl: "how long the token lasts: 90m, 12h, 7d or plain seconds; default: the server's, a day for enroll and 90 days for admin and security",
      label: 'a note kept with the token on the server; default: none',
      'token-file': 'a file holding your admin token (one line)',
      out: 'where the new token goes: a new file (owner-only)',
    },
    examples: [
      'server token create --server https://vault.example.com --role enroll --token-file admin.token --out crash-cart.token',
      'server token create --server https://vault.example.com --role security --ttl 30d --label "security team" --token-file admin.token --out security.token',
    ],
    async run(ctx, v) {
      const role = need(v, 'role');
      if (!(TOKEN_ROLES as readonly string[]).includes(role)) {
        throw new BreakGlassError('BAD_ARGUMENTS', `--role must be one of ${TOKEN_ROLES.join(', ')}`);
      }
      const journal = typeof v['journal'] === 'string' ? v['journal'] : undefined;
      if (journal !== undefined && role !== 'enroll') throw new BreakGlassError('BAD_ARGUMENTS', '--journal goes with --role enroll only');
      // Checked before the output file is reserved, so a refused address leaves nothing behind.
      const server = serverUrl(need(v, 'server'));
      const admin = readTokenFile(need(v, 'token-file'), 'the admin token');
      const ttl = typeof v['ttl'] === 'string' ? parseDuration(v['ttl']) : undefined;
      const out = need(v, 'out');
      return withNewFile(out, async (file) => {
        const res = await callServer({ server }, 'POST', '/api/v1/tokens', TokenCreateResponseSchema, {
          auth: admin,
          body: {
            role: role as TokenRole,
            ...(ttl !== undefined ? { ttlSeconds: ttl } : {}),
            ...(typeof v['label'] === 'string' ? { label: v['label'] } : {}),
            ...(journal !== undefined ? { journal } : {}),
          },
        });
        file.write(`${res.token}\n`);
        ctx.say(
          `${res.role} token ${res.id}${journal !== undefined ? ` for journal ${journal}` : ''} written to ${out}${res.expiresAt ? `; expires ${formatMoment(res.expiresAt)}` : ''}`,
        );
        return { id: res.id, role: res.role, expiresAt: res.expiresAt, out };
      });
    },
  },
  {
    words: ['server', 'token', 'revoke'],
    usage: 'server token revoke --server URL --id TOKEN_ID --token-file ADMIN',
    summary: 'revoke a server token at once',
    options: { server: S, id: S, 'token-file': S },
    positionals: [],
    explain: {
      server: "the server's address (https, or http to this machine only)",
      id: "the token's id (t-..., as token create printed it)",
      'token-file': 'a file holding your admin token (one line)',
    },
    examples: ['server token revoke --server https://vault.example.com --id t-8c1f0a2b3d4e5f60 --token-file admin.token'],
    async run(ctx, v) {
      const id = need(v, 'id');
      const res = await callWithToken(
        v,
        'the admin token',
        'DELETE',
        `/api/v1/tokens/${encodeURIComponent(id)}`,
        TokenRevokeResponseSchema,
      );
      ctx.say(`token ${res.id} revoked`);
      return { id: res.id, revokedAt: res.revokedAt };
    },
  },
  {
    words: ['server', 'device', 'list'],
    usage: 'server device list --server URL --token-file TOKEN',
    summary: 'the enrolled devices and their journals (an admin or security token)',
    options: { server: S, 'token-file': S },
    positionals: [],
    explain: {
      server: "the server's address (https, or http to this machine only)",
      'token-file': 'a file holding an admin or security token (one line)',
    },
    examples: ['server device list --server https://vault.example.com --token-file security.token'],
    async run(ctx, v) {
      const res = await callWithToken(v, 'an admin or security token', 'GET', '/api/v1/devices', DeviceListResponseSchema);
      if (res.devices.length === 0) ctx.say('no device is enrolled');
      for (const d of res.devices) {
        const state = d.revokedAt === null ? 'active' : `revoked ${formatMoment(d.revokedAt)}`;
        ctx.say(`${d.id}  journal ${d.journal}  "${printable(d.name)}"  enrolled ${formatTime(d.enrolledAt)}  ${state}`);
      }
      return { devices: res.devices };
    },
  },
  {
    words: ['server', 'device', 'revoke'],
    usage: 'server device revoke --server URL --id DEVICE_ID --token-file ADMIN',
    summary: "refuse a device's credential at once; its journal stays, and the laptop can enrol again with a new token",
    options: { server: S, id: S, 'token-file': S },
    positionals: [],
    explain: {
      server: "the server's address (https, or http to this machine only)",
      id: "the device's id (d-..., as server device list shows it)",
      'token-file': 'a file holding your admin token (one line)',
    },
    examples: ['server device revoke --server https://vault.example.com --id d-2b7e4f1a9c0d3e58 --token-file admin.token'],
    async run(ctx, v) {
      const id = need(v, 'id');
      const res = await callWithToken(v, 'the admin token', 'DELETE', `/api/v1/devices/${encodeURIComponent(id)}`, DeviceSchema);
      ctx.say(`device ${res.id} (journal ${res.journal}) revoked ${formatMoment(res.revokedAt!)}; its credential is refused from now on`);
      ctx.say(
        `to let that laptop sync again, give it a new enrolment token for its journal ("breakglass server token create --role enroll --journal ${res.journal}"); it runs "breakglass enroll --again"`,
      );
      return { id: res.id, journal: res.journal, revokedAt: res.revokedAt };
    },
  },
];
