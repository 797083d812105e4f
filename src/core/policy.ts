/**
 * The break-glass policy: who holds, requests and reviews each credential, under which triggers and
 * time limits. Parsing reports every problem with its path; the vault trusts a parsed Policy.
 */
import { z } from 'zod';
import { BreakGlassError } from './errors.js';

const NAME_PATTERN = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const Name = z.string().regex(NAME_PATTERN, {
  error: 'invalid name: use 1-64 lowercase letters, digits, ".", "_" or "-", ' + 'starting with a letter or digit',
});
const Role = z.enum(['holder', 'requester', 'reviewer']);
const MemberRoles = z.array(Role).min(1, { error: 'no roles: give it at least one of holder, requester, reviewer' });
const NameList = z.array(z.string()).min(1, { error: 'must not be empty' });

const ReviewSchema = z.strictObject({
  due_hours: z.number().positive().default(24).describe('Hours after an unseal by which the activation must be reviewed.'),
  reviewer_not_requester: z.boolean().default(true).describe('The reviewer must be someone other than the requester.'),
  require_rotation: z.boolean().default(false).describe('The review must record that the credential was rotated.'),
});

const CredentialSchema = z.strictObject({
  holders: NameList.max(255, { error: 'must list at most 255 holders' }) // Shamir's limit
    .meta({ uniqueItems: true })
    .describe('Members who each hold one share of the credential.'),
  // The two-person rule is cryptographic: no single holder may be able to open a credential.
  threshold: z
    .int()
    .min(2, { error: 'must be at least 2: no single holder may open a credential alone' })
    .describe('How many holders must approve an unseal (at least 2).'),
  triggers: NameList.describe('Triggers (defined under triggers) that may justify an unseal.'),
  requesters: NameList.describe('Members who may request an unseal.'),
  // Minutes may be fractional on purpose: tests use windows of about a second.
  unseal_minutes: z
    .number()
    .positive()
    .max(1440, { error: 'must be at most 1440 (24 hours)' })
    .describe('How long the credential stays unsealed.'),
  request_expiry_minutes: z
    .number()
    .positive()
    .max(10080, { error: 'must be at most 10080 (7 days)' })
    .describe('How long a request waits for approvals.'),
  max_extensions: z
    .int()
    .min(0)
    .max(10, { error: 'must be at most 10' })
    .default(1)
    .describe(
      'How many times the holders (the same quorum as the unseal) may extend an unseal window, each time by unseal_minutes; 0: never.',
    ),
  in_person_approval: z.boolean().default(true).describe('Custody copies may be used at the vault laptop.'),
  // An omitted review block is read as {}, so each field gets its own default.
  review: ReviewSchema.prefault({}),
});

/** The zod schema of a policy file (YAML or JSON, already parsed); objects reject unknown keys. */
export const PolicySchema = z
  .strictObject({
    version: z.literal(1),
    triggers: z.record(Name, z.string()).describe('The only events that may justify breaking the glass, each with a description.'),
    members: z.record(Name, MemberRoles).describe('Roles of enrolled members, by member id.'),
    credentials: z.record(Name, CredentialSchema),
    drills: z.strictObject({ every_days: z.int().min(1) }).optional(),
  })
  .meta({ title: 'Break Glass Vault policy' });

/** A parsed policy, with defaults applied. */
export type Policy = z.output<typeof PolicySchema>;
/** The parsed policy of one credential, with defaults applied. */
export type CredentialPolicy = z.output<typeof CredentialSchema>;
/** A role a policy grants to a member. */
export type MemberRole = z.output<typeof Role>;
/**
 * One problem in a policy: where (like `credentials.prod-db-root.holders[1]`) and what to do; with
 * the 1-based line and column in the file when it was read from text.
 */
export type PolicyProblem = { path: string; message: string; line?: number; column?: number };
/** A place in a parsed policy, as keys and list indexes from its root. */
export type PolicyPath = readonly (string | number)[];
/** Where a path is in the policy's text (1-based), or undefined when the text does not say. */
export type PolicyLocator = (path: PolicyPath) => { line: number; column: number } | undefined;

/** What checkPolicy checks besides the document itself. */
export interface PolicyCheckOptions {
  /** Gives each problem its line and column in the text the input was read from. */
  readonly locate?: PolicyLocator;
  /** The members enrolled at a vault (`vault` names it): every member the policy names must be one. */
  readonly enrolled?: { readonly ids: ReadonlySet<string>; readonly vault: string };
}

/** Checks a policy against the schema and across its references, reporting every problem found. */
export function checkPolicy(
  input: unknown,
  options: PolicyCheckOptions = {},
): { ok: true; policy: Policy } | { ok: false; problems: PolicyProblem[] } {
  const parsed = PolicySchema.safeParse(input, { error: issueMessage });
  const found = parsed.success ? [] : parsed.error.issues.flatMap(toProblems);
  found.push(...crossCheck(input));
  if (options.enrolled) found.push(...checkEnrolment(input, options.enrolled.ids, options.enrolled.vault));
  const problems = found.map(({ at, message }) => policyProblem(at, message, options.locate));
  if (parsed.success && problems.length === 0) return { ok: true, policy: parsed.data };
  return { ok: false, problems };
}

/** A problem at `at`, with its place in the text when `locate` knows it. */
export function policyProblem(at: PolicyPath | string, message: string, locate?: PolicyLocator): PolicyProblem {
  const path = typeof at === 'string' ? at : formatPath(at);
  const position = typeof at === 'string' ? undefined : locate?.(at);
  return position ? { path, message, line: position.line, column: position.column } : { path, message };
}

/** Returns the parsed policy, or throws POLICY_INVALID with every problem in details.problems. */
export function parsePolicy(input: unknown): Policy {
  const result = checkPolicy(input);
  if (result.ok) return result.policy;
  const { problems } = result;
  const count = `${problems.length} problem${problems.length === 1 ? '' : 's'}`;
  const list = problems.map((p) => `${p.path}: ${p.message}`).join('; ');
  throw new BreakGlassError('POLICY_INVALID', `${count} in policy: ${list}`, { problems });
}

/** The published JSON Schema (draft 2020-12) of a policy file, as its author writes it. */
export function policyJsonSchema(): object {
  // io: 'input' so that fields with defaults are optional, as they are in the file.
  return z.toJSONSchema(PolicySchema, { io: 'input' });
}

/** True when the policy grants `role` to `memberId`. */
export function hasRole(policy: Policy, memberId: string, role: MemberRole): boolean {
  return own(policy.members, memberId)?.includes(role) ?? false;
}

/** The policy of one credential, or undefined when the policy does not name it. */
export function credentialPolicy(policy: Policy, credentialId: string): CredentialPolicy | undefined {
  return own(policy.credentials, credentialId);
}

// Own properties only: ids such as "constructor" must not reach Object.prototype.
function own<T>(record: Record<string, T>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

type Path = PolicyPath;
/** A problem before it is formatted: where, as keys, and what. */
type Found = { at: Path; message: string };
type Shape = typeof CredentialSchema.shape;
type RawObject = Record<string, unknown>;

function isObject(value: unknown): value is RawObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// Formats a path as `a.b[1]`, quoting keys a dot would make ambiguous: `credentials["db.root"]`.
function formatPath(path: Path): string {
  if (path.length === 0) return '(root)';
  return path
    .map((key, i) => {
      if (typeof key === 'number') return `[${key}]`;
      const name = String(key);
      if (/^[A-Za-z0-9_-]+$/.test(name)) return i === 0 ? name : `.${name}`;
      return `[${JSON.stringify(name)}]`;
    })
    .join('');
}

function describeValue(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (isObject(value)) return 'a mapping';
  if (typeof value === 'string') {
    return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value);
  }
  return String(value);
}

const EXPECTED: Record<string, string> = {
  int: 'a whole number',
  number: 'a number',
  string: 'a string',
  boolean: 'true or false',
  object: 'a mapping',
  record: 'a mapping',
  array: 'a list',
};

// Lower-case, actionable messages for zod's generic issues; schema-level messages take precedence.
function issueMessage(issue: z.core.$ZodRawIssue): string | undefined {
  switch (issue.code) {
    case 'invalid_type': {
      if (issue.input === undefined) return 'required';
      // z.int() reports a non-number as expecting "number"; say what it really wants.
      const isInt = issue.inst instanceof z.core.$ZodNumberFormat;
      const expected = isInt ? 'int' : issue.expected;
      return `expected ${EXPECTED[expected] ?? expected}, got ${describeValue(issue.input)}`;
    }
    case 'invalid_value': {
      const values = issue.values.map((v) => describeValue(v));
      const expected = values.length === 1 ? values[0] : `one of ${values.join(', ')}`;
      return `must be ${expected}, got ${describeValue(issue.input)}`;
    }
    case 'too_small':
      if (issue.origin === 'array') return `must list at least ${issue.minimum} item(s)`;
      return `must be ${issue.inclusive ? 'at least' : 'above'} ${issue.minimum}`;
    case 'too_big':
      if (issue.origin === 'array') return `must list at most ${issue.maximum} item(s)`;
      return `must be ${issue.inclusive ? 'at most' : 'below'} ${issue.maximum}`;
    default:
      return undefined;
  }
}

// zod's paths hold only keys and indexes here: the schema has no symbol keys.
const keysOf = (path: readonly PropertyKey[]): Path => path.map((key) => (typeof key === 'number' ? key : String(key)));

function toProblems(issue: z.core.$ZodIssue): Found[] {
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => ({ at: [...keysOf(issue.path), key], message: 'unknown key: remove it or fix its spelling' }));
  }
  // A bad record key carries the key's own issue, whose message says what a name may be.
  const message = issue.code === 'invalid_key' ? (issue.issues[0]?.message ?? issue.message) : issue.message;
  return [{ at: keysOf(issue.path), message }];
}

/**
 * Every member the policy names under `members` must be enrolled at the vault (`ids`): a role given
 * to someone without a card there could never be used. Read from the raw input, so that a policy
 * with other problems gets these too.
 */
function checkEnrolment(input: unknown, ids: ReadonlySet<string>, vault: string): Found[] {
  if (!isObject(input) || !isObject(input.members)) return [];
  return Object.entries(input.members)
    .filter(([id]) => !ids.has(id))
    .map(([id, roles]) => {
      const granted = MemberRoles.safeParse(roles).data;
      const as = granted ? ` (${[...new Set(granted)].join(', ')})` : '';
      return {
        at: ['members', id],
        message: `member "${id}"${as} is not enrolled at the vault ${vault}: enrol their card there first, or take them out of the policy`,
      };
    });
}

/**
 * Reference checks on the raw input. Each part is parsed on its own, so a part that failed the
 * schema (already reported) is skipped while the rest is still checked.
 */
function crossCheck(input: unknown): Found[] {
  if (!isObject(input)) return [];
  const triggers = isObject(input.triggers) ? new Set(Object.keys(input.triggers)) : undefined;
  let members: Map<string, MemberRole[] | undefined> | undefined;
  if (isObject(input.members)) {
    members = new Map(Object.entries(input.members).map(([id, roles]) => [id, MemberRoles.safeParse(roles).data]));
  }
  const credentials = isObject(input.credentials) ? input.credentials : {};
  const problems: Found[] = [];
  const report = (at: Path, message: string): void => {
    problems.push({ at, message });
  };

  const checkMember = (path: Path, id: string, role: MemberRole): void => {
    if (members === undefined) return;
    if (!members.has(id)) {
      report(path, `unknown member "${id}": add it under members`);
      return;
    }
    const roles = members.get(id);
    if (roles !== undefined && !roles.includes(role)) {
      const where = formatPath(['members', id]);
      report(path, `member "${id}" lacks the ${role} role: add ${role} to ${where}`);
    }
  };

  for (const [credentialId, raw] of Object.entries(credentials)) {
    if (!isObject(raw)) continue;
    const at = (...rest: (string | number)[]): Path => ['credentials', credentialId, ...rest];
    const field = <K extends keyof Shape>(key: K): z.output<Shape[K]> | undefined =>
      CredentialSchema.shape[key].safeParse(raw[key]).data as z.output<Shape[K]> | undefined;

    const holders = field('holders');
    const firstIndex = new Map<string, number>();
    holders?.forEach((holder, i) => {
      const first = firstIndex.get(holder);
      if (first === undefined) {
        firstIndex.set(holder, i);
        checkMember(at('holders', i), holder, 'holder');
      } else {
        const message = `holder "${holder}" is already listed at holders[${first}]`;
        report(at('holders', i), `${message}: list each holder once`);
      }
    });

    const threshold = field('threshold');
    if (holders !== undefined && threshold !== undefined && threshold > firstIndex.size) {
      const count = `${firstIndex.size} holder${firstIndex.size === 1 ? '' : 's'}`;
      report(at('threshold'), `threshold ${threshold} is above the ${count}`);
    }

    field('triggers')?.forEach((trigger, i) => {
      if (triggers !== undefined && !triggers.has(trigger)) {
        report(at('triggers', i), `trigger "${trigger}" is not defined under triggers`);
      }
    });

    field('requesters')?.forEach((requester, i) => {
      checkMember(at('requesters', i), requester, 'requester');
    });
  }
  // Reseal needs a signed review, so a policy without a reviewer could never reseal anything.
  const anyCredential = Object.keys(credentials).length > 0;
  if (members !== undefined && anyCredential && ![...members.values()].some((roles) => roles?.includes('reviewer'))) {
    report(['members'], 'no member has the reviewer role: an unsealed credential could never be reviewed and resealed');
  }
  return problems;
}
