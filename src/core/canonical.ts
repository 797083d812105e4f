/**
 * RFC 8785 (JSON Canonicalization Scheme) for the values this project signs: objects with string
 * keys, arrays, strings, booleans, null and safe integers. Floats are refused so that every signed
 * document round-trips exactly through JSON.parse. Strings with a lone surrogate are refused too:
 * RFC 8785 canonicalises I-JSON, and such a string is not Unicode text.
 */
export type CanonicalValue = string | number | boolean | null | readonly CanonicalValue[] | { readonly [key: string]: CanonicalValue };

/** In unicode mode a surrogate code point matches only when it stands alone. */
const LONE_SURROGATE = /\p{Cs}/u;

function text(value: string): string {
  if (LONE_SURROGATE.test(value)) throw new TypeError('canonical JSON: a string with a lone surrogate');
  return JSON.stringify(value);
}

// Keys repeat across documents (every journal entry has the same dozen): the text of short ones,
// once checked, is kept (a bounded number, so documents from outside cannot grow it without end).
const keyTexts = new Map<string, string>();

function keyText(key: string): string {
  let out = keyTexts.get(key);
  if (out === undefined) {
    out = text(key);
    if (keyTexts.size < 4_096 && key.length <= 64) keyTexts.set(key, out);
  }
  return out;
}

/** Serialises `value` in canonical form; throws on values outside the supported subset. */
export function canonicalize(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return text(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isSafeInteger(value)) throw new TypeError('canonical JSON: only safe integers');
      return String(value);
    case 'object': {
      // Plain loops and string appends: this runs for every journal entry, inside its transaction.
      if (Array.isArray(value)) {
        let out = '[';
        for (let i = 0; i < value.length; i++) out += (i === 0 ? '' : ',') + canonicalize(value[i]);
        return `${out}]`;
      }
      const proto = Object.getPrototypeOf(value) as unknown;
      if (proto !== Object.prototype && proto !== null) {
        throw new TypeError('canonical JSON: only plain objects');
      }
      const record = value as Record<string, unknown>;
      // RFC 8785 sorts by UTF-16 code units, which is what the default sort compares.
      const keys = Object.keys(record).sort();
      let out = '{';
      for (const key of keys) {
        const member = record[key];
        if (member === undefined) continue;
        out += `${out.length === 1 ? '' : ','}${keyText(key)}:${canonicalize(member)}`;
      }
      return `${out}}`;
    }
    default:
      throw new TypeError(`canonical JSON: unsupported type ${typeof value}`);
  }
}

/** True when `text` is exactly the canonical form of what it parses to. */
export function isCanonical(text: string): boolean {
  try {
    return canonicalize(JSON.parse(text)) === text;
  } catch {
    return false;
  }
}
