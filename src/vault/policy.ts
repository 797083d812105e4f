import { Lexer, LineCounter, isAlias, isMap, isScalar, isSeq, parseDocument, visit, type Document } from 'yaml';
import { canonicalize } from '../core/canonical.js';
import { MAX_DEPTH, tooDeep } from '../core/depth.js';
import { BreakGlassError } from '../core/errors.js';
import type { RequestBody } from '../core/documents.js';
import { assertDocumentKind } from '../core/recognise.js';
import { checkPolicy, policyProblem, type Policy, type PolicyLocator, type PolicyProblem } from '../core/policy.js';
import { findUnacceptableText } from '../core/text.js';
import { b64, taggedHash } from '../crypto/index.js';
import type { VaultSession } from './session.js';

/**
 * Refuses (TOO_DEEP) policy text that nests deeper than MAX_DEPTH, before the YAML parser (which
 * exhausts the heap on 20,000 nested brackets) sees it. The parser's own lexer is linear and not
 * recursive: its flow brackets are counted, stopping at the first level too deep; quoted and block
 * scalars are single tokens, so brackets inside text do not count. Block levels each need one more
 * column of indentation, so a line indented more than 2 * MAX_DEPTH columns is refused.
 */
export function assertPolicyDepth(text: string): void {
  const what = 'the policy';
  let line = 1;
  let column = 0;
  let depth = 0;
  for (const token of new Lexer().lex(text)) {
    if (token === '[' || token === '{') {
      if (++depth > MAX_DEPTH) tooDeep(what, depth, `line ${line}`);
    } else if (token === ']' || token === '}') {
      depth--;
    }
    if (token === '\n') {
      line++;
      column = 0;
    } else if (column === 0 && /^[ \t]+$/.test(token)) {
      if (token.length > 2 * MAX_DEPTH) tooDeep(what, token.length, `line ${line} is indented ${token.length} columns`);
      column = token.length;
    } else {
      column += token.length;
      if (token.includes('\n')) {
        line += token.split('\n').length - 1;
        column = 0;
      }
    }
  }
}

/**
 * Reads policy text as YAML (a superset of JSON); a syntax error is a problem at the root, and so
 * is a byte-order mark (the YAML parser would drop it silently). Text that is not Unicode or holds
 * a noncharacter (`unacceptableText`) is a problem at its path. Every problem carries its line and
 * column in the text. With `enrolled`, a member the policy names who is not enrolled at that vault
 * is a problem too.
 */
export function parsePolicyText(
  text: string,
  options: { enrolled?: { ids: ReadonlySet<string>; vault: string } } = {},
): { ok: true; policy: Policy } | { ok: false; problems: PolicyProblem[] } {
  const start = { line: 1, column: 1 };
  if (text.startsWith('\uFEFF'))
    return { ok: false, problems: [{ path: '(root)', message: 'starts with a byte-order mark (U+FEFF); save it without one', ...start }] };
  assertPolicyDepth(text);
  const lines = new LineCounter();
  const doc = parseDocument(text, { uniqueKeys: true, lineCounter: lines });
  const syntax = doc.errors[0];
  if (syntax) {
    // The position goes with the problem, so the message keeps only what is wrong.
    const what = syntax.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    const at = syntax.linePos?.[0];
    return {
      ok: false,
      problems: [{ path: '(root)', message: `not valid YAML or JSON: ${what}`, ...(at ? { line: at.line, column: at.col } : start) }],
    };
  }
  const alias = firstAlias(doc);
  if (alias !== undefined) {
    const at = lines.linePos(alias);
    return {
      ok: false,
      problems: [{ path: '(root)', message: 'not valid YAML or JSON: aliases (*name) are not allowed', line: at.line, column: at.col }],
    };
  }
  const input: unknown = doc.toJS({ maxAliasCount: 0 });
  // A card or a bundle given as a policy is named for what it is, not listed as policy problems.
  assertDocumentKind(input, 'policy');
  const locate = locator(doc, lines);
  const bad = findUnacceptableText(input);
  if (bad) return { ok: false, problems: [{ ...policyProblem(bad.path, `holds ${bad.why}`), ...locate(bad.keys) }] };
  return checkPolicy(input, { locate, ...options });
}

/** Where the first alias node starts, if the document has one. */
function firstAlias(doc: Document): number | undefined {
  let offset: number | undefined;
  visit(doc, {
    Alias(_, node) {
      offset = node.range?.[0] ?? 0;
      return visit.BREAK;
    },
  });
  return offset;
}

/**
 * Finds a path in the parsed document: a mapping's entry by its key (the key's position), a list's
 * item by its index. A path that goes on past what the text has (a required key that is missing)
 * points at the last mapping it reached, by the key that names it.
 */
function locator(doc: Document, lines: LineCounter): PolicyLocator {
  return (path) => {
    let node: unknown = doc.contents;
    let offset = doc.contents?.range?.[0] ?? 0;
    for (const key of path) {
      if (isMap(node)) {
        const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(key));
        if (!pair) break;
        offset = (pair.key as { range?: [number, number, number] }).range?.[0] ?? offset;
        node = pair.value;
      } else if (isSeq(node) && typeof key === 'number') {
        const item: unknown = node.items[key];
        if (!isScalar(item) && !isMap(item) && !isSeq(item) && !isAlias(item)) break;
        offset = item.range?.[0] ?? offset;
        node = item;
      } else {
        break;
      }
    }
    const at = lines.linePos(offset);
    return { line: at.line, column: at.col };
  };
}

/** Parses policy text or throws POLICY_INVALID listing every problem with its path. */
export function policyFromText(text: string): Policy {
  const result = parsePolicyText(text);
  if (result.ok) return result.policy;
  const list = result.problems.map((p) => `${p.path}: ${p.message}`).join('; ');
  throw new BreakGlassError('POLICY_INVALID', `${result.problems.length} problem(s) in policy: ${list}`, { problems: result.problems });
}

/** The policy's hash, recorded in the journal so an auditor can tell which policy applied. */
export function policyHash(policy: Policy): string {
  return b64(taggedHash('breakglass/policy/v1', canonicalize(integersOnly(policy))));
}

/**
 * Canonical JSON here is integer-only, but a policy may give fractional minutes: such numbers are
 * hashed by their shortest round-trip decimal form, as a tagged string.
 */
function integersOnly(value: unknown): unknown {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? value : `number:${JSON.stringify(value)}`;
  if (Array.isArray(value)) return value.map(integersOnly);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, integersOnly(v)]));
  }
  return value;
}

/**
 * Commits `text` as this vault's policy (the `policy.set` entry holds the whole document). The use
 * case is `setPolicy` (policy-change.ts), which also says what the change means for open requests.
 */
export async function commitPolicy(session: VaultSession, text: string, actor: string): Promise<{ hash: string; policy: Policy }> {
  const policy = policyFromText(text);
  const hash = policyHash(policy);
  await session.commit((append) => {
    session.repo.setPolicy(JSON.stringify(policy), hash, Date.now());
    // The whole document, so an auditor reads from the journal alone which rules were in force
    // (numbers that are not integers appear as "number:<decimal>", as they are hashed).
    append({
      kind: 'policy.set',
      actor,
      subject: 'policy',
      data: { hash, credentials: Object.keys(policy.credentials).sort(), document: integersOnly(policy) },
    });
  });
  return { hash, policy };
}

/** The policy in force, or NOT_FOUND telling how to set one. */
export function currentPolicy(session: VaultSession): { policy: Policy; hash: string; setAt: number } {
  const row = session.repo.getPolicy();
  if (!row) throw new BreakGlassError('NOT_FOUND', 'this vault has no policy yet; set one with "breakglass policy set FILE"');
  const policy = JSON.parse(row.document) as Policy;
  // The policy decides who may do what: it counts only as the journal's policy.set entry recorded it.
  if (policyHash(policy) !== row.hash || row.hash !== session.evidence.policyHash) {
    throw new BreakGlassError(
      'INTEGRITY_FAILURE',
      "the policy in this vault's database is not the one its journal recorded (policy.set): it was edited by hand; do not use this vault until security has examined it",
    );
  }
  return { policy, hash: row.hash, setAt: row.set_at };
}

/** The inverse of `integersOnly`: a "number:<decimal>" string as it was recorded becomes that number again. */
function withNumbers(value: unknown): unknown {
  if (typeof value === 'string' && value.startsWith('number:')) {
    const n = Number(value.slice('number:'.length));
    return Number.isFinite(n) ? n : value;
  }
  if (Array.isArray(value)) return value.map(withNumbers);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withNumbers(v)]));
  }
  return value;
}

/** The policy a request was opened under, as its policy.set entry recorded it (fractional numbers read back as numbers). */
export function policyOfRequest(session: VaultSession, request: RequestBody): Policy {
  return withNumbers(session.evidence.policyAt(request.policyHash)) as Policy;
}
