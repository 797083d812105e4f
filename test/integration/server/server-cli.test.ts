/**
 * `breakglass server` itself: first start makes an owner-only key and one admin token (never a
 * second), secrets on the command line are refused, and HTTPS with --tls-cert/--tls-key carries
 * enrolment and sync (the client trusting the certificate through NODE_EXTRA_CA_CERTS).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { expectStatus, run, tempDir } from '../../helpers/cli.js';
import { startServerProcess } from './process.js';
import { BIN } from '../../helpers/cli.js';
import { spawn } from 'node:child_process';

const temp = tempDir('bgv-server-cli-');
afterAll(() => temp.cleanup());

describe('breakglass server', () => {
  it('creates an owner-only key and exactly one admin token, kept across restarts', async () => {
    const data = join(temp.dir, 'data');
    const adminTokenFile = join(temp.dir, 'admin');
    const first = await startServerProcess({ data, adminTokenFile });
    await first.stop();
    expect(statSync(join(data, 'server-key.json')).mode & 0o777).toBe(0o600);
    expect(statSync(adminTokenFile).mode & 0o777).toBe(0o600);
    const token = readFileSync(adminTokenFile, 'utf8');
    expect(first.output()).toMatch(/admin token t-[0-9a-f]{16} written to/);
    expect(first.output()).not.toContain(token.trim());
    const second = await startServerProcess({ data, adminTokenFile: join(temp.dir, 'admin-again') });
    await second.stop();
    expect(second.serverKey).toBe(first.serverKey);
    expect(second.output()).not.toMatch(/admin token/);
  });

  it('refuses a database password and a bad listen address on the command line', async () => {
    const pw = await run(['--json', 'server', '--data', temp.dir, '--database', 'postgres://u:hunter2@127.0.0.1/db']);
    expect([pw.status, pw.json<{ error: { code: string } }>().error.code]).toEqual([2, 'BAD_ARGUMENTS']);
    expect(pw.stdout + pw.stderr).not.toContain('hunter2');
    const listen = await run(['--json', 'server', '--data', temp.dir, '--listen', 'everywhere']);
    expect([listen.status, listen.json<{ error: { code: string } }>().error.code]).toEqual([2, 'BAD_ARGUMENTS']);
    const tls = await run(['--json', 'server', '--data', temp.dir, '--tls-cert', 'x.pem']);
    expect([tls.status, tls.json<{ error: { code: string } }>().error.code]).toEqual([2, 'BAD_ARGUMENTS']);
  });

  it('enroll refuses plain http to another machine and a token file that is not one token, saying why and changing nothing', async () => {
    const vault = join(temp.dir, 'refusing');
    expectStatus(await run(['--vault', vault, 'init', '--name', 'refusing']), 0, 'init');
    const tokenFile = join(temp.dir, 'two-lines.enroll');
    writeFileSync(tokenFile, 'bgt_TOPSECRET\nsecondline\n');
    const before = expectStatus(await run(['--vault', vault, '--json', 'journal', 'show']), 0, 'show').stdout;
    const remote = await run(['--vault', vault, '--json', 'enroll', '--server', 'http://journal.example:8443', '--token-file', tokenFile]);
    expect([remote.status, remote.json<{ error: { code: string; message: string } }>().error]).toEqual([
      2,
      {
        code: 'BAD_ARGUMENTS',
        message:
          '--server: use https:// for a server on another machine: over http:// the enrolment token and the device credential cross the network readable (http:// is for 127.0.0.1, ::1 or localhost only)',
        details: {},
      },
    ]);
    const twoLines = await run(['--vault', vault, '--json', 'enroll', '--server', 'http://127.0.0.1:9', '--token-file', tokenFile]);
    expect([twoLines.status, twoLines.json<{ error: { code: string; message: string } }>().error]).toEqual([
      2,
      {
        code: 'BAD_INPUT',
        message: `${tokenFile} does not hold the enrolment token: one line of letters, digits, - and _ only`,
        details: {},
      },
    ]);
    for (const t of [remote, twoLines]) expect(t.stdout + t.stderr).not.toContain('TOPSECRET');
    expect(expectStatus(await run(['--vault', vault, '--json', 'journal', 'show']), 0, 'show').stdout).toBe(before);
  });

  it('the admin commands refuse plain http to another machine before the admin token is read or sent, and write no file', async () => {
    const adminFile = join(temp.dir, 'admin-over-http');
    writeFileSync(adminFile, 'bgt_ADMINSECRET\n');
    const out = join(temp.dir, 'never-written.enroll');
    const remote = ['--server', 'http://journal.example:8443', '--token-file', adminFile];
    for (const args of [
      ['server', 'token', 'create', '--role', 'enroll', ...remote, '--out', out],
      ['server', 'token', 'revoke', '--id', 't-0000000000000001', ...remote],
      ['server', 'device', 'list', ...remote],
      ['server', 'device', 'revoke', '--id', 'd-0000000000000001', ...remote],
    ]) {
      const t = await run(['--json', ...args]);
      expect([t.status, t.json<{ error: { code: string; message: string } }>().error.code], args.join(' ')).toEqual([2, 'BAD_ARGUMENTS']);
      expect(t.json<{ error: { message: string } }>().error.message).toMatch(/^--server: use https:\/\/ for a server on another machine/);
      expect(t.stdout + t.stderr).not.toContain('ADMINSECRET');
    }
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(temp.dir).filter((n) => n.includes('never-written'))).toEqual([]);
  });

  it('serves HTTPS with --tls-cert and --tls-key, and a vault enrols and syncs over it', async () => {
    const cert = join(temp.dir, 'cert.pem');
    const key = join(temp.dir, 'key.pem');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ed25519',
        '-nodes',
        '-keyout',
        key,
        '-out',
        cert,
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
      ],
      {
        stdio: 'ignore',
      },
    );
    const adminTokenFile = join(temp.dir, 'admin-tls');
    const child = spawn(
      process.execPath,
      [
        BIN,
        'server',
        '--data',
        join(temp.dir, 'tls'),
        '--listen',
        '127.0.0.1:0',
        '--admin-token-file',
        adminTokenFile,
        '--tls-cert',
        cert,
        '--tls-key',
        key,
      ],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let err = '';
        child.stderr!.on('data', (d: Buffer) => {
          err += d.toString('utf8');
          const m = /listening on (https:\/\/127\.0\.0\.1:\d+)/.exec(err);
          if (m) resolve(m[1]!);
        });
        child.once('exit', () => reject(new Error(err)));
      });
      const env = { NODE_EXTRA_CA_CERTS: cert };
      const vault = join(temp.dir, 'vault');
      const enroll = join(temp.dir, 'tls.enroll');
      expectStatus(await run(['--vault', vault, 'init', '--name', 'tls'], { env }), 0, 'init');
      expectStatus(
        await run(['server', 'token', 'create', '--server', url, '--role', 'enroll', '--token-file', adminTokenFile, '--out', enroll], {
          env,
        }),
        0,
        'token',
      );
      expectStatus(await run(['--vault', vault, 'enroll', '--server', url, '--token-file', enroll], { env }), 0, 'enroll');
      const synced = expectStatus(await run(['--vault', vault, '--json', 'sync'], { env }), 0, 'sync').json<{ serverSize: number }>();
      expect(synced.serverSize).toBeGreaterThan(1);
      // Without trusting the certificate, the client refuses the server.
      const untrusted = await run(['--vault', vault, '--json', 'sync']);
      expect([untrusted.status, untrusted.json<{ error: { code: string } }>().error.code]).toEqual([5, 'SERVER_UNREACHABLE']);
      expect(untrusted.stdout, untrusted.stdout).toContain('certificate this machine does not trust');
    } finally {
      child.kill('SIGTERM');
    }
  });
});
