import { describe, expect, it } from 'vitest';
import { MAX_DEPTH, assertJsonDepth, jsonTooDeepAt } from '../../../src/core/depth.js';
import { BreakGlassError } from '../../../src/core/errors.js';
import { parseExportLine } from '../../../src/journal/index.js';
import { parsePolicyText } from '../../../src/vault/policy.js';
import { decodeDocument } from '../../../src/vault/codes.js';

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
