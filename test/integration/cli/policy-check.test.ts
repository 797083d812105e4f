/**
 * `policy check FILE...`, the CI gate: each problem as FILE:LINE:COLUMN: PATH: message, several files
 * in one run, the hash `policy set` journals, and with --vault the members not enrolled there. Without
 * --vault it opens no database and no keychain, and it runs where the native modules are not built.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, realpathSync, symlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectStatus, run, tempDir, vaultInUse } from '../../helpers/cli.js';
import { buildWorld, examplePolicy, type World } from '../../helpers/world.js';
import { expectUnchanged, journal, jsonError, jsonOk, snapshot } from './vault-state.js';

const ROOT = resolve(import.meta.dirname, '../../..');
const lines = (text: string): string[] => text.split('\n').filter(Boolean);

/** A policy in JSON: `db` lacks its request expiry, and bob requests it without the requester role. */
const BAD_JSON = `{
  "version": 1,
  "triggers": { "outage": "WAN down" },
  "members": { "alice": ["holder", "reviewer"], "bob": ["holder"] },
  "credentials": {
    "db": { "holders": ["alice", "bob"], "threshold": 2, "triggers": ["outage"], "requesters": ["bob"], "unseal_minutes": 30 }
  }
}
`;
const BAD_JSON_PROBLEMS = [
  // A missing key: at the mapping that lacks it.
  { path: 'credentials.db.request_expiry_minutes', message: 'required', line: 6, column: 5 },
  {
    path: 'credentials.db.requesters[0]',
    message: 'member "bob" lacks the requester role: add requester to members.bob',
    line: 6,
    column: 97,
  },
];
/** The example policy with a threshold of 1 (line 15 of docs/policy.example.yaml). */
const BAD_YAML = examplePolicy({ 'threshold: 2': 'threshold: 1' });
const BAD_YAML_PROBLEM = {
  path: 'credentials.prod-db-root.threshold',
  message: 'must be at least 2: no single holder may open a credential alone',
  line: 15,
  column: 5,
};
const HASH = /^[A-Za-z0-9_-]{43}$/;

describe('policy check FILE...', () => {
  let world: World;
  /** No vault folder and no Secret Service: a check without --vault needs neither. */
  let pure: NodeJS.ProcessEnv;
  let noVault: string;

  beforeAll(async () => {
    world = await buildWorld({ seal: false });
    noVault = join(world.root, 'no-vault-here');
    pure = { BREAKGLASS_HOME: noVault, DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent' };
  }, 120_000);
  afterAll(() => world?.cleanup());

  it('one file: each problem as FILE:LINE:COLUMN: PATH: message (YAML and JSON), exit 2; --json keeps them with line and column', async () => {
    const yaml = world.file('bad.yaml', BAD_YAML);
    const json = world.file('bad.json', BAD_JSON);
    const t = await run(['policy', 'check', yaml], { env: pure });
    expect({ status: t.status, stdout: t.stdout, stderr: lines(t.stderr) }).toEqual({
      status: 2,
      stdout: '',
      stderr: [
        `${yaml}:15:5: credentials.prod-db-root.threshold: must be at least 2: no single holder may open a credential alone`,
        `breakglass: POLICY_INVALID: 1 problem(s) in ${yaml}`,
      ],
    });
    const j = await run(['policy', 'check', json], { env: pure });
    expect({ status: j.status, stdout: j.stdout, stderr: lines(j.stderr) }).toEqual({
      status: 2,
      stdout: '',
      stderr: [
        `${json}:6:5: credentials.db.request_expiry_minutes: required`,
        `${json}:6:97: credentials.db.requesters[0]: member "bob" lacks the requester role: add requester to members.bob`,
        `breakglass: POLICY_INVALID: 2 problem(s) in ${json}`,
      ],
    });
    const error = jsonError(await run(['--json', 'policy', 'check', json], { env: pure }), 2);
    expect(error).toEqual({
      code: 'POLICY_INVALID',
      message: `2 problem(s) in ${json}`,
      details: { problems: BAD_JSON_PROBLEMS, files: [{ file: json, ok: false, problems: BAD_JSON_PROBLEMS }] },
    });
    // Pure: no vault folder was made, and no Secret Service was there to be asked.
    expect(existsSync(noVault)).toBe(false);
  });

  it('several files: a line for each, the others checked past a bad or unreadable one; exit 2 saying how many failed', async () => {
    const good = world.file('good.yaml', examplePolicy());
    const yaml = world.file('bad-2.yaml', BAD_YAML);
    const json = world.file('bad-2.json', BAD_JSON);
    const missing = join(world.root, 'missing.yaml');
    const folder = join(world.root, 'a-folder.yaml');
    mkdirSync(folder);
    const t = await run(['policy', 'check', good, yaml, missing, folder, json], { env: pure });
    expect(t.status).toBe(2);
    expect(lines(t.stdout)).toEqual([expect.stringMatching(new RegExp(`^${good}: ok \\(1 credential\\(s\\)\\), hash [A-Za-z0-9_-]{43}$`))]);
    expect(lines(t.stderr)).toEqual([
      `${yaml}:15:5: credentials.prod-db-root.threshold: must be at least 2: no single holder may open a credential alone`,
      `${missing}: BAD_INPUT: cannot read the policy from ${missing} (no such file)`,
      `${folder}: BAD_INPUT: cannot read the policy from ${folder} (it is a folder)`,
      `${json}:6:5: credentials.db.request_expiry_minutes: required`,
      `${json}:6:97: credentials.db.requesters[0]: member "bob" lacks the requester role: add requester to members.bob`,
      `breakglass: POLICY_INVALID: 4 of 5 policy files failed: ${yaml}, ${missing}, ${folder}, ${json}`,
    ]);
    const error = jsonError(await run(['--json', 'policy', 'check', good, yaml, missing, folder, json], { env: pure }), 2);
    expect(error).toMatchObject({ code: 'POLICY_INVALID', message: `4 of 5 policy files failed: ${yaml}, ${missing}, ${folder}, ${json}` });
    expect(error.details['files']).toEqual([
      { file: good, ok: true, credentials: ['prod-db-root'], hash: expect.stringMatching(HASH) },
      { file: yaml, ok: false, problems: [BAD_YAML_PROBLEM] },
      { file: missing, ok: false, error: { code: 'BAD_INPUT', message: `cannot read the policy from ${missing} (no such file)` } },
      { file: folder, ok: false, error: { code: 'BAD_INPUT', message: `cannot read the policy from ${folder} (it is a folder)` } },
      { file: json, ok: false, problems: BAD_JSON_PROBLEMS },
    ]);
    // A member card among them is named for what it is, and the policy after it is still checked.
    const card = join(world.root, 'alice.card');
    const foreign = jsonError(await run(['--json', 'policy', 'check', card, good], { env: pure }), 2);
    expect(foreign.message).toBe(`1 of 2 policy files failed: ${card}`);
    expect(foreign.details['files']).toEqual([
      {
        file: card,
        ok: false,
        error: { code: 'FOREIGN_INPUT', message: expect.stringMatching(/^this is the member card of alice, not a policy; /) },
      },
      { file: good, ok: true, credentials: ['prod-db-root'], hash: expect.stringMatching(HASH) },
    ]);
    // All good: exit 0, a line each. One file that cannot be read keeps its own code, as any command says it.
    const both = expectStatus(await run(['policy', 'check', good, good], { env: pure }), 0, 'two good files');
    expect(lines(both.stdout)).toHaveLength(2);
    expect(jsonError(await run(['--json', 'policy', 'check', missing], { env: pure }), 2)).toMatchObject({
      code: 'BAD_INPUT',
      message: `cannot read the policy from ${missing} (no such file)`,
    });
    expect(jsonError(await run(['--json', 'policy', 'check'], { env: pure }), 2)).toMatchObject({
      code: 'BAD_ARGUMENTS',
      message: 'missing FILE; usage: breakglass policy check [--vault DIR] FILE...',
    });
    expect(existsSync(noVault)).toBe(false);
  });

  it('--vault: a member the policy names who is not enrolled there is refused at its line and path, exit 2; the vault unchanged', async () => {
    // erin holds and reviews, but no card of hers was ever added at the vault laptop.
    const text = examplePolicy({
      'dave: [requester]': 'dave: [requester]\n  erin: [holder, reviewer]',
      'holders: [alice, bob, carol]': 'holders: [alice, bob, erin]',
    });
    const file = world.file('erin.yaml', text);
    // Without --vault the policy is valid: only the vault knows who is enrolled.
    expectStatus(await run(['policy', 'check', file], { env: pure }), 0, 'check without --vault');
    const before = await snapshot(world.vault.vault);
    // A read-only look at the members: SQLite, but no keychain (none is reachable here).
    const t = await run(['--vault', world.vault.vault, 'policy', 'check', file], {
      env: { DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent' },
    });
    const message = `member "erin" (holder, reviewer) is not enrolled at the vault ${world.vault.vault}: enrol their card there first, or take them out of the policy`;
    expect({ status: t.status, stdout: t.stdout, stderr: lines(t.stderr) }).toEqual({
      status: 2,
      stdout: '',
      stderr: [
        `${file}:12:3: members.erin: ${message}`,
        `breakglass: POLICY_INVALID: 1 problem(s) in ${file}`,
        vaultInUse('crash cart', world.vault.vault).trimEnd(),
      ],
    });
    const error = jsonError(await world.vault.run(['--json', 'policy', 'check', file]), 2);
    expect(error.details['problems']).toEqual([{ path: 'members.erin', message, line: 12, column: 3 }]);
    await expectUnchanged(world.vault.vault, before);
    // --vault naming a folder that holds no vault: said, and nothing is made there.
    const empty = join(world.root, 'not-a-vault');
    expect(jsonError(await run(['--json', '--vault', empty, 'policy', 'check', file]), 2)).toMatchObject({ code: 'NOT_INITIALIZED' });
    expect(existsSync(empty)).toBe(false);
  });

  it('success: the hash printed is the one policy set journals, with or without --vault', async () => {
    const file = world.file('shorter.yaml', examplePolicy({ 'unseal_minutes: 30 # the unseal window': 'unseal_minutes: 20' }));
    const pureCheck = jsonOk<{ file: string; hash: string; credentials: string[] }>(
      await run(['--json', 'policy', 'check', file], { env: pure }),
    );
    expect(pureCheck).toMatchObject({ file, credentials: ['prod-db-root'], hash: expect.stringMatching(HASH) });
    const t = expectStatus(await world.vault.run(['policy', 'check', file]), 0, 'check with --vault');
    expect(t.stdout).toBe(`${file}: ok (1 credential(s); every member enrolled at ${world.vault.vault}), hash ${pureCheck.hash}\n`);
    const set = jsonOk<{ hash: string }>(await world.vault.run(['--json', 'policy', 'set', file]));
    expect(set.hash).toBe(pureCheck.hash);
    expect(journal(world.vault.vault).findLast((e) => e.kind === 'policy.set')?.data['hash']).toBe(pureCheck.hash);
  });

  it('the CI recipe: it runs where better-sqlite3 and keytar are not installed (a copy of the CLI whose node_modules lack them)', async () => {
    const { dir, cleanup } = tempDir('bgv-ci-');
    try {
      // The built CLI and its package.json, and every dependency but the native modules and their loaders.
      cpSync(join(ROOT, 'bin'), join(dir, 'bin'), { recursive: true });
      cpSync(join(ROOT, 'dist', 'src'), join(dir, 'dist', 'src'), { recursive: true });
      cpSync(join(ROOT, 'package.json'), join(dir, 'package.json'));
      const modules = realpathSync(join(ROOT, 'node_modules'));
      mkdirSync(join(dir, 'node_modules'));
      const native = ['better-sqlite3', 'keytar', 'bindings', 'prebuild-install'];
      for (const name of readdirSync(modules)) {
        if (!native.includes(name) && !name.startsWith('.')) symlinkSync(join(modules, name), join(dir, 'node_modules', name));
      }
      const node = (args: string[]): { status: number | null; stdout: string; stderr: string } =>
        spawnSync(process.execPath, args, { cwd: dir, encoding: 'utf8', env: { ...process.env, ...pure } });
      // The copy really lacks them.
      for (const name of native.slice(0, 2)) {
        expect(node(['--input-type=module', '-e', `await import('${name}')`]).stderr, name).toContain(`Cannot find package '${name}'`);
      }
      const good = world.file('ci-good.yaml', examplePolicy());
      const bad = world.file('ci-bad.json', BAD_JSON);
      const ok = node(['bin/breakglass.js', 'policy', 'check', good]);
      const reference = jsonOk<{ hash: string }>(await run(['--json', 'policy', 'check', good], { env: pure }));
      expect({ status: ok.status, stdout: ok.stdout, stderr: ok.stderr }).toEqual({
        status: 0,
        stdout: `${good}: ok (1 credential(s)), hash ${reference.hash}\n`,
        stderr: '',
      });
      const failed = node(['bin/breakglass.js', 'policy', 'check', good, bad]);
      expect(failed.status).toBe(2);
      expect(lines(failed.stderr)).toEqual([
        `${bad}:6:5: credentials.db.request_expiry_minutes: required`,
        `${bad}:6:97: credentials.db.requesters[0]: member "bob" lacks the requester role: add requester to members.bob`,
        `breakglass: POLICY_INVALID: 1 of 2 policy files failed: ${bad}`,
      ]);
      // A command that does open a vault says what is missing, not that there is no vault.
      const opened = node(['bin/breakglass.js', '--vault', world.vault.vault, 'list']);
      expect({ status: opened.status, stderr: opened.stderr }).toEqual({
        status: 5,
        stderr:
          'breakglass: IO_ERROR: the SQLite module (better-sqlite3) is not installed or not built for this Node, so no vault can be opened here; run "npm ci" (or "npm rebuild better-sqlite3") in the breakglass folder\n',
      });
    } finally {
      cleanup();
    }
  });
});
