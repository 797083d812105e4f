/**
 * The README's "A session, end to end" is docs/session.sh, shown whole: this test keeps the two
 * byte-identical and runs the script as the README says a reader can, with `breakglass` on PATH
 * (a link to bin/breakglass.js) in the private keychain, so the README cannot drift from the tool.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, symlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, tempDir } from '../../helpers/cli.js';
import { expectNoSecret } from './vault-state.js';

const ROOT = resolve(import.meta.dirname, '../../..');
const SCRIPT = join(ROOT, 'docs/session.sh');
const HEADING = '\n## A session, end to end\n';

/** The first fenced block of the README's session section, with its final line break. */
function readmeSessionBlock(): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf(HEADING);
  expect(start, 'README has the section "A session, end to end"').toBeGreaterThanOrEqual(0);
  const section = readme.slice(start + HEADING.length, readme.indexOf('\n## ', start + HEADING.length));
  const block = /^```bash\n([\s\S]*?\n)```$/m.exec(section);
  expect(block, 'the section has a ```bash block').not.toBeNull();
  return block![1]!;
}

/** The passphrases and the secret the script writes for its people, read from the script itself. */
function typedValues(script: string): string[] {
  const passphrase = /^for who in ([a-z ]+); do printf '%s([^']+)' "\$who" > "typed\/\$who"; done$/m.exec(script);
  const secret = /^printf '%s' '([^']+)' > typed\/prod-db-root$/m.exec(script);
  expect([passphrase, secret], 'the script writes its passphrases and its secret as this test expects').not.toContain(null);
  const values = [...passphrase![1]!.split(' ').map((who) => `${who}${passphrase![2]!}`), secret![1]!];
  // Each as written and in the encodings a leak could take.
  return values.flatMap((v) => [v, Buffer.from(v).toString('base64url'), Buffer.from(v).toString('hex')]);
}

/** Runs `bash docs/session.sh` in `cwd`; never throws on a non-zero exit. */
function runScript(cwd: string, env: NodeJS.ProcessEnv): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn('bash', [SCRIPT], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', reject);
    child.on('close', (code) =>
      resolvePromise({ status: code ?? -1, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }),
    );
  });
}

describe('the README session is docs/session.sh, and it runs', () => {
  const { dir, cleanup } = tempDir('bgv-readme-session-');

  beforeAll(() => {
    if (process.env['BREAKGLASS_KEYCHAIN_READY'] !== '1') throw new Error('run through `bash scripts/with-keychain.sh npx vitest run ...`');
  });
  afterAll(() => cleanup());

  it('the README shows docs/session.sh byte for byte', () => {
    expect(readmeSessionBlock()).toBe(readFileSync(SCRIPT, 'utf8'));
  });

  it('bash docs/session.sh exits 0: the reseal refused before the review, then done, the journal verified; no passphrase or secret in its output', async () => {
    const script = readFileSync(SCRIPT, 'utf8');
    const [bin, cwd, tmp] = ['bin', 'cwd', 'tmp'].map((name) => join(dir, name)) as [string, string, string];
    for (const d of [bin, cwd, tmp]) mkdirSync(d);
    // As the README says: `breakglass` on PATH, a link to bin/breakglass.js.
    symlinkSync(BIN, join(bin, 'breakglass'));
    const env = { ...process.env, PATH: `${bin}:${process.env['PATH'] ?? ''}`, TMPDIR: tmp, BREAKGLASS_HOME: undefined };

    const t = await runScript(cwd, env);
    const transcript = `--- stdout\n${t.stdout}\n--- stderr\n${t.stderr}`;
    expect(t.status, transcript).toBe(0);

    const out = t.stdout.split('\n');
    expect(out).toContain('sealed prod-db-root (prod DB root): 2 of 3 holders (alice, bob, carol)');
    expect(out).toContainEqual(
      expect.stringMatching(/^request req-[0-9a-f]{12} for prod-db-root \(access\): open, 2 of 2 approvals \(alice, bob\)$/),
    );
    expect(out).toContain('prod-db-root closed; it needs a signed review before it can be resealed');
    expect(t.stderr.split('\n')).toContain(
      'breakglass: REVIEW_REQUIRED: cannot reseal prod-db-root: a post-incident review must be signed first (breakglass review prod-db-root ...)',
    );
    expect(out).toContainEqual(expect.stringMatching(/^review rev-[0-9a-f]{12} signed by carol; now "breakglass reseal prod-db-root"$/));
    expect(out).toContain('prod-db-root resealed as version 2; old shares and approvals are void');
    // The last line: the crash cart's journal, verified against the genesis key its init gave.
    const genesis = /^crash cart: genesis key ([A-Za-z0-9_-]{43})$/m.exec(t.stdout)?.[1];
    expect(genesis, transcript).toBeDefined();
    // ... the key the approval screens showed for the vault's journal.
    expect(t.stderr).toContain(`genesis key ${genesis!.slice(0, 16)}…`);
    expect(out.at(-2)).toMatch(/^ok: \d+ entries verify \(journal j-[0-9a-f]{16}, epoch \d+, head [A-Za-z0-9_-]{43}\)$/);

    for (const [name, text] of Object.entries({ stdout: t.stdout, stderr: t.stderr })) expectNoSecret(text, typedValues(script), name);
    // Its working folder is removed, and nothing was left where it was started.
    expect([readdirSync(tmp), readdirSync(cwd)]).toEqual([[], []]);
  }, 180_000);
});
