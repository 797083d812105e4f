import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { BreakGlassError } from '../core/errors.js';

/** A clipboard program: how to write to it, read it and clear it. The secret always goes via stdin. */
interface ClipboardTool {
  readonly name: string;
  readonly copy: readonly string[];
  readonly paste: readonly string[];
}

function has(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

/** The clipboard program of this desktop session, or CLIPBOARD_UNAVAILABLE saying what to install. */
export function findClipboard(env: NodeJS.ProcessEnv = process.env): ClipboardTool {
  if (process.platform === 'darwin') return { name: 'pbcopy', copy: ['pbcopy'], paste: ['pbpaste'] };
  if (env['WAYLAND_DISPLAY'] && has('wl-copy')) return { name: 'wl-copy', copy: ['wl-copy'], paste: ['wl-paste', '--no-newline'] };
  if (env['DISPLAY'] && has('xclip')) {
    return { name: 'xclip', copy: ['xclip', '-selection', 'clipboard'], paste: ['xclip', '-o', '-selection', 'clipboard'] };
  }
  throw new BreakGlassError(
    'CLIPBOARD_UNAVAILABLE',
    'no clipboard is reachable (needs a desktop session with xclip or wl-clipboard); use --reveal or --out FILE instead',
  );
}

/**
 * Puts `secret` on the clipboard and starts a detached clearer that empties it after `seconds`,
 * unless something else has been copied since (it compares salted hashes, never the secret).
 */
export async function copyWithTimeout(tool: ClipboardTool, secret: Uint8Array, seconds: number): Promise<void> {
  // The clearer first: a Ctrl-C (or a crash) between the two then still clears the copy in time.
  const salt = randomBytes(16);
  const digest = createHash('sha256').update(salt).update(secret).digest('hex');
  const clearer = `
    const { spawnSync } = require('node:child_process');
    const { createHash } = require('node:crypto');
    let input = '';
    process.stdin.on('data', (d) => (input += d));
    process.stdin.on('end', () => {
      const [salt, digest, seconds, ...paste] = JSON.parse(input);
      setTimeout(() => {
        const now = spawnSync(paste[0], paste.slice(1), { timeout: 5000 });
        const same = now.status === 0 && createHash('sha256').update(Buffer.from(salt, 'hex')).update(now.stdout).digest('hex') === digest;
        if (same) spawnSync(${JSON.stringify(tool.copy[0])}, ${JSON.stringify(tool.copy.slice(1))}, { input: '', timeout: 5000, stdio: ['pipe', 'ignore', 'ignore'] });
      }, seconds * 1000);
    });`;
  const clearerChild = spawn(process.execPath, ['-e', clearer], { stdio: ['pipe', 'ignore', 'ignore'], detached: true });
  clearerChild.stdin.end(JSON.stringify([salt.toString('hex'), digest, seconds, ...tool.paste]));
  clearerChild.unref();
  await new Promise<void>((resolve, reject) => {
    // xclip keeps serving the selection after we return, so it runs detached with its own stdio.
    const child = spawn(tool.copy[0]!, tool.copy.slice(1), { stdio: ['pipe', 'ignore', 'ignore'], detached: true });
    child.on('error', (err) => reject(new BreakGlassError('CLIPBOARD_UNAVAILABLE', `${tool.name} failed to start`, {}, { cause: err })));
    child.stdin.end(Buffer.from(secret), () => resolve());
    child.unref();
  });
}
