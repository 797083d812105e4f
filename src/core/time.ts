/**
 * One way to write a moment, everywhere people read one (the CLI, the app's windows, messages): the
 * local time of the machine showing it, to the second, with its offset from UTC, so a time read
 * aloud on a bridge call means the same on every laptop; and, where a deadline matters, how far it
 * is from now ("in 12 min", "3 min ago").
 */

const pad = (n: number): string => String(n).padStart(2, '0');

/** `2026-12-03 15:04:05 +01:00`: local time with its offset from UTC. */
export function formatTime(ms: number): string {
  const d = new Date(ms);
  const offset = -d.getTimezoneOffset();
  const sign = offset < 0 ? '-' : '+';
  const abs = Math.abs(offset);
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())} ${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`
  );
}

/** How far `ms` is from `now`, rounded to one unit: "in 12 min", "3 min ago", "now". */
export function relativeTime(ms: number, now: number): string {
  const diff = ms - now;
  const s = Math.abs(diff) / 1000;
  if (s < 1) return 'now';
  const amount =
    s < 90
      ? `${Math.round(s)} s`
      : s < 90 * 60
        ? `${Math.round(s / 60)} min`
        : s < 48 * 3600
          ? `${Math.round(s / 3600)} h`
          : `${Math.round(s / 86_400)} days`;
  return diff > 0 ? `in ${amount}` : `${amount} ago`;
}

/** A deadline or a recent moment: `2026-12-03 15:04:05 +01:00 (in 12 min)`. */
export function formatMoment(ms: number, now: number = Date.now()): string {
  return `${formatTime(ms)} (${relativeTime(ms, now)})`;
}
