/** The one format for moments: local time with its UTC offset, and how far it is from now. */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { formatMoment, formatTime, relativeTime } from '../../../src/core/time.js';

const MODULE = fileURLToPath(new URL('../../../dist/src/core/time.js', import.meta.url));

/** formatTime in a child process with its own TZ (a process reads its zone once). */
function inZone(tz: string, ms: number): string {
  const script = `import(${JSON.stringify(MODULE)}).then((m) => process.stdout.write(m.formatTime(${ms})))`;
  return execFileSync(process.execPath, ['-e', script], { env: { ...process.env, TZ: tz }, encoding: 'utf8' });
}

describe('formatTime', () => {
  const moment = Date.UTC(2026, 11, 3, 14, 4, 5);

  it('writes the local time with its offset, the same instant in every zone', () => {
    expect(inZone('UTC', moment)).toBe('2026-12-03 14:04:05 +00:00');
    expect(inZone('Europe/Berlin', moment)).toBe('2026-12-03 15:04:05 +01:00');
    expect(inZone('America/New_York', moment)).toBe('2026-12-03 09:04:05 -05:00');
    expect(inZone('Asia/Kolkata', moment)).toBe('2026-12-03 19:34:05 +05:30');
    // Summer time moves the offset, not the format.
    expect(inZone('Europe/Berlin', Date.UTC(2026, 6, 1, 0, 0, 0))).toBe('2026-07-01 02:00:00 +02:00');
  });

  it('reads back as the instant it names', () => {
    const text = formatTime(moment);
    const [date, time, offset] = text.split(' ');
    expect(Date.parse(`${date}T${time}${offset}`)).toBe(moment);
  });
});

describe('relativeTime', () => {
  const now = 1_800_000_000_000;
  it.each([
    [0, 'now'],
    [400, 'now'],
    [-3_000, '3 s ago'],
    [45_000, 'in 45 s'],
    [-45_000, '45 s ago'],
    [12 * 60_000, 'in 12 min'],
    [-3 * 60_000, '3 min ago'],
    [89 * 60_000, 'in 89 min'],
    [5 * 3_600_000, 'in 5 h'],
    [-30 * 3_600_000, '30 h ago'],
    [9 * 86_400_000, 'in 9 days'],
  ])('%i ms from now is "%s"', (diff, expected) => {
    expect(relativeTime(now + diff, now)).toBe(expected);
  });

  it('joins the two in formatMoment', () => {
    expect(formatMoment(now + 12 * 60_000, now)).toBe(`${formatTime(now + 12 * 60_000)} (in 12 min)`);
  });
});
