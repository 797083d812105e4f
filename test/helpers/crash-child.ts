/**
 * The victim of test/integration/journal/crash.test.ts: opens a vault through the vault API with the
 * real OS keychain and runs one kind of operation in a loop until the parent kills it with SIGKILL.
 *
 *   node dist/test/helpers/crash-child.js VAULT_DIR OP
 *
 * OP is one of:
 *   append     setPolicy with the policy in force (a cheap commit: policy.set + key.rotate)
 *   reveal     unseal(request, 'reveal') on an unsealed credential, again and again
 *   cancel     open a request (scrypt: the requester signs) and cancel it
 *   lifecycle  the whole activation: request, two in-person approvals, unseal with a reveal, close,
 *              review, reseal
 * Each op takes one step per state of the credential, so a run continues where the last one was
 * killed, and any state leads back to the op's own loop (an unseal window that ran out, say).
 *
 * Protocol, one line each on stdout (a pipe: written synchronously on Linux, so every line written
 * before the kill reaches the parent):
 *   LOADED                         only with CRASH_WAIT_FOR_GO=1: the code and the keychain client
 *                                  are loaded, and the child
 *                                  waits for a line on stdin before it touches the vault (so the
 *                                  parent can start the next child while it checks the last one)
 *   READY <headSeq>                the vault is open; the parent starts its kill timer now
 *   COMMITTED <seq> <hash>         an operation's commit returned: the journal head's seq and hash
 *   REVEALED <seq> ok|mismatch     unseal(..., 'reveal') returned the secret (checked against
 *                                  CRASH_SECRET_SHA256), recorded by the credential.reveal at <seq>
 * Expensive steps (scrypt) that come first are done before READY, so kills land in the cheap ones.
 * Nothing secret is ever written: passphrases come from the test helpers, the secret is only hashed.
 */
import { createHash } from 'node:crypto';
import { openSecretStore } from '../../src/keychain/index.js';
import {
  VaultSession,
  applyTimeLimits,
  approveInPerson,
  closeWindow,
  currentPolicy,
  cancelRequest,
  openRequest,
  reseal,
  setPolicy,
  signReview,
  summarizeRequest,
  requestRow,
  unseal,
  type PassphraseSource,
} from '../../src/vault/index.js';
import { PASSPHRASES } from './cli.js';

const CREDENTIAL = 'prod-db-root';
const HOLDERS = ['alice', 'bob', 'carol'];

const say = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

const passphraseOf =
  (member: string): PassphraseSource =>
  () =>
    Promise.resolve(PASSPHRASES[member]!);

// dave signs each request and each cancel: his keys are derived once per process (the memo that
// askFirst's two runs share), so the cancel after READY costs what it does at the vault, not a KDF.
const daveUnwrapped: NonNullable<PassphraseSource['unwrapped']> = new Map();
const dave: PassphraseSource = Object.assign(passphraseOf('dave'), { unwrapped: daveUnwrapped });

const secretStore = (namespace: string) => openSecretStore(undefined, namespace, () => Promise.reject(new Error('no key store file here')));

function committed(session: VaultSession): void {
  say(`COMMITTED ${session.head.nextSeq - 1} ${session.head.prev}`);
}

async function reveal(session: VaultSession, requestId: string): Promise<void> {
  const result = await unseal(session, requestId, 'reveal');
  committed(session);
  // The commit ends with key.rotate; the credential.reveal entry is the one before it.
  const seq = session.head.nextSeq - 2;
  const digest = createHash('sha256').update(result.secret!).digest('hex');
  result.secret!.fill(0);
  say(`REVEALED ${seq} ${digest === process.env['CRASH_SECRET_SHA256'] ? 'ok' : 'mismatch'}`);
}

function credential(session: VaultSession): { state: string; request: string | null } {
  const row = session.repo.getCredential(CREDENTIAL);
  if (!row) throw new Error(`no credential ${CREDENTIAL}`);
  return { state: row.state, request: row.active_request };
}

type Step = { expensive: boolean; run(): Promise<void> };

/**
 * What an op does where the activation offers a choice: `reveal` reveals for as long as the
 * credential is unsealed; `complete` reveals once per window, then closes; `cancel` cancels a
 * request that has no approval yet instead of approving it.
 */
type Mode = 'reveal' | 'complete' | 'cancel';

function revealedInWindow(session: VaultSession, requestId: string): boolean {
  for (const stored of session.repo.entries(requestRow(session, requestId).anchor_seq)) {
    const entry = JSON.parse(Buffer.from(stored.bytes).toString('utf8')) as { kind: string; data: { request?: string } };
    if (entry.kind === 'credential.reveal' && entry.data.request === requestId) return true;
  }
  return false;
}

/** The next step of the activation from the credential's state, in one of the modes above. */
function nextStep(session: VaultSession, mode: Mode): Step {
  const { state, request } = credential(session);
  switch (state) {
    case 'SEALED':
      return {
        expensive: true,
        run: async () => {
          await openRequest(
            session,
            { credential: CREDENTIAL, trigger: 'network-outage', reason: 'crash test', incident: 'INC-CRASH', requester: 'dave' },
            dave,
          );
          committed(session);
        },
      };
    case 'REQUESTED': {
      const summary = summarizeRequest(session, requestRow(session, request!));
      if (mode === 'cancel' && summary.approvals.length === 0) {
        return {
          expensive: false,
          run: async () => {
            await cancelRequest(session, request!, undefined, dave);
            committed(session);
          },
        };
      }
      if (summary.approvals.length < summary.threshold) {
        const holder = HOLDERS.find((h) => !summary.approvals.includes(h))!;
        return {
          expensive: true,
          run: async () => {
            await approveInPerson(session, request!, holder, passphraseOf(holder));
            committed(session);
          },
        };
      }
      return { expensive: false, run: () => reveal(session, request!) };
    }
    case 'UNSEALED':
      if (mode === 'reveal' || !revealedInWindow(session, request!)) return { expensive: false, run: () => reveal(session, request!) };
      return {
        expensive: false,
        run: async () => {
          await closeWindow(session, CREDENTIAL, 'closed');
          committed(session);
        },
      };
    case 'REVIEW_PENDING':
      return {
        expensive: true,
        run: async () => {
          await signReview(
            session,
            { credential: CREDENTIAL, reviewer: 'carol', warranted: true, summary: 'crash test', changes: 'none' },
            passphraseOf('carol'),
          );
          committed(session);
        },
      };
    case 'REVIEWED':
      return {
        expensive: false,
        run: async () => {
          await reseal(session, CREDENTIAL);
          committed(session);
        },
      };
    default:
      throw new Error(`unexpected state ${state}`);
  }
}

/** Resolves at the first line on stdin (or rejects when stdin ends without one). */
function firstLine(): Promise<void> {
  return new Promise((resolveLine, reject) => {
    let seen = '';
    process.stdin.setEncoding('utf8');
    process.stdin.on('data', (chunk: string) => {
      seen += chunk;
      if (seen.includes('\n')) {
        process.stdin.pause();
        resolveLine();
      }
    });
    process.stdin.on('end', () => reject(new Error('stdin ended before GO')));
  });
}

async function main(): Promise<void> {
  const [vault, op] = process.argv.slice(2);
  if (!vault || !op) throw new Error('usage: crash-child VAULT_DIR append|reveal|cancel|lifecycle');
  if (process.env['CRASH_WAIT_FOR_GO'] === '1') {
    // Load the keychain client and connect to the Secret Service too (a namespace of its own, read
    // only): that is start-up cost, not part of the vault's work.
    await (await secretStore('crash-child-warm-up')).list();
    say('LOADED');
    await firstLine();
  }
  const session = await VaultSession.open(vault, secretStore, { write: true });
  // What every write session of the CLI does first (expiry, window limits, orphaned request keys).
  await applyTimeLimits(session);
  if (op === 'append') {
    const text = JSON.stringify(currentPolicy(session).policy);
    say(`READY ${session.head.nextSeq - 1}`);
    for (;;) {
      await setPolicy(session, text);
      committed(session);
    }
  }
  const modes: Record<string, Mode> = { reveal: 'reveal', lifecycle: 'complete', cancel: 'cancel' };
  const mode = modes[op];
  if (!mode) throw new Error(`unknown operation ${op}`);
  for (let step = nextStep(session, mode); step.expensive; step = nextStep(session, mode)) await step.run();
  say(`READY ${session.head.nextSeq - 1}`);
  for (;;) await nextStep(session, mode).run();
}

main().catch((err: unknown) => {
  const e = err as { code?: string; message?: string };
  process.stderr.write(`crash-child: ${e.code ?? 'ERROR'}: ${e.message ?? String(err)}\n`);
  process.exit(1);
});
