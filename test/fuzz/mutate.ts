/**
 * Mutations of genuine inputs, as fast-check arbitraries: byte-level edits of a file's bytes,
 * structural edits of a JSON document (a value replaced, a member removed or added), and token
 * edits of a command line. Each mutation is a plain value, so a failure shrinks and replays.
 */
import fc from 'fast-check';

/** Text that parsers of this project have reason to fear, inserted or substituted whole. */
export const NASTY_TEXT: readonly string[] = [
  '\uFEFF',
  '\uD800',
  '\uDC00x',
  '\uFFFF',
  '\uFDD0',
  '\u0000',
  '\u202E',
  '\r',
  '\r\n',
  '\n',
  ' ',
  '\t',
  '"',
  '\\',
  '\\u0000',
  '\\ud800',
  '\\uFEFF',
  '{',
  '}',
  '[',
  ']',
  ',',
  ':',
  'null',
  'true',
  '-0',
  '1e400',
  '9007199254740993',
  '0.5',
  '"__proto__"',
  '{"__proto__":{"x":1}}',
  '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[',
  '{"a":'.repeat(40),
  '&a [*a]',
  '!!binary',
  '%YAML 1.1\n',
  '---\n',
  '? ',
  '- ',
  '#',
  'BGV1-REQUEST:',
  'BGV1-APPROVAL:',
  'BGV2-REQUEST:',
  '=',
  '-',
  '--',
  'A'.repeat(4096),
];

/** Bytes worth setting: control, quote, backslash, brackets, a UTF-8 BOM lead, an invalid lead, a CESU surrogate lead. */
const NASTY_BYTES = [
  0x00, 0x0a, 0x0d, 0x20, 0x22, 0x5c, 0x7b, 0x7d, 0x5b, 0x5d, 0x2c, 0x3a, 0xef, 0xbb, 0xbf, 0xff, 0xc0, 0xed, 0x80, 0x7f,
];

export type ByteEdit =
  | { readonly op: 'flip'; readonly at: number; readonly bit: number }
  | { readonly op: 'set'; readonly at: number; readonly byte: number }
  | { readonly op: 'insert'; readonly at: number; readonly text: string }
  | { readonly op: 'delete'; readonly at: number; readonly length: number }
  | { readonly op: 'duplicate'; readonly at: number; readonly length: number }
  | { readonly op: 'truncate'; readonly at: number }
  | { readonly op: 'swap'; readonly at: number; readonly other: number; readonly length: number };

const position = fc.nat({ max: 1 << 20 });
const span = fc.integer({ min: 1, max: 64 });

export const byteEdit: fc.Arbitrary<ByteEdit> = fc.oneof(
  fc.record({ op: fc.constant('flip' as const), at: position, bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({
    op: fc.constant('set' as const),
    at: position,
    byte: fc.oneof(fc.constantFrom(...NASTY_BYTES), fc.integer({ min: 0, max: 255 })),
  }),
  fc.record({
    op: fc.constant('insert' as const),
    at: position,
    text: fc.oneof(fc.constantFrom(...NASTY_TEXT), fc.string({ maxLength: 8, unit: 'binary' })),
  }),
  fc.record({ op: fc.constant('delete' as const), at: position, length: span }),
  fc.record({ op: fc.constant('duplicate' as const), at: position, length: span }),
  fc.record({ op: fc.constant('truncate' as const), at: position }),
  fc.record({ op: fc.constant('swap' as const), at: position, other: position, length: span }),
);

/** Applies byte edits in order; positions wrap around the current length. */
export function applyByteEdits(seed: Buffer, edits: readonly ByteEdit[]): Buffer {
  let out = Buffer.from(seed);
  for (const e of edits) {
    const n = out.length;
    const at = n === 0 ? 0 : e.at % (n + 1);
    switch (e.op) {
      case 'flip':
        if (n > 0) out[at % n] = out[at % n]! ^ (1 << e.bit);
        break;
      case 'set':
        if (n > 0) out[at % n] = e.byte;
        break;
      case 'insert':
        out = Buffer.concat([out.subarray(0, at), Buffer.from(e.text, 'utf8'), out.subarray(at)]);
        break;
      case 'delete':
        out = Buffer.concat([out.subarray(0, at), out.subarray(at + e.length)]);
        break;
      case 'duplicate':
        out = Buffer.concat([out.subarray(0, at + e.length), out.subarray(at, at + e.length), out.subarray(at + e.length)]);
        break;
      case 'truncate':
        out = out.subarray(0, at);
        break;
      case 'swap': {
        if (n === 0) break;
        const a = Buffer.from(out.subarray(at, at + e.length));
        const bAt = e.other % n;
        const b = Buffer.from(out.subarray(bAt, bAt + e.length));
        if (bAt >= at + a.length || bAt + b.length <= at) {
          const [first, second, firstAt, secondAt] = at < bAt ? [a, b, at, bAt] : [b, a, bAt, at];
          out = Buffer.concat([
            out.subarray(0, firstAt),
            second,
            out.subarray(firstAt + first.length, secondAt),
            first,
            out.subarray(secondAt + second.length),
          ]);
        }
        break;
      }
    }
  }
  return out;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Every path to a value in `doc`, the root included. */
export function jsonPaths(doc: Json, prefix: readonly (string | number)[] = []): (string | number)[][] {
  const out: (string | number)[][] = [[...prefix]];
  if (Array.isArray(doc)) doc.forEach((v, i) => out.push(...jsonPaths(v, [...prefix, i])));
  else if (doc !== null && typeof doc === 'object') for (const [k, v] of Object.entries(doc)) out.push(...jsonPaths(v, [...prefix, k]));
  return out;
}

export type JsonEdit =
  | { readonly op: 'replace'; readonly path: number; readonly value: Json }
  | { readonly op: 'tweak'; readonly path: number; readonly salt: number }
  | { readonly op: 'remove'; readonly path: number }
  | { readonly op: 'add'; readonly path: number; readonly key: string; readonly value: Json };

/** Values that sit at the edges of what a schema allows. */
const nastyValue: fc.Arbitrary<Json> = fc.oneof(
  fc.constantFrom<Json>(
    null,
    true,
    false,
    0,
    -1,
    1,
    2 ** 53,
    -(2 ** 53),
    1e308,
    0.5,
    '',
    ' ',
    '\uFEFF',
    '\uD800',
    '\uFFFE',
    'a\u0000b',
    'A'.repeat(70),
    'x'.repeat(5000),
    '__proto__',
    [],
    {},
    [[[]]],
  ),
  fc.string({ maxLength: 16, unit: 'binary' }),
  fc.integer(),
  fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>,
);

export const jsonEdit: fc.Arbitrary<JsonEdit> = fc.oneof(
  fc.record({ op: fc.constant('replace' as const), path: fc.nat(), value: nastyValue }),
  fc.record({ op: fc.constant('tweak' as const), path: fc.nat(), salt: fc.nat() }),
  fc.record({ op: fc.constant('remove' as const), path: fc.nat() }),
  fc.record({
    op: fc.constant('add' as const),
    path: fc.nat(),
    key: fc.oneof(fc.constantFrom('__proto__', 'sig', 'version', 'extra'), fc.string({ maxLength: 8 })),
    value: nastyValue,
  }),
);

/** A small change of the same type: one character of a string, a number by one, a boolean flipped. */
function tweak(value: Json, salt: number): Json {
  if (typeof value === 'string') {
    if (value.length === 0) return 'a';
    const at = salt % value.length;
    const c = value.charCodeAt(at);
    return value.slice(0, at) + String.fromCharCode(c === 0x41 ? 0x42 : 0x41) + value.slice(at + 1);
  }
  if (typeof value === 'number') return salt % 2 === 0 ? value + 1 : value - 1;
  if (typeof value === 'boolean') return !value;
  if (Array.isArray(value)) return salt % 2 === 0 ? value.slice(1) : [...value, ...value.slice(0, 1)];
  return value;
}

/** Applies JSON edits to a deep copy of `doc`; a path index wraps around the document's paths. */
export function applyJsonEdits(doc: Json, edits: readonly JsonEdit[]): Json {
  let root = structuredClone(doc);
  for (const e of edits) {
    const paths = jsonPaths(root);
    const path = paths[e.path % paths.length]!;
    const parent =
      path.length === 0
        ? null
        : (path.slice(0, -1).reduce<Json>((node, k) => (node as Record<string, Json>)[k]!, root) as Record<string, Json> | Json[]);
    const last = path[path.length - 1];
    const get = (): Json => (parent === null ? root : (parent as Record<string | number, Json>)[last!]!);
    const put = (value: Json): void => {
      if (parent === null) root = value;
      else (parent as Record<string | number, Json>)[last!] = value;
    };
    switch (e.op) {
      case 'replace':
        // A copy: the arbitraries hand out shared constants, which a later edit must not change.
        put(structuredClone(e.value));
        break;
      case 'tweak':
        put(tweak(get(), e.salt));
        break;
      case 'remove':
        if (Array.isArray(parent)) parent.splice(last as number, 1);
        else if (parent !== null) delete (parent as Record<string, Json>)[last as string];
        break;
      case 'add': {
        const target = get();
        // Defined as an own property, as JSON.parse would make it ("__proto__" included).
        if (target !== null && typeof target === 'object' && !Array.isArray(target)) {
          Object.defineProperty(target, e.key, { value: structuredClone(e.value), enumerable: true, writable: true, configurable: true });
        } else if (Array.isArray(target)) target.push(structuredClone(e.value));
        break;
      }
    }
  }
  return root;
}

export type ArgvEdit =
  | { readonly op: 'insert'; readonly at: number; readonly token: string }
  | { readonly op: 'replace'; readonly at: number; readonly token: string }
  | { readonly op: 'delete'; readonly at: number }
  | { readonly op: 'duplicate'; readonly at: number }
  | { readonly op: 'join'; readonly at: number }
  | { readonly op: 'bytes'; readonly at: number; readonly edits: readonly ByteEdit[] };

/** Tokens a command line may be mistyped or crafted with; `names` adds every option and command word. */
export function argvEdit(names: readonly string[]): fc.Arbitrary<ArgvEdit> {
  const token = fc.oneof(
    fc.constantFrom(
      ...names,
      '--',
      '-',
      '-h',
      '--help',
      '--json',
      '--vault',
      '--vault=',
      '--=',
      '---x',
      '-x',
      '',
      ' ',
      '\uFEFF--json',
      'help',
    ),
    fc.constantFrom(...NASTY_TEXT),
    fc.string({ maxLength: 12 }),
  );
  const at = fc.nat({ max: 64 });
  return fc.oneof(
    fc.record({ op: fc.constant('insert' as const), at, token }),
    fc.record({ op: fc.constant('replace' as const), at, token }),
    fc.record({ op: fc.constant('delete' as const), at }),
    fc.record({ op: fc.constant('duplicate' as const), at }),
    fc.record({ op: fc.constant('join' as const), at }),
    fc.record({ op: fc.constant('bytes' as const), at, edits: fc.array(byteEdit, { minLength: 1, maxLength: 2 }) }),
  );
}

/** Applies command-line edits; a token's bytes are edited and decoded as the OS hands argv to Node. */
export function applyArgvEdits(seed: readonly string[], edits: readonly ArgvEdit[]): string[] {
  const out = [...seed];
  // The OS hands Node argv as bytes, decoded as UTF-8: a lone surrogate cannot reach it.
  const argv = (token: string): string => Buffer.from(token, 'utf8').toString('utf8');
  for (const e of edits) {
    const at = e.at % (out.length + 1);
    switch (e.op) {
      case 'insert':
        out.splice(at, 0, argv(e.token));
        break;
      case 'replace':
        if (out.length > 0) out[at % out.length] = argv(e.token);
        break;
      case 'delete':
        if (out.length > 0) out.splice(at % out.length, 1);
        break;
      case 'duplicate':
        if (out.length > 0) out.splice(at % out.length, 0, out[at % out.length]!);
        break;
      case 'join':
        if (at + 1 < out.length) out.splice(at, 2, `${out[at]}=${out[at + 1]}`);
        break;
      case 'bytes':
        if (out.length > 0) out[at % out.length] = applyByteEdits(Buffer.from(out[at % out.length]!, 'utf8'), e.edits).toString('utf8');
        break;
    }
  }
  return out;
}
