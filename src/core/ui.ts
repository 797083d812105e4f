// What the app's window and its two hosts (Electron, `breakglass ui`) share besides the IPC contract:
// the one CSP, the token header, and the facts every approval screen must show. No Node, no zod, so
// the renderer bundles only this.
import type { RequestBody } from './documents.js';

/**
 * The one Content-Security-Policy of the app's window, in Electron and in `breakglass ui`: scripts
 * and styles only from the app itself, no inline code, calls only back to where the page came from.
 */
export const RENDERER_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; form-action 'none'; base-uri 'none'";

/** The header `breakglass ui` expects its per-run token in (never a cookie). */
export const UI_TOKEN_HEADER = 'x-breakglass-token';

/** A card fingerprint as screens show it: the first 16 characters, in groups of four (as the CLI does). */
export function shortFingerprint(fingerprint: string): string {
  return (fingerprint.slice(0, 16).match(/.{1,4}/g) ?? []).join(' ');
}

/** One split as a line: each holder with their key's fingerprint, and the threshold. */
export function splitText(holders: readonly string[], keys: readonly string[], threshold: number): string {
  return `${threshold} of ${holders.length}: ${holders.map((h, i) => `${h} [${shortFingerprint(keys[i] ?? '')}]`).join(', ')}`;
}

/**
 * The warning a holder must read when approving changes who holds the credential afterwards (as
 * `breakglass approve` prints it), or null when the split stays the same.
 */
export function splitChangeWarning(r: RequestBody): string | null {
  const added = r.nextHolders.filter((h) => !r.holders.includes(h));
  const removed = r.holders.filter((h) => !r.nextHolders.includes(h));
  const rekeyed = r.nextHolders.filter((h, i) => r.holders.includes(h) && r.holderKeys[r.holders.indexOf(h)] !== r.nextHolderKeys[i]);
  if (added.length === 0 && removed.length === 0 && rekeyed.length === 0 && r.threshold === r.nextThreshold) return null;
  const changes = [
    added.length > 0 ? `adds ${added.join(', ')}` : '',
    removed.length > 0 ? `removes ${removed.join(', ')}` : '',
    rekeyed.length > 0 ? `gives ${rekeyed.join(', ')} other keys` : '',
    r.threshold !== r.nextThreshold ? `needs ${r.nextThreshold} instead of ${r.threshold}` : '',
  ].filter(Boolean);
  return `this ${r.purpose === 'rotate' ? 'rotation' : 'unseal'} changes who holds ${r.credential}: it ${changes.join(', ')}; approve only if you know why`;
}
