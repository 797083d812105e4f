import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { expectStatus, laptop, tempDir, type Laptop } from './cli.js';

/** The example policy from DESIGN.md, with optional changes (YAML text replacements). */
export function examplePolicy(replace: Record<string, string> = {}): string {
  let text = readFileSync(resolve(import.meta.dirname, '../../docs/policy.example.yaml'), 'utf8');
  for (const [from, to] of Object.entries(replace)) {
    if (!text.includes(from)) throw new Error(`example policy has no "${from}"`);
    text = text.replace(from, to);
  }
  return text;
}

/**
 * The example policy plus the two credentials of the refusal tests (CLI and app): `quick-expiry`, whose request expiry is `quickMinutes`
 * (made short for the expiry tests), and `ops-root`, which dave both requests and holds.
 */
export function refusalPolicy(quickMinutes: string | number): string {
  return examplePolicy({
    'dave: [requester]': 'dave: [requester, holder]',
    'drills:': `  quick-expiry:
    holders: [alice, bob, carol]
    threshold: 2
    triggers: [network-outage]
    requesters: [dave]
    unseal_minutes: 30
    request_expiry_minutes: ${quickMinutes}
  ops-root:
    holders: [alice, bob, dave]
    threshold: 2
    triggers: [network-outage]
    requesters: [dave]
    unseal_minutes: 30
    request_expiry_minutes: 15
drills:`,
  });
}

/**
 * The cast of DESIGN.md on simulated laptops: a vault laptop, and one laptop per member with their
 * keys in the (real, private) keychain. Every member is enrolled at the vault with a custody copy.
 */
/**
 * The words of `breakglass request ...`, in the order of its usage line: by default for prod-db-root
 * by dave, the requester of every test world.
 */
export function requestArgs(
  opts: { credential?: string; trigger?: string; reason?: string; incident?: string; requester?: string } = {},
): string[] {
  return [
    'request',
    '--credential',
    opts.credential ?? 'prod-db-root',
    '--trigger',
    opts.trigger ?? 'network-outage',
    '--reason',
    opts.reason ?? 'WAN down, IdP unreachable',
    '--incident',
    opts.incident ?? 'INC-4711',
    '--requester',
    opts.requester ?? 'dave',
  ];
}

/** `review` of prod-db-root by carol, the reviewer of every test world: warranted, with its evidence. */
export function reviewArgs(summary: string, changes: string, ...more: string[]): string[] {
  return ['review', 'prod-db-root', '--reviewer', 'carol', '--warranted', 'yes', '--summary', summary, '--changes', changes, ...more];
}

export interface World {
  readonly root: string;
  readonly vault: Laptop;
  readonly laptops: Record<string, Laptop>;
  readonly secret: string;
  cleanup(): void;
  /** Opens a request as dave and returns its id. */
  request(options?: { trigger?: string }): Promise<string>;
  /** Writes a file in the world's folder and returns its path. */
  file(name: string, content: string | Buffer): string;
}

/** Builds a world with a sealed `prod-db-root` under the example policy (optionally changed). */
export async function buildWorld(options: { policy?: string; members?: readonly string[]; seal?: boolean } = {}): Promise<World> {
  const { dir, cleanup } = tempDir();
  const members = options.members ?? ['alice', 'bob', 'carol', 'dave'];
  const vault = laptop(dir, 'vault-laptop');
  const laptops: Record<string, Laptop> = {};
  const file = (name: string, content: string | Buffer): string => {
    const path = join(dir, name);
    writeFileSync(path, content, { mode: 0o600 });
    return path;
  };
  expectStatus(await vault.run(['init', '--name', 'crash cart']), 0, 'init vault');
  for (const m of members) {
    const l = laptop(dir, `laptop-${m}`);
    laptops[m] = l;
    expectStatus(await l.run(['init', '--name', `${m}'s laptop`]), 0, `init ${m}`);
    expectStatus(
      await l.run(['member', 'create', '--id', m, '--name', m[0]!.toUpperCase() + m.slice(1), '--out', join(dir, `${m}.card`)], {
        passphraseOf: m,
      }),
      0,
      `member create ${m}`,
    );
    expectStatus(
      await l.run(['member', 'export-key', '--id', m, '--out', join(dir, `${m}.custody`)], { passphraseOf: m }),
      0,
      `export-key ${m}`,
    );
    expectStatus(await vault.run(['member', 'add', join(dir, `${m}.card`), '--custody', join(dir, `${m}.custody`)]), 0, `member add ${m}`);
  }
  expectStatus(await vault.run(['policy', 'set', file('policy.yaml', options.policy ?? examplePolicy())]), 0, 'policy set');
  const secret = 'S3cr3t-root-pw-7f1c9e';
  if (options.seal !== false) {
    expectStatus(
      await vault.run(['seal', '--credential', 'prod-db-root', '--label', 'prod DB root', '--secret-file', '-'], { stdin: secret }),
      0,
      'seal',
    );
  }
  return {
    root: dir,
    vault,
    laptops,
    secret,
    cleanup,
    file,
    async request(opts = {}) {
      const t = expectStatus(
        await vault.run(['--json', ...requestArgs(opts.trigger === undefined ? {} : { trigger: opts.trigger })], { passphraseOf: 'dave' }),
        0,
        'request',
      );
      return t.json<{ request: string }>().request;
    },
  };
}
