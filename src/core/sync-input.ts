/**
 * What a person types to reach the journal server, checked one way for the CLI and the app: the
 * server's address and a token. Neither message ever quotes what was typed (a token pasted into the
 * wrong field would be echoed).
 */

/** A server token: the one rule of the clients and of the server's `Authorization: Bearer` parser (src/server/auth.ts). */
const TOKEN = /^[A-Za-z0-9_-]{1,200}$/;

/** What a token looks like, said to the person who pastes one. */
export const TOKEN_RULE = 'letters, digits, - and _ only';

/** True when `text` has the shape of a server token; anything else (a line break, a NUL) is never sent. */
export function isServerToken(text: string): boolean {
  return TOKEN.test(text);
}

/** True for a host that never leaves this machine: 127.0.0.0/8, ::1 or localhost. */
function isLoopbackHost(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}

/**
 * A journal server's address as its origin, or the sentence saying what is wrong with it: https, or
 * plain http to this machine only (the enrolment token and the device credential cross in every
 * request), and no user or password in it.
 */
export function parseServerAddress(text: string): { ok: true; origin: string } | { ok: false; problem: string } {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { ok: false, problem: 'that is not an address such as https://journal.example:8443' };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return { ok: false, problem: 'use an https:// address such as https://journal.example:8443' };
  }
  if (url.username !== '' || url.password !== '') {
    return { ok: false, problem: 'the address must not hold a user or password' };
  }
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
    return {
      ok: false,
      problem:
        'use https:// for a server on another machine: over http:// the enrolment token and the device credential cross the network readable (http:// is for 127.0.0.1, ::1 or localhost only)',
    };
  }
  return { ok: true, origin: url.origin };
}
