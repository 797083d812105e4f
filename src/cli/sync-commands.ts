/** `breakglass enroll`, `sync` and `sync status`: this vault's journal copied to the central server. */
import { BreakGlassError, isBreakGlassError } from '../core/errors.js';
import { enrolDevice, fetchHead, syncJournal, type SyncProgress } from '../sync/index.js';
import { exportJournal } from '../vault/index.js';
import {
  alreadyEnrolled,
  deviceCredential,
  lastReceipt,
  readSyncRound,
  recordEnrolment,
  recordReceipt,
  syncEnrolment,
  withoutNewlines,
} from '../vault/sync.js';
import type { Command, Values } from './commands.js';
import { withVault, type CliContext } from './context.js';
import { formatMoment, formatTime } from './format.js';
import { readTokenFile, serverUrl } from './server-commands.js';

const S = { type: 'string' } as const;

function opt(v: Values, name: string): string | undefined {
  const value = v[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** Progress on a terminal for a large backlog; nothing when stderr is not one, or with --json. */
function progressPrinter(ctx: CliContext): ((p: SyncProgress) => void) | undefined {
  if (ctx.json || !process.stderr.isTTY) return undefined;
  return (p) => process.stderr.write(`\ruploaded ${p.uploaded}; server holds ${p.serverSize} of ${p.localSize} entries`);
}

export const SYNC_COMMANDS: readonly Command[] = [
  {
    words: ['enroll'],
    usage: 'enroll --server URL --token-file FILE [--name NAME] [--server-key KEY] | enroll --again --token-file FILE [--name NAME]',
    summary:
      "enrol this vault's journal with the central server; its key is pinned and journaled (--again: with a new token, after security revoked this vault's device; the server and key stay those pinned)",
    options: { server: S, 'token-file': S, name: S, 'server-key': S, again: { type: 'boolean' } },
    positionals: [],
    explain: {
      server: "the central server's address (https, or http to this machine only); not with --again",
      'token-file': 'a file holding the enrolment token security gave you (server token create --role enroll)',
      name: "how the server names this device; default: the vault's name (init --name)",
      'server-key':
        "the server's key as security gave it: a server that answers with another is refused; default: the key it answers with is pinned (compare it with the one the server printed)",
      again: "enrol again with a new token, after security revoked this vault's device; the server and key stay those pinned",
    },
    examples: [
      'enroll --server https://vault.example.com --token-file crash-cart.token',
      'enroll --server https://vault.example.com --token-file crash-cart.token --server-key "$SERVER_KEY" --name "crash cart 2"',
      'enroll --again --token-file new.token',
    ],
    async run(ctx, v) {
      const again = v['again'] === true;
      if (again && (opt(v, 'server') !== undefined || opt(v, 'server-key') !== undefined)) {
        throw new BreakGlassError(
          'BAD_ARGUMENTS',
          '--again enrols with the server and key this vault pinned: give neither --server nor --server-key',
        );
      }
      const server = again ? undefined : serverUrl(opt(v, 'server') ?? '');
      const token = readTokenFile(opt(v, 'token-file') ?? '', 'the enrolment token');
      return withVault(ctx, true, async (session) => {
        const current = syncEnrolment(session);
        if (current && !again) throw alreadyEnrolled(current);
        if (!current && again) {
          throw new BreakGlassError(
            'NOT_ENROLLED',
            'this vault was never enrolled, so there is nothing to enrol again: run "breakglass enroll --server URL --token-file FILE"',
          );
        }
        const to = current?.server ?? server!;
        const lines = withoutNewlines((await exportJournal(session)).lines);
        const expectKey = current?.serverKey ?? opt(v, 'server-key');
        const enrolled = await enrolDevice(
          { server: to },
          {
            token,
            journal: session.head.journal,
            genesisLine: lines[0]!,
            lines,
            name: opt(v, 'name') ?? session.name,
            ...(expectKey ? { expectServerKey: expectKey } : {}),
          },
        );
        await recordEnrolment(session, {
          server: to,
          serverKey: enrolled.serverKey,
          device: enrolled.device,
          credential: enrolled.credential,
          receipt: enrolled.receipt,
          again,
        });
        ctx.say(`enrolled journal ${session.head.journal} ${again ? 'again ' : ''}as device ${enrolled.device} with ${to}`);
        if (again)
          ctx.say(
            `the server holds ${enrolled.receipt.body.size} of this journal's ${lines.length} entries; "breakglass sync" uploads the rest`,
          );
        else ctx.say(`server key ${enrolled.serverKey} (pinned and journaled; compare it with the one the server printed)`);
        return { journal: session.head.journal, device: enrolled.device, server: to, serverKey: enrolled.serverKey, again };
      });
    },
  },
  {
    words: ['sync'],
    usage: 'sync [--server URL]',
    summary: 'upload what the server lacks of this journal, check its receipt and journal it',
    options: { server: S },
    positionals: [],
    explain: {
      server: 'another address of the same server (its key must still be the one pinned); default: the address this vault enrolled with',
    },
    examples: ['sync', 'sync --server https://vault-dr.example.com'],
    async run(ctx, v) {
      const read = await withVault(ctx, false, readSyncRound);
      const server = opt(v, 'server') !== undefined ? serverUrl(opt(v, 'server')!) : read.enrolment.server;
      const progress = progressPrinter(ctx);
      const result = await syncJournal(
        { server, serverKey: read.enrolment.serverKey, journal: read.journal, credential: read.credential },
        read.lines,
        { ...(read.commonSize !== undefined ? { commonSize: read.commonSize } : {}), ...(progress ? { onProgress: progress } : {}) },
      );
      if (progress) process.stderr.write('\n');
      const seq = await withVault(ctx, true, (session) => recordReceipt(session, server, result.receipt));
      ctx.say(`uploaded ${result.uploaded} entries; the server holds ${result.serverSize} of this journal's ${result.localSize}`);
      ctx.say(`receipt signed ${formatTime(result.receipt.body.time)} by ${result.receipt.key}, journaled at seq ${seq}`);
      return {
        uploaded: result.uploaded,
        serverSize: result.serverSize,
        localSize: result.localSize,
        receipt: result.receipt,
        receiptSeq: seq,
      };
    },
  },
  {
    words: ['sync', 'status'],
    usage: 'sync status',
    summary: 'the last receipt, and how far this machine is ahead of the server',
    options: {},
    positionals: [],
    explain: {},
    examples: ['sync status', '--json sync status'],
    async run(ctx) {
      const local = await withVault(ctx, false, async (session) => ({
        enrolment: syncEnrolment(session),
        receipt: lastReceipt(session),
        size: session.report.count,
        journal: session.head.journal,
        credential: syncEnrolment(session) ? await deviceCredential(session).catch(() => null) : null,
      }));
      if (!local.enrolment) {
        ctx.say('not enrolled with a server');
        return { enrolled: false, size: local.size };
      }
      const r = local.receipt?.receipt.body;
      ctx.say(`enrolled with ${local.enrolment.server} as device ${local.enrolment.device}; server key ${local.enrolment.serverKey}`);
      ctx.say(
        r
          ? `last receipt: ${r.size} entries at ${formatMoment(r.time)}; this journal has ${local.size} (${local.size - r.size} not covered)`
          : 'no receipt yet',
      );
      let serverSize: number | null = null;
      if (local.credential) {
        try {
          const head = await fetchHead(
            {
              server: local.enrolment.server,
              serverKey: local.enrolment.serverKey,
              journal: local.journal,
              credential: local.credential,
              timeoutMs: 5_000,
            },
            { attempts: 1 },
          );
          serverSize = head.size;
          ctx.say(
            `the server holds ${head.size} entries now${head.frozen ? ' and has FROZEN this journal (a fork)' : ''}: ${local.size - head.size} to upload`,
          );
        } catch (err) {
          if (!isBreakGlassError(err)) throw err;
          ctx.say(`the server could not be asked (${err.code})`);
        }
      }
      return {
        enrolled: true,
        server: local.enrolment.server,
        device: local.enrolment.device,
        size: local.size,
        lastReceipt: local.receipt?.receipt ?? null,
        serverSize,
      };
    },
  },
];
