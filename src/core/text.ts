/**
 * Text from outside (reasons, incident references, names, bundle fields) shown on a terminal.
 * Control characters, line and paragraph separators and bidirectional overrides are shown as
 * `\u{…}` escapes, so such text can neither forge a line of output nor move or recolour it.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/gu;
// eslint-disable-next-line no-control-regex -- the same, but keeping tab and newline
const UNPRINTABLE_KEEPING_LAYOUT = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/gu;

const escape = (c: string): string => `\\u{${c.codePointAt(0)!.toString(16)}}`;

/** A field of outside text on one line: every character that could change what is shown is escaped. */
export function printable(text: string): string {
  return text.replace(UNPRINTABLE, escape);
}

/**
 * Output as a whole (which has its own tabs and newlines): everything else that could move the
 * cursor, recolour or reorder what is shown is escaped. Fields of outside text inside it still need
 * `printable`, or a newline in them would forge a line.
 */
export function terminalSafe(text: string): string {
  return text.replace(UNPRINTABLE_KEEPING_LAYOUT, escape);
}

/**
 * Why `text` may not stand in a document read from outside, or null: a lone surrogate (not Unicode
 * text at all; RFC 8785 canonicalises only I-JSON), a noncharacter (U+FDD0..U+FDEF and the last two
 * code points of every plane, which I-JSON also forbids), or a byte-order mark U+FEFF (never
 * silently stripped: two readers would disagree on whether it is part of the text).
 */
export function unacceptableText(text: string): string | null {
  for (const char of text) {
    const cp = char.codePointAt(0)!;
    // Iterating by code point, a surrogate stands alone only when it has no partner.
    if (cp >= 0xd800 && cp <= 0xdfff) return 'a lone surrogate (not Unicode text)';
    if (cp === 0xfeff) return 'a byte-order mark (U+FEFF)';
    if ((cp >= 0xfdd0 && cp <= 0xfdef) || (cp & 0xfffe) === 0xfffe) return `a Unicode noncharacter (U+${cp.toString(16).toUpperCase()})`;
  }
  return null;
}

/**
 * The first string or member name in a parsed document that `unacceptableText` refuses, as its
 * path (and the keys and indexes that lead there) and reason, or null. The document was
 * depth-checked before it was parsed; the walk is bounded anyway.
 */
export function findUnacceptableText(
  value: unknown,
  path = '(root)',
  depth = 0,
  keys: readonly (string | number)[] = [],
): { path: string; why: string; keys: readonly (string | number)[] } | null {
  if (typeof value === 'string') {
    const why = unacceptableText(value);
    return why === null ? null : { path, why, keys };
  }
  if (typeof value !== 'object' || value === null || depth > 64) return null;
  const entries: [string | number, unknown][] = Array.isArray(value) ? value.map((v, i) => [i, v]) : Object.entries(value);
  for (const [key, member] of entries) {
    const at = path === '(root)' ? String(key) : `${path}.${key}`;
    const whyKey = typeof key === 'number' ? null : unacceptableText(key);
    if (whyKey !== null) return { path: at, why: `a member name with ${whyKey}`, keys: [...keys, key] };
    const found = findUnacceptableText(member, at, depth + 1, [...keys, key]);
    if (found) return found;
  }
  return null;
}
