import { describe, it, expect } from 'vitest';
import { canonicalize, isCanonical } from '../../../src/core/canonical.js';

describe('canonicalize (RFC 8785)', () => {
  it('sorts object members by key, at every depth, with no whitespace', () => {
    expect(canonicalize({ b: 1, a: { d: [3, { z: true, y: null }], c: 'x' } })).toBe('{"a":{"c":"x","d":[3,{"y":null,"z":true}]},"b":1}');
  });

  it("sorts integer-like keys as strings, not in the engine's own integer-first order", () => {
    const value = { b: 0, 10: 1, 9: 2, a: 3 };
    expect(Object.keys(value)).toEqual(['9', '10', 'b', 'a']);
    expect(canonicalize(value)).toBe('{"10":1,"9":2,"a":3,"b":0}');
  });

  it('sorts keys by UTF-16 code units: the RFC 8785 section 3.2.3 example', () => {
    const value = {
      '\u20ac': 'Euro Sign',
      '\r': 'Carriage Return',
      '\ufb33': 'Hebrew Letter Dalet With Dagesh',
      '1': 'One',
      '\ud83d\ude00': 'Emoji: Grinning Face',
      '\u0080': 'Control',
      '\u00f6': 'Latin Small Letter O With Diaeresis',
    };
    expect(canonicalize(value)).toBe(
      '{"\\r":"Carriage Return","1":"One","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis",' +
        '"\u20ac":"Euro Sign","\ud83d\ude00":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}',
    );
  });

  it('puts a supplementary-plane key before a high BMP key (code units, not code points)', () => {
    // U+1F600 is above U+FB33 as a code point but its first code unit, 0xD83D, is below 0xFB33.
    expect(canonicalize({ '\ufb33': 1, '\u{1f600}': 2 })).toBe('{"\u{1f600}":2,"\ufb33":1}');
    // And "é" (U+00E9) sorts after "z" (U+007A), whatever a locale-aware comparison might say.
    expect(canonicalize({ '\u00e9': 1, z: 2, E: 3 })).toBe('{"E":3,"z":2,"\u00e9":1}');
  });

  it('escapes strings as RFC 8785 section 3.2.2.2 does', () => {
    // The RFC's own string example: "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/"
    expect(canonicalize('\u20ac$\u000F\u000aA\'\u0042\u0022\u005c\\"/')).toBe('"\u20ac$\\u000f\\nA\'B\\"\\\\\\\\\\"/"');
    expect(canonicalize('\b\t\n\f\r')).toBe('"\\b\\t\\n\\f\\r"');
    expect(canonicalize('\u0000\u001f\u007f')).toBe('"\\u0000\\u001f\u007f"');
    // Non-ASCII, including the line and paragraph separators, stays as itself.
    expect(canonicalize('ö\u2028\u2029😀')).toBe('"ö\u2028\u2029😀"');
    expect(canonicalize({ 'a\nb': 'c"d' })).toBe('{"a\\nb":"c\\"d"}');
  });

  it('writes literals and safe integers, with -0 as 0', () => {
    expect(canonicalize(null)).toBe('null');
    expect(canonicalize(true)).toBe('true');
    expect(canonicalize(false)).toBe('false');
    expect(canonicalize(-0)).toBe('0');
    expect(canonicalize(Number.MAX_SAFE_INTEGER)).toBe('9007199254740991');
    expect(canonicalize(Number.MIN_SAFE_INTEGER)).toBe('-9007199254740991');
    expect(canonicalize([])).toBe('[]');
    expect(canonicalize({})).toBe('{}');
    expect(canonicalize('')).toBe('""');
  });

  it('omits members whose value is undefined, as JSON.stringify does', () => {
    expect(canonicalize({ a: undefined, b: 1 })).toBe('{"b":1}');
  });

  it('accepts objects without a prototype', () => {
    const bare = Object.create(null) as Record<string, unknown>;
    bare['b'] = 1;
    bare['a'] = [bare['b']];
    expect(canonicalize(bare)).toBe('{"a":[1],"b":1}');
  });

  it.each([
    ['a float', 1.5, 'canonical JSON: only safe integers'],
    ['NaN', NaN, 'canonical JSON: only safe integers'],
    ['Infinity', Infinity, 'canonical JSON: only safe integers'],
    ['-Infinity', -Infinity, 'canonical JSON: only safe integers'],
    ['an unsafe integer', 2 ** 53, 'canonical JSON: only safe integers'],
    ['a nested float', { a: [1, { b: 0.1 }] }, 'canonical JSON: only safe integers'],
    ['undefined', undefined, 'canonical JSON: unsupported type undefined'],
    ['undefined in an array', [1, undefined], 'canonical JSON: unsupported type undefined'],
    ['a bigint', 1n, 'canonical JSON: unsupported type bigint'],
    ['a symbol', Symbol('s'), 'canonical JSON: unsupported type symbol'],
    ['a function member', { f: () => 1 }, 'canonical JSON: unsupported type function'],
    ['a Date', new Date(0), 'canonical JSON: only plain objects'],
    ['a Map', new Map([['a', 1]]), 'canonical JSON: only plain objects'],
    ['a Buffer', Buffer.from('a'), 'canonical JSON: only plain objects'],
    [
      'a class instance',
      new (class Point {
        x = 1;
      })(),
      'canonical JSON: only plain objects',
    ],
    ['an object inheriting from another', Object.create({ inherited: 1 }) as unknown, 'canonical JSON: only plain objects'],
  ])('refuses %s', (_what, value, message) => {
    expect(() => canonicalize(value)).toThrow(new TypeError(message));
  });

  // Bug: Array.prototype.map skips holes, so a sparse array serialises as "[,1]", which is not JSON.
  it('refuses a sparse array instead of writing invalid JSON', () => {
    // eslint-disable-next-line no-sparse-arrays
    const sparse = [, 1];
    expect(() => canonicalize(sparse)).toThrow(TypeError);
    expect(() => canonicalize(new Array(2))).toThrow(TypeError);
  });

  it('produces text that parses back to an equal value', () => {
    const value = { z: [1, -2, 'three', null, true, { '': '' }], ä: { 'k\u0000': 'v\u001f' } };
    const text = canonicalize(value);
    expect(JSON.parse(text)).toEqual(value);
    expect(canonicalize(JSON.parse(text))).toBe(text);
  });
});

describe('isCanonical', () => {
  it('accepts canonical text', () => {
    expect(isCanonical('{"a":[1,"x",null],"b":{"c":true}}')).toBe(true);
    expect(isCanonical('"\\u001f"')).toBe(true);
    expect(isCanonical('0')).toBe(true);
  });

  it.each([
    ['whitespace', '{"a": 1}'],
    ['a trailing newline', '{"a":1}\n'],
    ['unsorted keys', '{"b":1,"a":2}'],
    ['duplicate keys', '{"a":1,"a":1}'],
    ['a float spelled as an integer', '{"a":1.0}'],
    ['an exponent', '1e2'],
    ['negative zero', '-0'],
    ['an unnecessary escape', '"\\u0041"'],
    ['an escaped solidus', '"\\/"'],
    ['an upper-case hex escape', '"\\u001F"'],
    ['an escaped non-ASCII character', '"\\u00e9"'],
    ['a float', '1.5'],
    ['invalid JSON', '{"a":'],
    ['nothing', ''],
  ])('refuses %s', (_what, text) => {
    expect(isCanonical(text)).toBe(false);
  });
});

describe('canonical JSON is I-JSON', () => {
  it('member names read the same the first time and every time after (their text is remembered)', () => {
    const doc = { 'a"b': 1, 'line\nbreak': 2, ['\u00e9']: 3, ['x'.repeat(100)]: 4 };
    const first = canonicalize(doc);
    expect(first).toBe(`{"a\\"b":1,"line\\nbreak":2,"${'x'.repeat(100)}":4,"\u00e9":3}`);
    for (let i = 0; i < 3; i++) expect(canonicalize(doc)).toBe(first);
  });

  it('refuses a string or member name with a lone surrogate (RFC 8785 canonicalises Unicode text only)', () => {
    expect(() => canonicalize({ name: 'a\uD800' })).toThrow('lone surrogate');
    expect(() => canonicalize({ ['\uDC00']: 1 })).toThrow('lone surrogate');
    // Member names are remembered once checked: a refused one is never remembered as good.
    expect(() => canonicalize({ ['\uDC00']: 2 })).toThrow('lone surrogate');
    expect(canonicalize({ name: '🔑' })).toBe('{"name":"🔑"}');
  });
});
