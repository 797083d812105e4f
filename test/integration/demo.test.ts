import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/cli.js';

/** The compiled demo (npm test builds first); it drives the real CLI on simulated laptops. */
const DEMO = resolve(import.meta.dirname, '../../dist/scripts/demo.js');

interface DemoRun {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

function runDemo(env: NodeJS.ProcessEnv): Promise<DemoRun> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [DEMO], {
      env: { ...process.env, BREAKGLASS_HOME: undefined, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', fail);
    child.on('close', (code) => done({ status: code ?? -1, stdout, stderr }));
  });
}

/** The transcript cut into one block per command: its `$ breakglass ...` line and what follows. */
function commandBlocks(stdout: string): { command: string; body: string }[] {
  return stdout
    .split(/^(?=\$ breakglass )/m)
    .filter((b) => b.startsWith('$ breakglass '))
    .map((b) => ({ command: b.slice(2, b.indexOf('\n')), body: b }));
}

describe('npm run demo (scripts/demo.ts): the whole story with the real CLI and keychain', () => {
  // The demo makes its laptops under TMPDIR; a private one shows that it removes them.
  const tmp = tempDir('bgv-demo-test-');
  let run: DemoRun;
  let blocks: { command: string; body: string }[];
  const blocksFor = (prefix: string) => blocks.filter((b) => b.command.startsWith(prefix));

  beforeAll(async () => {
    run = await runDemo({ TMPDIR: tmp.dir });
    blocks = commandBlocks(run.stdout);
  }, 120_000);
  afterAll(() => tmp.cleanup());

  it('exits 0, says every step ended as expected, and removes its temporary laptops', () => {
    expect(run.status, `${run.stdout}\n--- stderr\n${run.stderr}`).toBe(0);
    expect(run.stdout).toMatch(/^Demo complete: all \d+ commands ended as the story expects/m);
    expect(run.stdout).not.toContain('DEMO FAILED');
    expect(readdirSync(tmp.dir)).toEqual([]);
    // Not a terminal: no colour codes.
    expect(run.stdout).not.toContain('\x1b[');
  });

  it('refuses the early reseal with exit status 3 and REVIEW_REQUIRED, then reseals after the review', () => {
    const reseals = blocksFor('breakglass reseal prod-db-root');
    expect(reseals).toHaveLength(2);
    expect(reseals[0]!.body).toContain('breakglass: REVIEW_REQUIRED: cannot reseal prod-db-root');
    expect(reseals[0]!.body).toContain('[exit status 3]');
    expect(reseals[1]!.body).toContain('prod-db-root resealed as version 2');
    const order = blocks.map((b) => b.command.split(' ').slice(1, 3).join(' '));
    const firstReseal = order.indexOf('reseal prod-db-root');
    expect(order.indexOf('close prod-db-root')).toBeGreaterThan(firstReseal);
    expect(order.indexOf('review prod-db-root')).toBeGreaterThan(order.indexOf('close prod-db-root'));
    expect(order.lastIndexOf('reseal prod-db-root')).toBeGreaterThan(order.indexOf('review prod-db-root'));
  });

  it('verifies the journal on every machine, and the export as a third party pinned to the genesis key from setup', () => {
    const local = blocksFor('breakglass journal verify').filter((b) => !b.command.includes('--file'));
    expect(local).toHaveLength(5);
    for (const b of local) expect(b.body).toMatch(/^ {2}ok: \d+ entries verify \(journal j-/m);
    const thirdParty = blocksFor('breakglass journal verify --file');
    expect(thirdParty).toHaveLength(1);
    expect(thirdParty[0]!.body).toMatch(/^ {2}ok: \d+ entries verify/m);
    const genesisAtSetup = /genesis key (\S+)/.exec(blocksFor("breakglass init --name 'crash cart'")[0]!.body)?.[1];
    expect(genesisAtSetup).toBeDefined();
    expect(thirdParty[0]!.command).toContain(`--genesis-key ${genesisAtSetup}`);
    // The export verifies to the same head as the crash cart's own journal.
    const head = (body: string) => /head (\S+)\)/.exec(body)?.[1];
    expect(head(thirdParty[0]!.body)).toBe(head(local[0]!.body));
  });

  it("unseals with one in-person and one remote approval, and shows both sides of Bob's cross-reference", () => {
    const requestId = /request (req-\S+) for prod-db-root/.exec(run.stdout)?.[1];
    expect(requestId).toBeDefined();
    expect(blocksFor(`breakglass approve ${requestId} --holder alice`)[0]!.body).toContain('1 of 2 approvals (alice)');
    expect(blocksFor('breakglass approve --yes --bundle bundle-bob.json')[0]!.body).toContain('approval written to approval-bob.json');
    expect(blocksFor('breakglass approval import approval-bob.json')[0]!.body).toContain('2 of 2 approvals (alice, bob)');
    const shows = blocksFor('breakglass journal show');
    expect(shows).toHaveLength(2);
    const [vaultJournal, bobJournal] = [shows[0]!.body, shows[1]!.body];
    expect(vaultJournal).toMatch(new RegExp(`approval\\.accept +alice -> prod-db-root +${requestId}`));
    expect(vaultJournal).toMatch(new RegExp(`approval\\.accept +bob -> prod-db-root +${requestId}`));
    expect(vaultJournal).toMatch(/review\.sign +carol -> prod-db-root/);
    expect(vaultJournal).toMatch(/credential\.reseal +carol -> prod-db-root +v2/);
    const cartVaultId = /journal\.genesis +vault -> (v-\S+)/.exec(vaultJournal)?.[1];
    expect(cartVaultId).toBeDefined();
    expect(bobJournal).toMatch(
      new RegExp(
        `approval\\.give +bob -> prod-db-root +${requestId} at vault ${cartVaultId}, whose journal was then at seq \\d+, hash \\S+$`,
        'm',
      ),
    );
    // Bob's laptop gave the approval; only the crash cart accepted one.
    expect(bobJournal).not.toMatch(/^ +\d+ .* approval\.accept /m);
  });

  it('shows the demo secret only where it is revealed, and never a passphrase', () => {
    const reveal = blocksFor('breakglass unseal ')[0]!.body;
    const secret = /^ {2}(demo-only-\S+)$/m.exec(reveal)?.[1];
    expect(secret).toBeDefined();
    expect(run.stdout.split(secret!).length - 1).toBe(1);
    expect(run.stdout).toContain('(checked: the revealed secret is exactly the one sealed in step 1)');
    expect(run.stdout).toMatch(/\(checked: none of the \d+ files on these machines holds the secret or a passphrase in plain text\)/);
    // The demo's passphrases all end in this phrase; only the note that one was typed is printed.
    expect(run.stdout + run.stderr).not.toContain('correct horse battery staple');
    for (const b of blocks.filter((x) => x.command.includes('--passphrase-file'))) {
      expect(b.body).toMatch(/\((Alice|Bob|Carol|Dave) types a passphrase;/);
    }
    expect(blocksFor('breakglass seal ')[0]!.command).toContain('--secret-file -');
  });
});

describe('the demo as a check', () => {
  it('exits 1 naming the step whose exit status differs from the story (here: no keychain reachable), and cleans up', async () => {
    const tmp = tempDir('bgv-demo-test-');
    try {
      const r = await runDemo({ TMPDIR: tmp.dir, DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/bus' });
      expect(r.status, r.stdout).toBe(1);
      expect(r.stdout).toContain('KEYCHAIN_UNAVAILABLE');
      expect(r.stdout).toMatch(
        /^DEMO FAILED: breakglass init --name crash cart on the crash cart \(vault laptop\): expected exit status 0, got 5$/m,
      );
      expect(readdirSync(tmp.dir)).toEqual([]);
    } finally {
      tmp.cleanup();
    }
  });

  it('refuses to run outside a private keychain session, before creating anything', async () => {
    const tmp = tempDir('bgv-demo-test-');
    try {
      const r = await runDemo({ TMPDIR: tmp.dir, BREAKGLASS_KEYCHAIN_READY: undefined });
      expect(r.status).toBe(5);
      expect(r.stderr).toContain('npm run demo');
      expect(r.stdout).toBe('');
      expect(readdirSync(tmp.dir)).toEqual([]);
    } finally {
      tmp.cleanup();
    }
  });
});
