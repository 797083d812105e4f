import { spawnSync } from 'node:child_process';

/**
 * Fails with one clear message when a system tool a test drives is not installed, naming the
 * Debian package (`.ci/run` installs them all), instead of a spawn error that surfaces elsewhere.
 */
export function requireTool(command: string, debianPackage: string): void {
  if (spawnSync('sh', ['-c', 'command -v "$1"', 'sh', command], { stdio: 'ignore' }).status !== 0) {
    throw new Error(`this test needs ${command}, which is not on PATH: install the Debian package ${debianPackage} (.ci/run does)`);
  }
}
