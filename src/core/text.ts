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
