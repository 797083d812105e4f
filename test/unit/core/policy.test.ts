import { readFileSync, writeFileSync } from 'node:fs';
import { describe, it, expect } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { isBreakGlassError } from '../../../src/core/errors.js';
import { checkPolicy, credentialPolicy, hasRole, parsePolicy, policyJsonSchema, type PolicyProblem } from '../../../src/core/policy.js';

const EXAMPLE_URL = new URL('../../../docs/policy.example.yaml', import.meta.url);
const SCHEMA_URL = new URL('../../../docs/policy.schema.json', import.meta.url);

type Draft = {
  [key: string]: unknown;
  triggers: Record<string, unknown>;
  members: Record<string, unknown>;
  credentials: Record<string, Record<string, unknown>>;
};

/** A small valid policy as a plain object; each test breaks one part of a fresh copy. */
function basePolicy(): Draft {
  return {
    version: 1,
    triggers: { 'network-outage': 'WAN down', 'database-lockout': 'database refuses accounts' },
    members: {
      alice: ['holder'],
      bob: ['holder'],
      carol: ['holder', 'reviewer'],
      dave: ['requester'],
    },
    credentials: {
      'prod-db-root': {
        holders: ['alice', 'bob', 'carol'],
        threshold: 2,
        triggers: ['network-outage'],
        requesters: ['dave'],
        unseal_minutes: 30,
        request_expiry_minutes: 15,
      },
    },
  };
}

/** The prod-db-root credential of a draft, to break in place. */
function cred(input: Draft): Record<string, unknown> {
  const credential = input.credentials['prod-db-root'];
  if (credential === undefined) throw new Error('the draft lost its credential');
  return credential;
}

function problemsOf(input: unknown): PolicyProblem[] {
  const result = checkPolicy(input);
  if (result.ok) throw new Error('expected the policy to be rejected');
  return result.problems;
}

const CRED = 'credentials.prod-db-root';

describe('checkPolicy accepts', () => {
  it('the published example, exactly as written', () => {
    const input: unknown = parseYaml(readFileSync(EXAMPLE_URL, 'utf8'));
    const result = checkPolicy(input);
    expect(result).toEqual({ ok: true, policy: input });
  });

  it('a credential without optional fields, and applies the defaults', () => {
    const result = checkPolicy(basePolicy());
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.policy.credentials['prod-db-root']).toEqual({
      ...cred(basePolicy()),
      max_extensions: 1,
      in_person_approval: true,
      review: { due_hours: 24, reviewer_not_requester: true, require_rotation: false },
    });
    expect(result.policy.drills).toBeUndefined();
  });

  it('a partial review block, filling in the rest', () => {
    const input = basePolicy();
    cred(input).review = { require_rotation: true };
    expect(parsePolicy(input).credentials['prod-db-root']?.review).toEqual({
      due_hours: 24,
      reviewer_not_requester: true,
      require_rotation: true,
    });
  });

  it('fractional minutes, so tests can use windows of about a second', () => {
    const input = basePolicy();
    cred(input).unseal_minutes = 0.02;
    cred(input).request_expiry_minutes = 0.02;
    expect(parsePolicy(input).credentials['prod-db-root']?.unseal_minutes).toBe(0.02);
  });

  it('refuses threshold 1: the two-person rule is cryptographic', () => {
    const input = basePolicy();
    cred(input).threshold = 1;
    expect(problemsOf(input)).toEqual([
      { path: `${CRED}.threshold`, message: 'must be at least 2: no single holder may open a credential alone' },
    ]);
  });
});

describe('checkPolicy cross-checks', () => {
  it('reports a holder who is not a member', () => {
    const input = basePolicy();
    cred(input).holders = ['alice', 'zed', 'carol'];
    expect(problemsOf(input)).toEqual([{ path: `${CRED}.holders[1]`, message: 'unknown member "zed": add it under members' }]);
  });

  it('reports a holder without the holder role', () => {
    const input = basePolicy();
    cred(input).holders = ['alice', 'bob', 'dave'];
    expect(problemsOf(input)).toEqual([
      {
        path: `${CRED}.holders[2]`,
        message: 'member "dave" lacks the holder role: add holder to members.dave',
      },
    ]);
  });

  it('reports requesters who are not members or lack the requester role', () => {
    const input = basePolicy();
    cred(input).requesters = ['dave', 'alice', 'ghost'];
    expect(problemsOf(input)).toEqual([
      {
        path: `${CRED}.requesters[1]`,
        message: 'member "alice" lacks the requester role: add requester to members.alice',
      },
      { path: `${CRED}.requesters[2]`, message: 'unknown member "ghost": add it under members' },
    ]);
  });

  it('reports a trigger not defined under triggers', () => {
    const input = basePolicy();
    cred(input).triggers = ['fire', 'network-outage'];
    expect(problemsOf(input)).toEqual([{ path: `${CRED}.triggers[0]`, message: 'trigger "fire" is not defined under triggers' }]);
  });

  it('reports a threshold above the holder count', () => {
    const input = basePolicy();
    cred(input).threshold = 4;
    expect(problemsOf(input)).toEqual([{ path: `${CRED}.threshold`, message: 'threshold 4 is above the 3 holders' }]);
    cred(input).holders = ['alice'];
    cred(input).threshold = 2;
    expect(problemsOf(input)).toEqual([{ path: `${CRED}.threshold`, message: 'threshold 2 is above the 1 holder' }]);
  });

  it('reports a duplicate holder, and counts each holder once against the threshold', () => {
    const input = basePolicy();
    cred(input).holders = ['alice', 'bob', 'alice'];
    cred(input).threshold = 3;
    expect(problemsOf(input)).toEqual([
      {
        path: `${CRED}.holders[2]`,
        message: 'holder "alice" is already listed at holders[0]: list each holder once',
      },
      { path: `${CRED}.threshold`, message: 'threshold 3 is above the 2 holders' },
    ]);
  });

  it('reports a policy in which nobody may review', () => {
    const input = basePolicy();
    input.members.carol = ['holder'];
    expect(problemsOf(input)).toEqual([
      { path: 'members', message: 'no member has the reviewer role: an unsealed credential could never be reviewed and resealed' },
    ]);
  });

  it('reports a member with no roles', () => {
    const input = basePolicy();
    input.members.erin = [];
    expect(problemsOf(input)).toEqual([
      {
        path: 'members.erin',
        message: 'no roles: give it at least one of holder, requester, reviewer',
      },
    ]);
  });

  it('reports every problem across every credential, not just the first', () => {
    const input = basePolicy();
    cred(input).holders = ['alice', 'zed'];
    cred(input).threshold = 3;
    cred(input).triggers = ['fire'];
    input.credentials['vpn-admin'] = {
      holders: ['carol', 'alice'],
      threshold: 2,
      triggers: ['network-outage', 'flood'],
      requesters: ['bob'],
      unseal_minutes: 10,
      request_expiry_minutes: 5,
    };
    expect(problemsOf(input)).toEqual([
      { path: `${CRED}.holders[1]`, message: 'unknown member "zed": add it under members' },
      { path: `${CRED}.threshold`, message: 'threshold 3 is above the 2 holders' },
      { path: `${CRED}.triggers[0]`, message: 'trigger "fire" is not defined under triggers' },
      {
        path: 'credentials.vpn-admin.triggers[1]',
        message: 'trigger "flood" is not defined under triggers',
      },
      {
        path: 'credentials.vpn-admin.requesters[0]',
        message: 'member "bob" lacks the requester role: add requester to members.bob',
      },
    ]);
  });

  it('still cross-checks the parts that passed the schema, and only those', () => {
    const input = basePolicy();
    input.members.bob = 'holder'; // bob's roles are unreadable: no role checks for bob
    cred(input).threshold = 'two'; // no threshold comparison
    cred(input).holders = ['alice', 'bob', 'zed'];
    cred(input).triggers = 'fire'; // no trigger checks
    cred(input).requesters = ['carol'];
    expect(problemsOf(input)).toEqual([
      { path: 'members.bob', message: 'expected a list, got "holder"' },
      { path: `${CRED}.threshold`, message: 'expected a whole number, got "two"' },
      { path: `${CRED}.triggers`, message: 'expected a list, got "fire"' },
      { path: `${CRED}.holders[2]`, message: 'unknown member "zed": add it under members' },
      {
        path: `${CRED}.requesters[0]`,
        message: 'member "carol" lacks the requester role: add requester to members.carol',
      },
    ]);
  });

  it('skips member and trigger checks when those sections are missing', () => {
    const input: Record<string, unknown> = basePolicy();
    delete input.members;
    delete input.triggers;
    expect(problemsOf(input)).toEqual([
      { path: 'triggers', message: 'required' },
      { path: 'members', message: 'required' },
    ]);
  });
});

describe('checkPolicy schema errors', () => {
  it('reports a non-mapping policy at the root', () => {
    expect(problemsOf('version: 1')).toEqual([{ path: '(root)', message: 'expected a mapping, got "version: 1"' }]);
    expect(problemsOf(null)).toEqual([{ path: '(root)', message: 'expected a mapping, got null' }]);
  });

  it('reports a wrong version and missing sections', () => {
    expect(problemsOf({ version: 2 })).toEqual([
      { path: 'version', message: 'must be 1, got 2' },
      { path: 'triggers', message: 'required' },
      { path: 'members', message: 'required' },
      { path: 'credentials', message: 'required' },
    ]);
  });

  it('rejects unknown keys at every level, each with its path', () => {
    const input = basePolicy();
    input.owner = 'security';
    cred(input).treshold = 2;
    cred(input).review = { due_hours: 4, rotate: true };
    input.drills = { every_days: 30, at: 'noon' };
    expect(problemsOf(input)).toEqual([
      { path: `${CRED}.review.rotate`, message: 'unknown key: remove it or fix its spelling' },
      { path: `${CRED}.treshold`, message: 'unknown key: remove it or fix its spelling' },
      { path: 'drills.at', message: 'unknown key: remove it or fix its spelling' },
      { path: 'owner', message: 'unknown key: remove it or fix its spelling' },
    ]);
  });

  it('reports bad names, roles and descriptions', () => {
    const input = basePolicy();
    input.members.Zed = ['holder'];
    input.members.alice = ['admin'];
    input.triggers['network-outage'] = 42;
    const nameRule = 'invalid name: use 1-64 lowercase letters, digits, ".", "_" or "-", ' + 'starting with a letter or digit';
    expect(problemsOf(input)).toEqual([
      { path: 'triggers.network-outage', message: 'expected a string, got 42' },
      {
        path: 'members.alice[0]',
        message: 'must be one of "holder", "requester", "reviewer", got "admin"',
      },
      { path: 'members.Zed', message: nameRule },
    ]);
  });

  it('reports every bad credential field, quoting an id that contains a dot', () => {
    const input = basePolicy();
    input.members.dave = ['requester'];
    input.credentials = {
      'db.root': {
        holders: [],
        threshold: 0,
        triggers: [],
        requesters: 'dave',
        unseal_minutes: 0,
        request_expiry_minutes: 10081,
        in_person_approval: 'yes',
        review: { due_hours: -1 },
      },
    };
    const at = 'credentials["db.root"]';
    expect(problemsOf(input)).toEqual([
      { path: `${at}.holders`, message: 'must not be empty' },
      { path: `${at}.threshold`, message: 'must be at least 2: no single holder may open a credential alone' },
      { path: `${at}.triggers`, message: 'must not be empty' },
      { path: `${at}.requesters`, message: 'expected a list, got "dave"' },
      { path: `${at}.unseal_minutes`, message: 'must be above 0' },
      { path: `${at}.request_expiry_minutes`, message: 'must be at most 10080 (7 days)' },
      { path: `${at}.in_person_approval`, message: 'expected true or false, got "yes"' },
      { path: `${at}.review.due_hours`, message: 'must be above 0' },
    ]);
  });

  it('reports a fractional threshold, a too long window and missing fields', () => {
    const input = basePolicy();
    const credential = cred(input);
    credential.threshold = 1.5;
    credential.unseal_minutes = 1441;
    delete credential.request_expiry_minutes;
    input.drills = { every_days: 0 };
    expect(problemsOf(input)).toEqual([
      { path: `${CRED}.threshold`, message: 'expected a whole number, got 1.5' },
      { path: `${CRED}.unseal_minutes`, message: 'must be at most 1440 (24 hours)' },
      { path: `${CRED}.request_expiry_minutes`, message: 'required' },
      { path: 'drills.every_days', message: 'must be at least 1' },
    ]);
  });
});

describe('parsePolicy', () => {
  it('throws POLICY_INVALID listing every problem in its message and details', () => {
    const input = basePolicy();
    cred(input).threshold = 4;
    input.members.erin = [];
    const before = structuredClone(input);
    let caught: unknown;
    try {
      parsePolicy(input);
    } catch (err) {
      caught = err;
    }
    expect(isBreakGlassError(caught, 'POLICY_INVALID')).toBe(true);
    if (!isBreakGlassError(caught)) return;
    expect(caught.message).toBe(
      '2 problems in policy: ' +
        'members.erin: no roles: give it at least one of holder, requester, reviewer; ' +
        `${CRED}.threshold: threshold 4 is above the 3 holders`,
    );
    expect(caught.details.problems).toEqual([
      {
        path: 'members.erin',
        message: 'no roles: give it at least one of holder, requester, reviewer',
      },
      { path: `${CRED}.threshold`, message: 'threshold 4 is above the 3 holders' },
    ]);
    expect(input).toEqual(before);
  });

  it('uses the singular for one problem', () => {
    expect(() => parsePolicy({ ...basePolicy(), version: 3 })).toThrow(/^1 problem in policy: version: must be 1, got 3$/);
  });
});

describe('hasRole and credentialPolicy', () => {
  const policy = parsePolicy(basePolicy());

  it('answer from the policy', () => {
    expect(hasRole(policy, 'carol', 'reviewer')).toBe(true);
    expect(hasRole(policy, 'carol', 'requester')).toBe(false);
    expect(hasRole(policy, 'nobody', 'holder')).toBe(false);
    expect(credentialPolicy(policy, 'prod-db-root')?.threshold).toBe(2);
    expect(credentialPolicy(policy, 'nothing')).toBeUndefined();
  });

  it('never reach Object.prototype for ids like "constructor"', () => {
    expect(hasRole(policy, 'constructor', 'holder')).toBe(false);
    expect(credentialPolicy(policy, 'toString')).toBeUndefined();
    expect(credentialPolicy(policy, '__proto__')).toBeUndefined();
  });
});

describe('policyJsonSchema', () => {
  const published = `${JSON.stringify(policyJsonSchema(), null, 2)}\n`;

  it('matches docs/policy.schema.json (regenerate with UPDATE_SCHEMA=1)', () => {
    if (process.env.UPDATE_SCHEMA === '1') writeFileSync(SCHEMA_URL, published);
    expect(readFileSync(SCHEMA_URL, 'utf8')).toBe(published);
  });

  it('describes the file as written: strict objects, defaulted fields optional', () => {
    expect(policyJsonSchema()).toMatchObject({
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      additionalProperties: false,
      required: ['version', 'triggers', 'members', 'credentials'],
      properties: {
        members: { propertyNames: { pattern: '^[a-z0-9][a-z0-9._-]{0,63}$' } },
        credentials: {
          additionalProperties: {
            additionalProperties: false,
            required: ['holders', 'threshold', 'triggers', 'requesters', 'unseal_minutes', 'request_expiry_minutes'],
            properties: { holders: { uniqueItems: true } },
          },
        },
      },
    });
  });
});
