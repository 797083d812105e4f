/**
 * One fuzz target per parser of outside input, each parsing exactly as the product does: the CLI's
 * file readers, the bundle and approval readers (file or text code), the journal export verifier,
 * the sync client's receipt check, and the command-line parser.
 */
import fc from 'fast-check';
import { canonicalize } from '../../src/core/canonical.js';
import { assertJsonDepth } from '../../src/core/depth.js';
import { ApprovalTokenSchema, parseDocument, type ApprovalToken } from '../../src/core/documents.js';
import { BreakGlassError } from '../../src/core/errors.js';
import { EnrolRequestSchema, ReceiptSchema } from '../../src/core/sync-api.js';
import { checkGenesis } from '../../src/server/routes/enroll.js';
import { TAG, verifyDocument } from '../../src/crypto/index.js';
import { exportLine } from '../../src/journal/export.js';
import { parseJsonText } from '../../src/cli/io.js';
import { COMMANDS } from '../../src/cli/commands.js';
import { parseCommandLine } from '../../src/cli/main.js';
import { verifyReceipt } from '../../src/sync/receipts.js';
import { readApproval, readBundle } from '../../src/vault/approvals.js';
import { encodeTextCode } from '../../src/vault/codes.js';
import { parseExport, verifyExport } from '../../src/vault/journal.js';
import { parseCard, parseCustody } from '../../src/vault/members.js';
import { policyFromText } from '../../src/vault/policy.js';
import type { FuzzTarget } from './engine.js';
import { applyArgvEdits, applyByteEdits, applyJsonEdits, argvEdit, byteEdit, jsonEdit } from './mutate.js';
import type { Seeds } from './seeds.js';

type Json = Parameters<typeof applyJsonEdits>[0];

const edits = <T>(edit: fc.Arbitrary<T>): fc.Arbitrary<T[]> => fc.array(edit, { minLength: 1, maxLength: 4 });
const seedIndex = (n: number): fc.Arbitrary<number> => fc.nat({ max: n - 1 });

/**
 * Mutations of documents given as bytes: byte edits of the genuine bytes, structural edits of the
 * document re-encoded as the seed was (`encode`), and structural edits followed by byte edits.
 */
function documentInputs(docs: readonly Json[], encode: (doc: Json) => string): fc.Arbitrary<{ seed: number; input: Buffer }> {
  const genuine = docs.map((d) => Buffer.from(encode(d), 'utf8'));
  const index = seedIndex(docs.length);
  return fc.oneof(
    fc.record({ seed: index, bytes: edits(byteEdit) }).map(({ seed, bytes }) => ({ seed, input: applyByteEdits(genuine[seed]!, bytes) })),
    fc
      .record({ seed: index, json: edits(jsonEdit) })
      .map(({ seed, json }) => ({ seed, input: Buffer.from(encode(applyJsonEdits(docs[seed]!, json)), 'utf8') })),
    fc.record({ seed: index, json: edits(jsonEdit), bytes: edits(byteEdit) }).map(({ seed, json, bytes }) => ({
      seed,
      input: applyByteEdits(Buffer.from(encode(applyJsonEdits(docs[seed]!, json)), 'utf8'), bytes),
    })),
  );
}

const pretty = (doc: Json): string => `${JSON.stringify(doc, null, 2)}\n`;
const asJson = (value: unknown): Json => JSON.parse(JSON.stringify(value)) as Json;
/** JSON with every object's keys sorted: one text per value, floats included (they round-trip exactly). */
const sortedJson = (value: unknown): string =>
  JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
/** How the CLI reads a file: its bytes as UTF-8 text. */
const text = (input: Buffer): string => input.toString('utf8');

/** A JSON body from the network, as the sync client and the server read one: depth first, then JSON.parse. */
function jsonBody(input: Buffer, what: string, code: 'BAD_RECEIPT' | 'MALFORMED_BODY'): unknown {
  const body = text(input);
  assertJsonDepth(body, what);
  try {
    return JSON.parse(body);
  } catch {
    throw new BreakGlassError(code, `${what} is not JSON`);
  }
}

/** A target of either kind of input: file bytes, or a command line. */
export type AnyTarget = FuzzTarget<Buffer> | FuzzTarget<string[]>;

export function targets(seeds: Seeds): AnyTarget[] {
  const cards = seeds.cards.map(asJson);
  const bundles = seeds.bundles.map(asJson);
  const approvals = seeds.approvals.map(asJson);

  const policyYaml: FuzzTarget = {
    name: 'policy-yaml',
    seeds: [Buffer.from(seeds.policyYaml, 'utf8')],
    inputs: fc
      .record({ bytes: edits(byteEdit) })
      .map(({ bytes }) => ({ seed: 0, input: applyByteEdits(Buffer.from(seeds.policyYaml, 'utf8'), bytes) })),
    // Sorted JSON, not canonicalize: a policy may hold fractional minutes (policyHash maps them).
    parse: (input) => sortedJson(policyFromText(text(input))),
    // A policy is not signed: a valid change is a valid policy. What it means must read back the same.
    oracle: 'stable',
    render: (meaning) => Buffer.from(meaning, 'utf8'),
  };
  const policyJson: FuzzTarget = {
    ...policyYaml,
    name: 'policy-json',
    seeds: [Buffer.from(seeds.policyJson, 'utf8')],
    inputs: documentInputs([JSON.parse(seeds.policyJson) as Json], pretty),
  };
  const card: FuzzTarget = {
    name: 'member-card',
    seeds: cards.map((c) => Buffer.from(pretty(c), 'utf8')),
    inputs: documentInputs(cards, pretty),
    parse: (input) => canonicalize(parseCard(parseJsonText(text(input), 'member card', 'card.json'), 'member card card.json')),
    oracle: 'same',
  };
  const custody: FuzzTarget = {
    name: 'custody',
    seeds: [Buffer.from(pretty(asJson(seeds.custody)), 'utf8')],
    inputs: documentInputs([asJson(seeds.custody)], pretty),
    parse: (input) =>
      canonicalize(
        parseCustody(parseJsonText(text(input), 'custody file', 'alice.custody'), seeds.custodyCard, 'custody file alice.custody'),
      ),
    oracle: 'same',
  };
  const bundleFile: FuzzTarget = {
    name: 'request-bundle',
    seeds: bundles.map((b) => Buffer.from(pretty(b), 'utf8')),
    inputs: documentInputs(bundles, pretty),
    // What the requester signed. The rest (anchor, head, holder, share) is the vault's word, not
    // signed by anyone: a holder's laptop checks it against its pins and the share's commitment,
    // and the vault refuses an approval that signs another anchor than the one it recorded.
    parse: (input) => {
      const { request, requestHash, requesterSignature, requesterCard } = readBundle(text(input));
      return canonicalize({ request, requestHash, requesterSignature, requesterCard });
    },
    oracle: 'same',
  };
  const bundleCode: FuzzTarget = {
    ...bundleFile,
    name: 'request-code',
    seeds: bundles.map((b) => Buffer.from(encodeTextCode('bundle', b), 'utf8')),
    inputs: documentInputs(bundles, (doc) => encodeTextCode('bundle', doc)),
  };
  /** What the vault does with an approval before it looks at its own state: read, parse, check the holder's signature. */
  const parseApproval = (input: Buffer): string => {
    const token = parseDocument(ApprovalTokenSchema, readApproval(text(input)), 'approval', 'BAD_BUNDLE') as ApprovalToken;
    const tag = token.body.format === 'breakglass.approval' ? TAG.approval : TAG.drillProof;
    if (token.body.holder !== seeds.holderCard.id || !verifyDocument(tag, token.body, token.sig, seeds.holderCard.signingKey)) {
      throw new BreakGlassError('BAD_SIGNATURE', `the approval is not signed by ${seeds.holderCard.id}'s key`);
    }
    return canonicalize(token);
  };
  const approvalFile: FuzzTarget = {
    name: 'approval',
    seeds: approvals.map((a) => Buffer.from(pretty(a), 'utf8')),
    inputs: documentInputs(approvals, pretty),
    parse: parseApproval,
    oracle: 'same',
  };
  const approvalCode: FuzzTarget = {
    ...approvalFile,
    name: 'approval-code',
    seeds: approvals.map((a) => Buffer.from(encodeTextCode('approval', a), 'utf8')),
    inputs: documentInputs(approvals, (doc) => encodeTextCode('approval', doc)),
  };
  const receipt: FuzzTarget = {
    name: 'receipt',
    seeds: seeds.receipts.map((r) => Buffer.from(JSON.stringify(r), 'utf8')),
    inputs: documentInputs(seeds.receipts.map(asJson), (doc) => JSON.stringify(doc)),
    parse: (input) => {
      const r = parseDocument(ReceiptSchema, jsonBody(input, 'the receipt', 'BAD_RECEIPT'), "the server's receipt", 'BAD_RECEIPT');
      verifyReceipt(r, seeds.receiptExpect);
      return canonicalize(r);
    },
    oracle: 'same',
  };
  const firstLine = seeds.exportText.slice(0, seeds.exportText.indexOf('\n'));
  const journal = (JSON.parse(firstLine) as { entry: { journal: string } }).entry.journal;
  const enrolSeed = { journal, genesis: firstLine, name: 'fuzz crash cart' };
  const enrolment: FuzzTarget = {
    name: 'enrolment',
    seeds: [Buffer.from(JSON.stringify(enrolSeed), 'utf8')],
    inputs: documentInputs([enrolSeed], (doc) => JSON.stringify(doc)),
    // What the server does with POST /api/v1/enroll: the body's schema, then the genesis entry
    // verified pinned to the journal id. The device's name is its own word, not signed.
    parse: (input) => {
      const json = jsonBody(input, 'the request body', 'MALFORMED_BODY');
      const request = parseDocument(EnrolRequestSchema, json, 'the enrolment', 'MALFORMED_BODY');
      const { genesis, genesisKey, kind } = checkGenesis(request);
      return canonicalize({ journal: request.journal, genesisKey, kind, entry: exportLine(genesis) });
    },
    oracle: 'same',
  };
  return [
    policyYaml,
    policyJson,
    card,
    custody,
    bundleFile,
    bundleCode,
    approvalFile,
    approvalCode,
    receipt,
    enrolment,
    exportTarget(seeds),
    cliTarget(),
  ];
}

/** The journal export, verified as `journal verify --file` does, pinned to the genesis key. */
function exportTarget(seeds: Seeds): FuzzTarget {
  const genuine = Buffer.from(seeds.exportText, 'utf8');
  const lines = seeds.exportText.split('\n').filter((l) => l !== '');
  const lineEdit = fc.oneof(
    fc.record({ op: fc.constant('delete' as const), at: fc.nat(), n: fc.integer({ min: 1, max: 3 }) }),
    fc.record({ op: fc.constant('duplicate' as const), at: fc.nat() }),
    fc.record({ op: fc.constant('swap' as const), at: fc.nat(), other: fc.nat() }),
    fc.record({ op: fc.constant('entry' as const), at: fc.nat(), json: edits(jsonEdit) }),
    fc.record({ op: fc.constant('ending' as const), ending: fc.constantFrom('', '\n', '\r\n', '\r', '\n\n', ' \n') }),
  );
  type LineEdit = typeof lineEdit extends fc.Arbitrary<infer T> ? T : never;
  const applyLines = (ops: readonly LineEdit[]): Buffer => {
    const out = [...lines];
    let ending = '\n';
    for (const op of ops) {
      const at = op.op === 'ending' ? 0 : op.at % out.length;
      if (op.op === 'delete') out.splice(at, op.n);
      else if (op.op === 'duplicate') out.splice(at, 0, out[at]!);
      else if (op.op === 'swap') [out[at], out[op.other % out.length]] = [out[op.other % out.length]!, out[at]!];
      else if (op.op === 'entry' && out[at] !== undefined) {
        // A changed entry written back in the exact form the vault writes, so it reaches the signature check.
        const record = JSON.parse(out[at]) as { entry: Json; hash: string; sig: string };
        const entry = applyJsonEdits(record.entry, op.json);
        try {
          out[at] = `{"entry":${canonicalize(entry)},"hash":${JSON.stringify(record.hash)},"sig":${JSON.stringify(record.sig)}}`;
        } catch {
          out[at] = JSON.stringify({ ...record, entry });
        }
      } else if (op.op === 'ending') ending = op.ending;
      if (out.length === 0) break;
    }
    return Buffer.from(out.join('\n') + ending, 'utf8');
  };
  return {
    name: 'journal-export',
    seeds: [genuine],
    inputs: fc.oneof(
      fc.record({ bytes: edits(byteEdit) }).map(({ bytes }) => ({ seed: 0, input: applyByteEdits(genuine, bytes) })),
      fc.record({ ops: fc.array(lineEdit, { minLength: 1, maxLength: 3 }) }).map(({ ops }) => ({ seed: 0, input: applyLines(ops) })),
    ),
    parse: async (input) => {
      const report = await verifyExport(input, seeds.genesisKey);
      if (!report.ok) {
        throw new BreakGlassError('JOURNAL_TAMPERED', report.failure?.message ?? 'the export does not verify', {
          verify: report.failure?.code,
        });
      }
      // What an auditor takes from it: every entry, its hash and signature, and where it ends.
      return JSON.stringify({ lines: parseExport(input).map((e) => exportLine(e)), count: report.count, head: report.headHash });
    },
    oracle: 'same',
    // docs/journal-format.md: an export on its own cannot show that its tail was cut at a
    // transaction boundary. So an accepted export is the seed's entries, or a prefix of them that
    // ends with a transaction's closing key.rotate, and the report names exactly where it ends.
    sameAs: (meaning, seedMeaning) => {
      const got = JSON.parse(meaning) as { lines: string[]; count: number; head: string };
      const seed = JSON.parse(seedMeaning) as { lines: string[] };
      const last = got.lines[got.lines.length - 1];
      return (
        last !== undefined &&
        got.lines.every((line, i) => line === seed.lines[i]) &&
        got.count === got.lines.length &&
        got.head === (JSON.parse(last) as { hash: string }).hash &&
        (got.lines.length === seed.lines.length || (JSON.parse(last) as { entry: { kind: string } }).entry.kind === 'key.rotate')
      );
    },
  };
}

/** A genuine command line for every command: its words, each option with a value, its positionals. */
function genuineCommandLines(): string[][] {
  return COMMANDS.map((c) => [
    '--vault',
    '/tmp/fuzz-vault',
    ...c.words,
    ...Object.entries(c.options).flatMap(([name, o]) =>
      o.type === 'string' ? [`--${name}`, name === 'reason' ? '-starts with a dash' : `${name}-value`] : [`--${name}`],
    ),
    ...c.positionals.map((p, i) => `${p.replace(/\?$/, '').toLowerCase()}-${i}`),
  ]);
}

/** The command-line parser: what a command line means is its globals, command, option values and positionals. */
function cliTarget(): FuzzTarget<string[]> {
  const seedLines = genuineCommandLines();
  const names = [...new Set(COMMANDS.flatMap((c) => [...c.words, ...Object.keys(c.options).map((o) => `--${o}`)]))];
  const GLOBAL_FLAGS: Record<string, string> = {
    vault: '--vault',
    keystore: '--keystore',
    keystorePassphraseFile: '--keystore-passphrase-file',
    passphraseFile: '--passphrase-file',
  };
  const parse = (argv: string[]): string => {
    const line = parseCommandLine(argv);
    if (line.kind === 'usage') return canonicalize({ globals: { ...line.globals }, usage: line.usage, status: line.status });
    if (line.kind === 'version') return canonicalize({ globals: { ...line.globals }, version: line.version });
    for (const [name, value] of Object.entries(line.values)) {
      const declared = line.command.options[name];
      const typed = (v: unknown): boolean => typeof v === (declared?.type === 'string' ? 'string' : 'boolean');
      // A repeatable option's values come as a list, each of the declared type.
      const ok = declared?.multiple ? Array.isArray(value) && value.length > 0 && value.every(typed) : typed(value);
      if (!declared || !ok) throw new Error(`parsed an undeclared or mistyped option --${name}`);
    }
    return canonicalize({
      globals: { ...line.globals },
      command: [...line.command.words],
      values: line.values,
      positionals: line.positionals,
    });
  };
  return {
    name: 'cli-args',
    seeds: seedLines,
    inputs: fc
      .record({ seed: seedIndex(seedLines.length), ops: fc.array(argvEdit(names), { minLength: 1, maxLength: 4 }) })
      .map(({ seed, ops }) => ({ seed, input: applyArgvEdits(seedLines[seed]!, ops) })),
    parse,
    oracle: 'stable',
    render: (meaning) => {
      const m = JSON.parse(meaning) as {
        globals: Record<string, string | boolean>;
        usage?: string;
        status?: number;
        version?: string;
        command?: string[];
        values?: Record<string, string | boolean | string[]>;
        positionals?: string[];
      };
      const globals = Object.entries(m.globals).flatMap(([k, v]) =>
        k === 'json' ? (v ? ['--json'] : []) : [`${GLOBAL_FLAGS[k]}=${v as string}`],
      );
      if (m.version !== undefined) return [...globals, '--version'];
      if (m.usage !== undefined) {
        const usageOf = COMMANDS.find((c) => m.usage!.startsWith(`usage: breakglass ${c.usage}\n`));
        const group = /^usage: breakglass ([a-z-]+) COMMAND\n/.exec(m.usage)?.[1];
        return [
          ...globals,
          // A command's usage, a group's, the general usage asked for (status 0), or no command at all (status 2).
          ...(usageOf ? [...usageOf.words, '--help'] : group ? [group, '--help'] : m.status === 0 ? ['--help'] : []),
        ];
      }
      // A repeatable option's list becomes the option once per value, in order.
      const options = Object.entries(m.values!).flatMap(([k, v]) =>
        v === true ? [`--${k}`] : typeof v === 'string' ? [`--${k}=${v}`] : Array.isArray(v) ? v.map((x) => `--${k}=${x}`) : [],
      );
      return [...globals, ...m.command!, ...options, ...(m.positionals!.length > 0 ? ['--', ...m.positionals!] : [])];
    },
  };
}
