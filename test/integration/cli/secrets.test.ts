/**
 * Secrets stay sealed: after a full story with a reveal, an export to a file, refusals and a rotation,
 * no byte of any file under the world's folder (vault databases, journal export, bundles, approvals,
 * cards, custody files) and no line of any CLI output holds the secret, its base64 or hex, or a
 * member's passphrase. Only the explicit --out file, the --reveal output and the passphrase files
 * the test itself wrote as input may hold them, and the scan proves it can see them there.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PASSPHRASES, expectStatus, recordTranscripts, type RecordedRun } from '../../helpers/cli.js';
import { buildWorld, requestArgs, reviewArgs, type World } from '../../helpers/world.js';
import { expectSecretEqual, journal, jsonOk } from './vault-state.js';

const ROTATED = 'rotated-root-pw-after-INC-4711-d41e';
const WRONG_PASSPHRASE = 'carol wrong horse battery staple';

/** Every file below `dir`, recursively. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = join(dir, d.name);
    return d.isDirectory() ? filesUnder(p) : d.isFile() ? [p] : [];
  });
}

/** Each secret value in the forms it could leak in: as is, base64, base64url and hex. */
function needlesFor(values: Record<string, string>): { name: string; bytes: Buffer }[] {
  return Object.entries(values).flatMap(([name, value]) => {
    const raw = Buffer.from(value, 'utf8');
    return [
      { name, bytes: raw },
      { name: `${name} (base64)`, bytes: Buffer.from(raw.toString('base64').replace(/=+$/, '')) },
      { name: `${name} (base64url)`, bytes: Buffer.from(raw.toString('base64url')) },
      { name: `${name} (hex)`, bytes: Buffer.from(raw.toString('hex')) },
      { name: `${name} (HEX)`, bytes: Buffer.from(raw.toString('hex').toUpperCase()) },
    ];
  });
}

describe('no secret, share or passphrase leaks into files or output', () => {
  let world: World;
  const recorder = recordTranscripts();
  let outFile = '';
  let wrongPassphraseFile = '';
  let exportFile = '';

  beforeAll(async () => {
    world = await buildWorld();
    const { vault, laptops } = world;
    const path = (name: string): string => join(world.root, name);

    const req = await world.request();
    const bundle = jsonOk<{ code: string }>(
      await vault.run(['--json', 'request', 'export', req, '--holder', 'bob', '--out', path('bob.bundle')]),
    );
    const approval = jsonOk<{ code: string }>(
      await laptops['bob']!.run(['--json', 'approve', '--yes', '--bundle', bundle.code, '--out', path('bob.approval')], {
        passphraseOf: 'bob',
      }),
    );
    expectStatus(await vault.run(['approval', 'import', approval.code]), 0, 'import');
    expectStatus(await vault.run(['approve', req, '--holder', 'alice', '--yes'], { passphraseOf: 'alice' }), 0, 'approve alice');
    expectStatus(await vault.run(['unseal', req]), 0, 'unseal');
    const reveal = expectStatus(await vault.run(['unseal', req, '--reveal']), 0, 'reveal');
    expectSecretEqual(reveal.stdout, `${world.secret}\n`, 'stdout of --reveal');
    outFile = path('secret.out');
    expectStatus(await vault.run(['unseal', req, '--out', outFile]), 0, 'unseal --out');
    expectStatus(await vault.run(['unseal', req, '--out', outFile]), 2, 'unseal --out again');
    expectStatus(await vault.run(['--json', 'unseal', req]), 0, 'unseal --json');
    expectStatus(await vault.run(['reseal', 'prod-db-root']), 3, 'early reseal');
    expectStatus(await vault.run(['close', 'prod-db-root']), 0, 'close');
    expectStatus(await vault.run(['unseal', req, '--reveal']), 3, 'reveal after close');

    const review = reviewArgs('restarted the primary', 'rotated the root password', '--rotated-secret-file', '-');
    wrongPassphraseFile = world.file('wrong-carol.pw', WRONG_PASSPHRASE);
    expectStatus(await vault.run(['--passphrase-file', wrongPassphraseFile, ...review], { stdin: ROTATED }), 3, 'review, wrong passphrase');
    expectStatus(await vault.run(review, { stdin: ROTATED, passphraseOf: 'carol' }), 0, 'review');
    expectStatus(await vault.run(['reseal', 'prod-db-root']), 0, 'reseal');
    expectStatus(
      await vault.run(['shares', 'check', '--credential', 'prod-db-root', '--holder', 'bob'], { passphraseOf: 'bob' }),
      0,
      'shares check',
    );
    expectStatus(
      await vault.run(['--json', ...requestArgs({ reason: 'r', incident: 'i', requester: 'alice' })], { passphraseOf: 'alice' }),
      3,
      'forbidden requester',
    );

    for (const args of [
      ['list'],
      ['--json', 'list'],
      ['member', 'list'],
      ['policy', 'show'],
      ['journal', 'show'],
      ['--json', 'journal', 'show'],
    ]) {
      expectStatus(await vault.run(args), 0, args.join(' '));
    }
    expectStatus(await vault.run(['journal', 'verify']), 0, 'journal verify');
    expectStatus(await laptops['bob']!.run(['journal', 'show']), 0, "journal show on bob's laptop");
    exportFile = path('vault-journal.jsonl');
    expectStatus(await vault.run(['journal', 'export', '--out', exportFile]), 0, 'journal export');
    recorder.stop();
  }, 180_000);
  afterAll(() => world?.cleanup());

  const values = (): Record<string, string> => ({
    secret: world.secret,
    'rotated secret': ROTATED,
    'wrong passphrase': WRONG_PASSPHRASE,
    ...Object.fromEntries(['alice', 'bob', 'carol', 'dave'].map((m) => [`passphrase of ${m}`, PASSPHRASES[m]!])),
  });

  it('no file under the world folder holds a secret or passphrase, except the --out file and the passphrase inputs', () => {
    const needles = needlesFor(values());
    const files = filesUnder(world.root);
    const inputs = (f: string): boolean => f === outFile || f === wrongPassphraseFile || basename(f).startsWith('.pw-');
    const scanned = files.filter((f) => !inputs(f));
    // The scan covers what matters: every machine's database, the journal export, the documents.
    const names = scanned.map((f) => relative(world.root, f));
    for (const expected of [
      'vault-laptop/vault.db',
      'laptop-alice/vault.db',
      'laptop-bob/vault.db',
      'laptop-carol/vault.db',
      'laptop-dave/vault.db',
      'vault-journal.jsonl',
      'bob.bundle',
      'bob.approval',
      'bob.card',
      'bob.custody',
      'policy.yaml',
    ]) {
      expect(names).toContain(expected);
    }
    const leaks: string[] = [];
    for (const f of scanned) {
      const bytes = readFileSync(f);
      for (const n of needles) if (bytes.includes(n.bytes)) leaks.push(`${relative(world.root, f)}: ${n.name}`);
    }
    expect(leaks).toEqual([]);

    // The scan can see a secret where one is meant to be: positive controls.
    expect(readFileSync(outFile).includes(Buffer.from(world.secret))).toBe(true);
    expect(statSync(outFile).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(world.root, '.pw-carol')).includes(Buffer.from(PASSPHRASES['carol']!))).toBe(true);
  });

  it('no output of any command holds a secret or passphrase, except the stdout of --reveal', () => {
    const needles = needlesFor(values()).map((n) => ({ name: n.name, text: n.bytes.toString('utf8') }));
    const runs: readonly RecordedRun[] = recorder.runs;
    // buildWorld's runs, the story and the read commands: everything went through the recorder.
    expect(runs.length).toBeGreaterThan(35);
    const reveals = runs.filter((r) => r.args.includes('--reveal') && r.transcript.status === 0);
    expect(reveals).toHaveLength(1);
    expectSecretEqual(reveals[0]!.transcript.stdout, `${world.secret}\n`, 'stdout of --reveal');
    const leaks: string[] = [];
    for (const r of runs) {
      const streams = reveals.includes(r) ? { stderr: r.transcript.stderr } : { stdout: r.transcript.stdout, stderr: r.transcript.stderr };
      for (const [stream, text] of Object.entries(streams)) {
        for (const n of needles) if (text.includes(n.text)) leaks.push(`breakglass ${r.args.join(' ')} (${stream}): ${n.name}`);
      }
    }
    expect(leaks).toEqual([]);
  });

  it('the journal export is JSON Lines of every entry and holds no secret', () => {
    const lines = readFileSync(exportFile, 'utf8').split('\n').filter(Boolean);
    expect(lines).toHaveLength(journal(world.vault.vault).length);
    const kinds = lines.map((l) => (JSON.parse(l) as { entry: { kind: string } }).entry.kind);
    for (const k of ['credential.unseal', 'credential.reveal', 'credential.export', 'review.sign', 'credential.reseal', 'access.refused'])
      expect(kinds).toContain(k);
    for (const n of needlesFor(values()))
      expect(
        lines.filter((l) => l.includes(n.bytes.toString('utf8'))),
        n.name,
      ).toEqual([]);
  });
});
