import { describe, expect, it } from 'vitest';
import { printable, terminalSafe } from '../../../src/core/text.js';

describe('text from outside, shown on a terminal', () => {
  it('escapes what could forge a line, move the cursor, recolour or reorder the text', () => {
    expect(printable('INC-1\n   9  fake line')).toBe('INC-1\\u{a}   9  fake line');
    expect(printable('a\rb\tc\u001b[2Jd\u007fe\u009bf')).toBe('a\\u{d}b\\u{9}c\\u{1b}[2Jd\\u{7f}e\\u{9b}f');
    expect(printable('pay \u202eevil\u202c \u2066x\u2069 \u2028 \u2029')).toBe(
      'pay \\u{202e}evil\\u{202c} \\u{2066}x\\u{2069} \\u{2028} \\u{2029}',
    );
  });

  it('leaves ordinary text alone, accents and emoji included', () => {
    for (const text of ['prod DB root', 'Zoë Ødegård', '数据库 🔑', 'reason="WAN down"', '']) expect(printable(text)).toBe(text);
  });

  it('output as a whole keeps its own tabs and newlines, and nothing else', () => {
    expect(terminalSafe('a\tb\nc\u001b[31md\r')).toBe('a\tb\nc\\u{1b}[31md\\u{d}');
  });
});
