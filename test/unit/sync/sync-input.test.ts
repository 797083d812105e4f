/** The journal server's address and a token, checked one way for the CLI and the app (src/core/sync-input.ts). */
import { describe, expect, it } from 'vitest';
import { IPC_CONTRACT } from '../../../src/core/ipc.js';
import { isServerToken, parseServerAddress } from '../../../src/core/sync-input.js';

const enroll = (input: { server: string; token: string }) => {
  const r = IPC_CONTRACT['sync.enroll'].input.safeParse(input);
  return r.success ? r.data : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

describe('a server token', () => {
  it('is letters, digits, - and _ only, as the server reads a bearer token', () => {
    expect(isServerToken('bgt_abc-DEF_123')).toBe(true);
    for (const bad of ['', 'bgt_TOPSECRET\nsecondline', 'bgt_TOPSECRET\rx', 'bgt_TOPSECRET\u0000x', 'bgt TOPSECRET', 'x'.repeat(201)]) {
      expect(isServerToken(bad), JSON.stringify(bad.slice(0, 20))).toBe(false);
    }
  });

  it('is refused by sync.enroll with one sentence that does not quote it', () => {
    for (const token of ['bgt_TOPSECRET\nsecondline', 'bgt_TOPSECRET\rsecondline', 'bgt_TOPSECRET\u0000secondline']) {
      const issues = enroll({ server: 'https://journal.example', token });
      expect(issues).toEqual(['token: paste the enrolment token security gave you: letters, digits, - and _ only']);
      expect(JSON.stringify(issues)).not.toContain('TOPSECRET');
    }
    expect(enroll({ server: 'https://journal.example', token: '  ' })).toEqual(['token: paste the enrolment token security gave you']);
    expect(enroll({ server: 'https://journal.example', token: ' bgt_ok\n' })).toEqual({
      server: 'https://journal.example',
      token: 'bgt_ok',
    });
  });
});

describe('a server address', () => {
  it('is https, or plain http to this machine only, and its origin is kept', () => {
    expect(parseServerAddress('https://journal.example:8443/some/path')).toEqual({ ok: true, origin: 'https://journal.example:8443' });
    for (const local of ['http://127.0.0.1:8443', 'http://127.1.2.3', 'http://[::1]:8443', 'http://localhost:1']) {
      expect(parseServerAddress(local), local).toMatchObject({ ok: true });
    }
  });

  it('refuses http to another machine, saying why', () => {
    for (const remote of ['http://journal.example', 'http://10.0.0.5:8443', 'http://127.0.0.1.evil.example', 'http://[::2]']) {
      expect(parseServerAddress(remote), remote).toEqual({
        ok: false,
        problem:
          'use https:// for a server on another machine: over http:// the enrolment token and the device credential cross the network readable (http:// is for 127.0.0.1, ::1 or localhost only)',
      });
    }
  });

  it('refuses another scheme, a user or password, and what is not an address, without quoting it', () => {
    expect(parseServerAddress('ftp://journal.example')).toEqual({
      ok: false,
      problem: 'use an https:// address such as https://journal.example:8443',
    });
    expect(parseServerAddress('https://user:pw@journal.example')).toEqual({
      ok: false,
      problem: 'the address must not hold a user or password',
    });
    expect(parseServerAddress('bgt_token-pasted-here')).toEqual({
      ok: false,
      problem: 'that is not an address such as https://journal.example:8443',
    });
    expect(enroll({ server: 'http://journal.example', token: 'bgt_ok' })).toEqual([
      'server: use https:// for a server on another machine: over http:// the enrolment token and the device credential cross the network readable (http:// is for 127.0.0.1, ::1 or localhost only)',
    ]);
  });
});
