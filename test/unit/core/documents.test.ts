import { describe, it, expect } from 'vitest';
import { ApprovalTokenSchema, MemberCardSchema, RequestBundleSchema, parseDocument, type MemberCard } from '../../../src/core/documents.js';
import { BreakGlassError } from '../../../src/core/errors.js';

const KEY_A = 'A'.repeat(42) + 'g';
const KEY_B = 'B'.repeat(42) + 'g';

function card(): MemberCard {
  return {
    format: 'breakglass.member-card',
    version: 1,
    id: 'alice',
    name: 'Alice Example',
    signingKey: KEY_A,
    agreementKey: KEY_B,
    createdAt: 1_700_000_000_000,
    sig: 'c2lnbmF0dXJl',
  };
}

/** The BreakGlassError that `fn` throws (and fails the test when it throws nothing or something else). */
function thrown(fn: () => unknown): BreakGlassError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(BreakGlassError);
    return err as BreakGlassError;
  }
  throw new Error('expected a BreakGlassError, nothing was thrown');
}

function problems(err: BreakGlassError): { path: string; message: string }[] {
  return err.details['problems'] as { path: string; message: string }[];
}

describe('parseDocument', () => {
  it('returns the typed value of a valid document', () => {
    expect(parseDocument(MemberCardSchema, card(), 'member card')).toEqual(card());
  });

  it('reports every failing path, not only the first', () => {
    const err = thrown(() => parseDocument(MemberCardSchema, { ...card(), id: 'Alice!', signingKey: 'short' }, 'member card'));
    expect(err.code).toBe('BAD_INPUT');
    expect(problems(err)).toEqual([
      { path: 'id', message: 'must be 1-64 of a-z, 0-9, ".", "_", "-"' },
      { path: 'signingKey', message: 'must be a 32-byte base64url key' },
    ]);
    expect(err.message).toBe('member card is not valid: id: must be 1-64 of a-z, 0-9, ".", "_", "-" (and 1 more)');
  });

  it('reports missing fields, wrong literals and unknown keys, each with its path', () => {
    const { name: _name, ...noName } = card();
    const err = thrown(() => parseDocument(MemberCardSchema, { ...noName, version: 2, extra: true }, 'member card'));
    const paths = problems(err).map((p) => p.path);
    expect(paths).toContain('name');
    expect(paths).toContain('version');
    expect(problems(err)).toContainEqual({ path: '(root)', message: 'Unrecognized key: "extra"' });
    expect(err.message).toMatch(/^member card is not valid: .+ \(and 2 more\)$/);
  });

  it('names nested paths with dots', () => {
    const token = {
      body: {
        format: 'breakglass.approval',
        version: 1,
        vault: 'v-1',
        request: 'r-1',
        requestHash: 'aGFzaA',
        credential: 'prod-db-root',
        credentialVersion: 0,
        holder: 'alice',
        anchor: { journal: 'j-1', seq: -1, hash: 'aGFzaA' },
        sealedShare: { epk: KEY_A, iv: 'aXY', ct: 'Y3Q', tag: 'not base64!' },
        approvedAt: 1,
        expiresAt: 2,
      },
      sig: 'c2ln',
    };
    const err = thrown(() => parseDocument(ApprovalTokenSchema, token, 'approval', 'BAD_BUNDLE'));
    expect(err.code).toBe('BAD_BUNDLE');
    expect(
      problems(err)
        .map((p) => p.path)
        .sort(),
    ).toEqual(['body.anchor.seq', 'body.credentialVersion', 'body.sealedShare.tag']);
  });

  it('reports a non-object at the root', () => {
    const err = thrown(() => parseDocument(RequestBundleSchema, 'a string', 'request bundle', 'BAD_BUNDLE'));
    expect(problems(err)).toEqual([{ path: '(root)', message: 'Invalid input: expected object, received string' }]);
    expect(err.message).toBe('request bundle is not valid: (root): Invalid input: expected object, received string');
  });

  it('keeps the offending values out of the message and the details', () => {
    const secretish = 'hunter2 passphrase: do not print';
    const err = thrown(() => parseDocument(MemberCardSchema, { ...card(), sig: secretish, name: '' }, 'member card'));
    expect(
      problems(err)
        .map((p) => p.path)
        .sort(),
    ).toEqual(['name', 'sig']);
    expect(JSON.stringify(err.toJSON())).not.toContain(secretish);
  });
});

describe('text a signature can cover unambiguously', () => {
  it('refuses a lone surrogate, a noncharacter or a byte-order mark in any string, naming its path', () => {
    for (const [name, why] of [
      ['Alice \uD800', 'a lone surrogate (not Unicode text)'],
      ['Alice \uDC00x', 'a lone surrogate (not Unicode text)'],
      ['\uFEFFAlice', 'a byte-order mark (U+FEFF)'],
      ['Alice\uFDD0', 'a Unicode noncharacter (U+FDD0)'],
      ['Alice\uFFFE', 'a Unicode noncharacter (U+FFFE)'],
      ['Alice \u{10FFFF}', 'a Unicode noncharacter (U+10FFFF)'],
    ] as const) {
      const err = thrown(() => parseDocument(MemberCardSchema, { ...card(), name }, 'member card'));
      expect(err.code).toBe('BAD_INPUT');
      expect(err.message).toBe(`member card is not valid: name: holds ${why}`);
    }
  });

  it('refuses them in member names and nested values too, with the code the caller chose', () => {
    const keyed = JSON.parse('{"format":"x","\\ud800":1}') as unknown;
    expect(thrown(() => parseDocument(MemberCardSchema, keyed, 'member card', 'BAD_BUNDLE')).message).toBe(
      'member card is not valid: \uD800: holds a member name with a lone surrogate (not Unicode text)',
    );
    const nested = { body: { format: 'breakglass.approval', reason: ['ok', 'x\uFFFF'] }, sig: 'AA' };
    const err = thrown(() => parseDocument(ApprovalTokenSchema, nested, 'approval', 'BAD_BUNDLE'));
    expect(err.code).toBe('BAD_BUNDLE');
    expect(err.message).toBe('approval is not valid: body.reason.1: holds a Unicode noncharacter (U+FFFF)');
  });

  it('accepts other text: accents, emoji (a surrogate pair), controls the screens escape', () => {
    for (const name of ['Zoë Ødegård', '数据库 🔑', 'tab\there', '\u{1F600}\u{10FFFD}']) {
      expect(parseDocument(MemberCardSchema, { ...card(), name }, 'member card').name).toBe(name);
    }
  });
});
