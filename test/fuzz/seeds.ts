/**
 * Genuine documents for the fuzzers, made by the real code: a vault laptop and a member laptop on
 * real SQLite files and the real keychain, members created with their passphrases, a sealed
 * credential, an access request and a drill, a holder's approval and drill proof made on the
 * member laptop, the vault's journal export, and a server's receipt.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { ApprovalToken, CustodyFile, MemberCard, RequestBundle } from '../../src/core/documents.js';
import type { Receipt } from '../../src/core/sync-api.js';
import { generateSigningKeyPair, type MemberKeys, type SigningKeyPair } from '../../src/crypto/index.js';
import { KeytarSecretStore, probeSecretStore } from '../../src/keychain/index.js';
import { signReceipt } from '../../src/server/receipts.js';
import { approveBundle } from '../../src/vault/approvals.js';
import { unwrapMemberKeys } from '../../src/vault/members.js';
import {
  VaultSession,
  addMember,
  createMember,
  cancelRequest,
  exportBundle,
  exportCustody,
  exportJournal,
  openRequest,
  ownMember,
  sealCredential,
  setPolicy,
  type SecretStoreFactory,
} from '../../src/vault/index.js';

export interface Seeds {
  readonly policyYaml: string;
  readonly policyJson: string;
  readonly cards: readonly MemberCard[];
  readonly custody: CustodyFile;
  readonly custodyCard: MemberCard;
  readonly bundles: readonly RequestBundle[];
  readonly approvals: readonly ApprovalToken[];
  /** The holder whose approvals these are, as the vault enrolled them. */
  readonly holderCard: MemberCard;
  readonly exportText: string;
  readonly genesisKey: string;
  readonly receipts: readonly Receipt[];
  readonly receiptExpect: {
    readonly serverKey: string;
    readonly journal: string;
    readonly size: number;
    readonly lines: readonly string[];
  };
  cleanup(): Promise<void>;
}

const MEMBERS = ['alice', 'bob', 'carol', 'dave'] as const;

/** The repository's root, from the sources (vitest) or from dist/ (npm run fuzz). */
function repoRoot(): string {
  let dir = import.meta.dirname;
  while (!existsSync(join(dir, 'docs', 'policy.example.yaml'))) {
    if (dirname(dir) === dir) throw new Error('fuzz seeds: cannot find docs/policy.example.yaml above ' + import.meta.dirname);
    dir = dirname(dir);
  }
  return dir;
}

/** Builds the seeds in a temporary folder, with the keychain of the current D-Bus session. */
export async function buildSeeds(): Promise<Seeds> {
  const dir = mkdtempSync(join(tmpdir(), 'bgv-fuzz-'));
  const namespaceTag = randomBytes(4).toString('hex');
  const factory: SecretStoreFactory = async (namespace) => {
    const store = new KeytarSecretStore(`${namespace}-fuzz-${namespaceTag}`);
    await probeSecretStore(store);
    return store;
  };
  const vault = await VaultSession.init(join(dir, 'vault-laptop'), 'fuzz crash cart', factory);
  const laptop = await VaultSession.init(join(dir, 'member-laptop'), 'fuzz member laptop', factory);
  try {
    const passphrases = Object.fromEntries(MEMBERS.map((m) => [m, `${m} fuzz passphrase ${randomBytes(6).toString('hex')}`]));
    const cards: MemberCard[] = [];
    for (const m of MEMBERS) cards.push(await createMember(laptop, m, m[0]!.toUpperCase() + m.slice(1), passphrases[m]!));
    const custody = await exportCustody(laptop, 'alice', passphrases['alice']!);
    for (const card of cards) await addMember(vault, card, card.id === 'alice' ? custody : undefined);
    const dave: MemberKeys = await unwrapMemberKeys(cards[3]!, (await ownMember(laptop, 'dave')).wrapped, passphrases['dave']!);

    const policyYaml = readFileSync(join(repoRoot(), 'docs', 'policy.example.yaml'), 'utf8');
    const { policy } = await setPolicy(vault, policyYaml);
    const policyJson = `${JSON.stringify(policy, null, 2)}\n`;
    await sealCredential(vault, 'prod-db-root', 'prod DB root', Buffer.from('fuzz-root-pw', 'utf8'));

    const input = {
      credential: 'prod-db-root',
      trigger: 'network-outage',
      reason: 'WAN down, IdP unreachable',
      incident: 'INC-4711',
      requester: 'dave',
    };
    // A drill first (approved, then cancelled: one request is open at a time), then an access request.
    const bundles: RequestBundle[] = [];
    const approvals: ApprovalToken[] = [];
    const drill = await openRequest(vault, { ...input, reason: 'quarterly drill', incident: 'DRILL-1' }, dave, 'drill');
    bundles.push(exportBundle(vault, drill.id, 'alice'));
    approvals.push(await approveBundle(laptop, bundles[0]!, async () => passphrases['alice']!));
    await cancelRequest(vault, drill.id, undefined, dave);
    const access = await openRequest(vault, input, dave);
    bundles.push(exportBundle(vault, access.id, 'alice'));
    approvals.push(await approveBundle(laptop, bundles[1]!, async () => passphrases['alice']!));

    const { lines } = await exportJournal(vault);
    const exportText = lines.join('');
    const genesisKey = vault.report.genesisKey!;

    const serverKey: SigningKeyPair = generateSigningKeyPair();
    const journal = 'j-0123456789abcdef';
    const exportLines = lines.map((l) => l.trimEnd());
    const head = JSON.parse(exportLines[exportLines.length - 1]!) as { hash: string };
    const row = {
      id: journal,
      device: 'd-1',
      genesisKey,
      size: exportLines.length,
      head: head.hash,
      frozenAt: null,
      frozenReason: null,
      lastSyncAt: null,
    };
    const receipts = [signReceipt(serverKey, row, 1_780_000_000_000)];

    return {
      policyYaml,
      policyJson,
      cards,
      custody,
      custodyCard: cards[0]!,
      bundles,
      approvals,
      holderCard: cards[0]!,
      exportText,
      genesisKey,
      receipts,
      receiptExpect: { serverKey: serverKey.publicKey, journal, size: exportLines.length, lines: exportLines },
      async cleanup() {
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } finally {
    await vault.close();
    await laptop.close();
  }
}
