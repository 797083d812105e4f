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
 * is not (String.trim would silently drop a U+FEFF), so such input is BAD_BUNDLE.
 */
export function decodeDocument(kind: keyof typeof CODE_PREFIX, text: string, what: string): unknown {
  const trimmed = text.replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, '');
  if (trimmed.startsWith('\uFEFF'))
    throw new BreakGlassError('BAD_BUNDLE', `the ${what} starts with a byte-order mark (U+FEFF); save it without one`);
  const prefix = CODE_PREFIX[kind];
  if (trimmed.startsWith('BGV')) {
    if (!trimmed.startsWith(prefix)) {
      throw new BreakGlassError('BAD_BUNDLE', `this is not ${what} (it does not start with ${prefix})`);
    }
    const damaged = (err: unknown): BreakGlassError =>
      new BreakGlassError('BAD_BUNDLE', `the ${what} code is damaged (a character may be missing); copy it again`, {}, { cause: err });
    const body = trimmed.slice(prefix.length).replace(PASTE_SPACE, '');
    let inflated: string;
    try {
      if (!/^[A-Za-z0-9_-]+$/.test(body)) throw new Error('not base64url');
      inflated = inflateRawSync(Buffer.from(body, 'base64url'), { maxOutputLength: 1 << 20 }).toString('utf8');
    } catch (err) {
      throw damaged(err);
    }
    assertJsonDepth(inflated, `the ${what} code`);
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
