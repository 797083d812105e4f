import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parsePolicyText } from '../../../src/vault/policy.js';

const EXAMPLE = readFileSync(resolve(import.meta.dirname, '../../../docs/policy.example.yaml'), 'utf8');

const problemsOf = (text: string, options: Parameters<typeof parsePolicyText>[1] = {}): unknown => {
  const result = parsePolicyText(text, options);
  return result.ok ? 'ok' : result.problems;
};

describe('parsePolicyText: every problem at its line and column (1-based)', () => {
  it('YAML: a bad value at its key, a list item at the item, an unknown key at the key, a missing key at its mapping', () => {
    const text = EXAMPLE.replace('threshold: 2', 'threshold: 1')
      .replace('holders: [alice, bob, carol]', 'holders: [alice, bob, zed]')
      .replace('    request_expiry_minutes: 15\n', '    colour: red\n');
    expect(problemsOf(text)).toEqual([
      {
        path: 'credentials.prod-db-root.threshold',
        message: 'must be at least 2: no single holder may open a credential alone',
        line: 15,
        column: 5,
      },
      // Missing: at the key of the mapping that lacks it.
      { path: 'credentials.prod-db-root.request_expiry_minutes', message: 'required', line: 13, column: 3 },
      { path: 'credentials.prod-db-root.colour', message: 'unknown key: remove it or fix its spelling', line: 20, column: 5 },
      { path: 'credentials.prod-db-root.holders[2]', message: 'unknown member "zed": add it under members', line: 14, column: 27 },
    ]);
  });

  it('JSON: the same positions, quotes included; a key missing at the root points at the root mapping', () => {
    const text =
      '{\n  "triggers": {"outage": "WAN down"},\n  "members": {"alice": ["holder", "reviewer"], "bob": ["holder"]},\n  "credentials": {}\n}\n';
    expect(problemsOf(text)).toEqual([{ path: 'version', message: 'must be 1, got undefined', line: 1, column: 1 }]);
    const listed = '{"version": 1, "triggers": {"t": "x"}, "members": {"a": ["holder", "boss"]}, "credentials": {}}';
    expect(problemsOf(listed)).toEqual([{ path: 'members.a[1]', message: expect.stringMatching(/^must be one of /), line: 1, column: 68 }]);
  });

  it('syntax: at the place the parser stopped, without repeating it in the message; a duplicate key, an alias', () => {
    expect(problemsOf('version: 1\ntriggers: [oops\n')).toEqual([
      {
        path: '(root)',
        message: 'not valid YAML or JSON: Flow sequence in block collection must be sufficiently indented and end with a ]',
        line: 3,
        column: 1,
      },
    ]);
    expect(problemsOf('version: 1\nversion: 1\n')).toEqual([
      { path: '(root)', message: 'not valid YAML or JSON: Map keys must be unique', line: 2, column: 1 },
    ]);
    expect(problemsOf('version: 1\ntriggers: &t {a: b}\nmembers: *t\n')).toEqual([
      { path: '(root)', message: 'not valid YAML or JSON: aliases (*name) are not allowed', line: 3, column: 10 },
    ]);
    expect(problemsOf('')).toEqual([{ path: '(root)', message: 'expected a mapping, got null', line: 1, column: 1 }]);
  });

  it('enrolled: each member the policy names who is not enrolled, at its entry under members, even in a policy with other problems', () => {
    const vault = '/vaults/crash-cart';
    expect(problemsOf(EXAMPLE, { enrolled: { ids: new Set(['alice', 'bob', 'carol', 'dave']), vault } })).toBe('ok');
    expect(problemsOf(EXAMPLE, { enrolled: { ids: new Set(['alice', 'bob']), vault } })).toEqual([
      {
        path: 'members.carol',
        message:
          'member "carol" (holder, reviewer) is not enrolled at the vault /vaults/crash-cart: enrol their card there first, or take them out of the policy',
        line: 10,
        column: 3,
      },
      {
        path: 'members.dave',
        message:
          'member "dave" (requester) is not enrolled at the vault /vaults/crash-cart: enrol their card there first, or take them out of the policy',
        line: 11,
        column: 3,
      },
    ]);
    const invalid = EXAMPLE.replace('threshold: 2', 'threshold: 1');
    expect(problemsOf(invalid, { enrolled: { ids: new Set(['alice', 'bob', 'carol']), vault } })).toEqual([
      expect.objectContaining({ path: 'credentials.prod-db-root.threshold', line: 15 }),
      expect.objectContaining({ path: 'members.dave', line: 11 }),
    ]);
  });
});
