// `breakglass ui --demo`: a fresh demo world in a temporary folder, built with the vault's own use
// cases: a vault laptop (the crash cart) and one laptop per member, a policy and a sealed credential.
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  VaultSession,
  addMember,
  createMember,
  exportCustody,
  sealCredential,
  setPolicy,
  type SecretStoreFactory,
} from '../vault/index.js';

/** The demo's members; their passphrases follow one published pattern, because this is a demo. */
export const DEMO_MEMBERS = ['alice', 'bob', 'carol', 'dave'] as const;

/** A demo member's passphrase: "<id> demo passphrase" (the README says so; nothing real uses it). */
export const demoPassphrase = (member: string): string => `${member} demo passphrase`;

const EXAMPLE_POLICY = resolve(import.meta.dirname, '../../../docs/policy.example.yaml');

/** What the demo built: the crash cart's vault folder and each member's laptop folder. */
export interface DemoWorld {
  readonly root: string;
  readonly vault: string;
  readonly laptops: Readonly<Record<string, string>>;
}

async function init(dir: string, name: string, secretStore: SecretStoreFactory): Promise<VaultSession> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return VaultSession.init(dir, name, secretStore);
}

/** Builds the demo world: every member enrolled at the crash cart (Bob without a custody copy). */
export async function buildDemoWorld(secretStore: SecretStoreFactory): Promise<DemoWorld> {
  const root = mkdtempSync(join(tmpdir(), 'breakglass-demo-'));
  const vaultDir = join(root, 'crash-cart');
  const cart = await init(vaultDir, 'crash cart', secretStore);
  const laptops: Record<string, string> = {};
  try {
    for (const id of DEMO_MEMBERS) {
      const dir = join(root, `laptop-${id}`);
      laptops[id] = dir;
      const own = await init(dir, `${id}'s laptop`, secretStore);
      try {
        const card = await createMember(own, id, id[0]!.toUpperCase() + id.slice(1), demoPassphrase(id));
        const custody = id === 'bob' ? undefined : await exportCustody(own, id, demoPassphrase(id));
        await addMember(cart, card, custody);
      } finally {
        await own.close();
      }
    }
    await setPolicy(cart, readFileSync(EXAMPLE_POLICY, 'utf8'));
    const secret = Buffer.from('demo-root-password-not-a-real-one', 'utf8');
    await sealCredential(cart, 'prod-db-root', 'prod DB root', secret);
    secret.fill(0);
  } finally {
    await cart.close();
  }
  return { root, vault: vaultDir, laptops };
}
