import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { assertJsonDepth } from '../core/depth.js';
import { BreakGlassError } from '../core/errors.js';

/** Prefixes of the copy-pasteable text codes; the version is part of the prefix. */
export const CODE_PREFIX = { bundle: 'BGV1-REQUEST:', approval: 'BGV1-APPROVAL:' } as const;

/** A document as a single line of text: prefix, then base64url of its deflated JSON. */
export function encodeTextCode(kind: keyof typeof CODE_PREFIX, document: unknown): string {
  return CODE_PREFIX[kind] + deflateRawSync(Buffer.from(JSON.stringify(document), 'utf8')).toString('base64url');
}

/** Spaces, tabs and line breaks: what a paste may add around or inside a code. Nothing else is skipped. */
const PASTE_SPACE = /[ \t\r\n]+/g;

/**
 * Reads a document given either as a text code or as the JSON text of a file. Spaces, tabs and
 * line breaks around and inside a pasted code are ignored; a byte-order mark or any other character
 * is not (String.trim would silently drop a U+FEFF), so such input is BAD_BUNDLE. A code of the
 * other kind is decoded as well: the caller's kind check then says what it is and where it goes.
 */
export function decodeDocument(kind: keyof typeof CODE_PREFIX, text: string, what: string): unknown {
  const trimmed = text.replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, '');
  if (trimmed.startsWith('\uFEFF'))
    throw new BreakGlassError('BAD_BUNDLE', `the ${what} starts with a byte-order mark (U+FEFF); save it without one`);
  const own = CODE_PREFIX[kind];
  const prefix = trimmed.startsWith(own) ? own : Object.values(CODE_PREFIX).find((p) => trimmed.startsWith(p));
  if (trimmed.startsWith('BGV')) {
    if (prefix === undefined) {
      throw new BreakGlassError('BAD_BUNDLE', `this is not a code this version reads (the ${what} code starts with ${own})`);
    }
    const name = prefix === own ? what : prefix === CODE_PREFIX.bundle ? 'request bundle' : 'approval';
    const damaged = (err: unknown): BreakGlassError =>
      new BreakGlassError('BAD_BUNDLE', `the ${name} code is damaged (a character may be missing); copy it again`, {}, { cause: err });
    const body = trimmed.slice(prefix.length).replace(PASTE_SPACE, '');
    let inflated: string;
    try {
      if (!/^[A-Za-z0-9_-]+$/.test(body)) throw new Error('not base64url');
      inflated = inflateRawSync(Buffer.from(body, 'base64url'), { maxOutputLength: 1 << 20 }).toString('utf8');
    } catch (err) {
      throw damaged(err);
    }
    assertJsonDepth(inflated, `the ${name} code`);
    try {
      return JSON.parse(inflated);
    } catch (err) {
      throw damaged(err);
    }
  }
  assertJsonDepth(trimmed, `the ${what}`);
  try {
    return JSON.parse(trimmed);
  } catch (err) {
    throw new BreakGlassError('BAD_BUNDLE', `the ${what} is neither a text code nor JSON`, {}, { cause: err });
  }
}
