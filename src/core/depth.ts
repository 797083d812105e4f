import { BreakGlassError } from './errors.js';

/**
 * How deeply any document from outside may nest (objects and arrays, YAML block levels included).
 * Genuine documents nest 4 levels at most. The limit is checked on the text, before any parser or
 * recursive walk sees it, so a crafted file fails in constant stack and linear time (the YAML
 * parser exhausts the heap on 20,000 nested brackets, and a recursive walk the stack).
 */
export const MAX_DEPTH = 32;

/** The TOO_DEEP refusal, naming the document and where its nesting passed the limit. */
export function tooDeep(what: string, depth: number, where: string): never {
  throw new BreakGlassError('TOO_DEEP', `${what} nests deeper than ${MAX_DEPTH} levels (${depth}, ${where}); no genuine document does`, {
    limit: MAX_DEPTH,
  });
}

/**
 * The offset at which JSON text's arrays and objects first nest deeper than MAX_DEPTH, or -1.
 * Strings are skipped exactly (past escapes), so brackets inside them never count.
 */
export function jsonTooDeepAt(text: string): number {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      for (i++; i < text.length && text.charCodeAt(i) !== 0x22; i++) if (text.charCodeAt(i) === 0x5c) i++;
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > MAX_DEPTH) return i;
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
  }
  return -1;
}

/** Refuses (TOO_DEEP) JSON text nested deeper than MAX_DEPTH. */
export function assertJsonDepth(text: string, what: string): void {
  const at = jsonTooDeepAt(text);
  if (at >= 0) tooDeep(what, MAX_DEPTH + 1, `at character ${at}`);
}
