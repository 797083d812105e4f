import { describe, expect, it } from 'vitest';
import { MAX_DEPTH, assertJsonDepth, jsonTooDeepAt } from '../../../src/core/depth.js';
import { BreakGlassError } from '../../../src/core/errors.js';
import { parseExportLine } from '../../../src/journal/index.js';
import { parsePolicyText } from '../../../src/vault/policy.js';
import { decodeDocument } from '../../../src/vault/codes.js';
import { parseJsonText } from '../../../src/cli/io.js';

const nested = (n: number, open = '[', close = ']'): string => open.repeat(n) + close.repeat(n);

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    return err instanceof BreakGlassError ? `${err.code}: ${err.message}` : `not a BreakGlassError: ${String(err)}`;
  }
  return 'no error';
}

describe('the nesting-depth limit, checked on the text before any parser', () => {
  it(`JSON: ${MAX_DEPTH} levels pass, ${MAX_DEPTH + 1} are refused at the bracket that passes the limit`, () => {
    expect(jsonTooDeepAt(nested(MAX_DEPTH))).toBe(-1);
    expect(jsonTooDeepAt(`{"a":${nested(MAX_DEPTH - 1, '{"b":', '}')}}`)).toBe(-1);
    expect(jsonTooDeepAt(nested(MAX_DEPTH + 1))).toBe(MAX_DEPTH);
    expect(codeOf(() => assertJsonDepth(nested(100_000), 'member card x.card'))).toMatch(
      /^TOO_DEEP: member card x.card nests deeper than 32 levels/,
    );
  });

  it('brackets inside strings never count, escaped quotes included', () => {
    expect(jsonTooDeepAt(JSON.stringify({ reason: '['.repeat(1000), other: '\\"[[[[' + '{'.repeat(500) }))).toBe(-1);
    // A string that ends in an escaped backslash, then real nesting: counted.
    expect(jsonTooDeepAt(`["\\\\",${nested(MAX_DEPTH)}]`)).toBeGreaterThan(0);
  });

  it('a request code or bundle nested 100,000 deep is TOO_DEEP, not a crash', () => {
    expect(codeOf(() => decodeDocument('bundle', nested(100_000), 'request bundle'))).toMatch(/^TOO_DEEP: the request bundle nests deeper/);
  });

  it('an export line nested 100,000 deep is an unparseable line (TAMPER at it), read without recursing', () => {
    const entry = parseExportLine(`{"entry":${nested(100_000)},"hash":"","sig":""}`, 7);
    expect(entry.hash.length).toBe(0);
    expect(entry.seq).toBe(7);
  });
});

describe('policy YAML: deep nesting fails fast, before the YAML parser (which exhausts the heap at 20,000 brackets)', () => {
  it('flow brackets: 300,000 deep in one line is TOO_DEEP naming the line', () => {
    const text = `version: 1\nvault:\n  x: ${nested(300_000)}\n`;
    expect(codeOf(() => parsePolicyText(text))).toMatch(/^TOO_DEEP: the policy nests deeper than 32 levels \(33, line 3\)/);
  });

  it('block levels: a line indented more than 64 columns is TOO_DEEP', () => {
    let text = 'version: 1\n';
    for (let i = 0; i < 100; i++) text += `${' '.repeat(i)}k${i}:\n`;
    text += `${' '.repeat(100)}v\n`;
    expect(codeOf(() => parsePolicyText(text))).toMatch(
      /^TOO_DEEP: the policy nests deeper than 32 levels \(65, line 67 is indented 65 columns\)/,
    );
  });

  it('brackets in quoted and block scalars are text, not nesting', () => {
    const text = `version: 1\nnote: "${'['.repeat(100)}"\nother: '${'{'.repeat(100)}'\nblock: |\n  ${'['.repeat(100)}\n`;
    // Not TOO_DEEP: the policy's own checks report what is wrong with it.
    expect(codeOf(() => parsePolicyText(text))).toBe('no error');
  });
});

describe('a byte-order mark is refused, never stripped', () => {
  it('at the start of a text code, a bundle or approval file, a policy or a JSON file: refused as such', () => {
    const code = '\uFEFFBGV1-REQUEST:AAAA';
    expect(codeOf(() => decodeDocument('bundle', code, 'request bundle'))).toBe(
      'BAD_BUNDLE: the request bundle starts with a byte-order mark (U+FEFF); save it without one',
    );
    expect(codeOf(() => decodeDocument('approval', '\n \uFEFF{"body":{}}', 'approval'))).toBe(
      'BAD_BUNDLE: the approval starts with a byte-order mark (U+FEFF); save it without one',
    );
    expect(parsePolicyText('\uFEFFversion: 1\n')).toEqual({
      ok: false,
      problems: [{ path: '(root)', message: 'starts with a byte-order mark (U+FEFF); save it without one', line: 1, column: 1 }],
    });
    expect(codeOf(() => parseJsonText('\uFEFF{}', 'member card', 'alice.card'))).toBe(
      'BAD_INPUT: alice.card starts with a byte-order mark (U+FEFF); save it without one',
    );
  });

  it('inside a pasted code: only spaces, tabs and line breaks are skipped (String.trim and \\s would drop U+FEFF and U+00A0)', () => {
    for (const stray of ['\uFEFF', '\u00A0', '\u2028', '\u3000']) {
      expect(codeOf(() => decodeDocument('bundle', `BGV1-REQUEST:q1YqSS0u${stray}UbJSKkvMKU1VqgUA`, 'request bundle'))).toBe(
        'BAD_BUNDLE: the request bundle code is damaged (a character may be missing); copy it again',
      );
    }
    expect(decodeDocument('bundle', ' \tBGV1-REQUEST:q1YqSS0u\r\nUbJSKkvMKU1VqgUA\n', 'request bundle')).toEqual({ test: 'value' });
  });

  it('a policy with a lone surrogate or a noncharacter in a value is a problem at its path', () => {
    const result = parsePolicyText('version: 1\ntriggers:\n  outage: "WAN \\ud800 down"\n');
    expect(result).toEqual({
      ok: false,
      problems: [{ path: 'triggers.outage', message: 'holds a lone surrogate (not Unicode text)', line: 3, column: 3 }],
    });
  });
});
