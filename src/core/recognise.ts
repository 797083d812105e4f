import { BreakGlassError } from './errors.js';
import { IdSchema } from './documents.js';

/**
 * Every file the tool writes says what it is (`format`). A document handed to the wrong command
 * (a bundle to `approval import`, a card given as --custody) is recognised by it before any
 * validator runs, and the person is told in words what they hold and where it goes, instead of a
 * schema path. Such a mix-up is an honest mistake: FOREIGN_INPUT, never journaled as an attack.
 */

/** The kinds of document a command may expect. */
export type DocumentKind =
  | 'member-card'
  | 'custody'
  | 'request'
  | 'request-bundle'
  | 'approval'
  | 'drill-proof'
  | 'review'
  | 'keystore'
  | 'journal-export'
  | 'policy';

/** What a recognised document is, and where it goes, in words. */
export interface Recognised {
  readonly kind: DocumentKind;
  /** "a request bundle for bob" */
  readonly what: string;
  /** "take it to bob's laptop and run …" */
  readonly where: string;
}

/** The words for a kind, as a command names what it expected ("not an approval"). */
export const KIND_NAMES: Record<DocumentKind, string> = {
  'member-card': 'a member card',
  custody: 'a custody file',
  request: 'a signed request',
  'request-bundle': 'a request bundle',
  approval: 'an approval',
  'drill-proof': "a drill's approval",
  review: 'a signed review',
  keystore: 'a key store file',
  'journal-export': 'a journal export',
  policy: 'a policy',
};

const record = (value: unknown): Record<string, unknown> | null =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;

/** An id from a document not yet validated: shown only when it is a well-formed id, else a placeholder. */
const idOf = (value: unknown, otherwise: string): string =>
  typeof value === 'string' && IdSchema.safeParse(value).success ? value : otherwise;

/**
 * What `input` (a parsed JSON or YAML document) says it is, from its `format` (or, for a policy and
 * a journal export line, which have none, from their shape); null when it names nothing this tool writes.
 */
export function recogniseDocument(input: unknown): Recognised | null {
  const doc = record(input);
  if (!doc) return null;
  const format = doc['format'];
  switch (format) {
    case 'breakglass.member-card': {
      const id = idOf(doc['id'], 'a member');
      return {
        kind: 'member-card',
        what: `the member card of ${id}`,
        where: `enrol it at the vault laptop with "breakglass member add CARD" (a custody copy goes with --custody FILE)`,
      };
    }
    case 'breakglass.custody': {
      const id = idOf(doc['member'], 'a member');
      return {
        kind: 'custody',
        what: `a custody file (the passphrase-wrapped keys of ${id})`,
        where: `give it with --custody, next to ${id}'s card: "breakglass member add CARD --custody FILE"`,
      };
    }
    case 'breakglass.request': {
      const id = idOf(doc['id'], 'REQUEST');
      return {
        kind: 'request',
        what: `a signed request (${id}) without its bundle`,
        where: `at the vault laptop, "breakglass request export ${id} --holder ID --out FILE" makes the bundle a holder approves`,
      };
    }
    case 'breakglass.request-bundle': {
      const holder = idOf(doc['holder'], 'its holder');
      const request = idOf(record(doc['request'])?.['id'], 'a request');
      return {
        kind: 'request-bundle',
        what: `a request bundle for ${holder} (request ${request})`,
        where: `take it to ${holder}'s laptop and run "breakglass approve --bundle FILE --out FILE" there`,
      };
    }
    case 'breakglass.review': {
      const request = idOf(doc['request'], 'a request');
      return {
        kind: 'review',
        what: `the signed review of request ${request}`,
        where: 'a review is signed at the vault laptop with "breakglass review" and kept in its journal; no command reads it from a file',
      };
    }
    case 'breakglass.keystore':
      return { kind: 'keystore', what: 'a key store file', where: 'give it with --keystore file:PATH' };
    default:
      break;
  }
  // An approval travels as { body, sig }: its format is its body's.
  const body = record(doc['body']);
  if (body && (body['format'] === 'breakglass.approval' || body['format'] === 'breakglass.drill-proof')) {
    const holder = idOf(body['holder'], 'a holder');
    const request = idOf(body['request'], 'a request');
    const drill = body['format'] === 'breakglass.drill-proof';
    return {
      kind: drill ? 'drill-proof' : 'approval',
      what: `${holder}'s ${drill ? 'drill approval (a proof of their share)' : 'approval'} of request ${request}`,
      where: 'take it to the vault laptop and run "breakglass approval import FILE" there',
    };
  }
  if (format !== undefined) return null;
  if (record(doc['entry']) && typeof doc['hash'] === 'string' && typeof doc['sig'] === 'string') {
    return {
      kind: 'journal-export',
      what: 'a journal export (JSON Lines of signed entries)',
      where: 'check it with "breakglass journal verify --file EXPORT --genesis-key KEY"',
    };
  }
  if (record(doc['credentials']) && record(doc['triggers'])) {
    return {
      kind: 'policy',
      what: 'a policy',
      where: 'check it with "breakglass policy check FILE" and put it in force with "breakglass policy set FILE"',
    };
  }
  return null;
}

/**
 * Refuses (FOREIGN_INPUT) a document that says it is another kind than `expected`, naming what it
 * is and where it goes; anything else (the expected kind, or nothing recognisable) passes on to the
 * validator, which names what is wrong with it.
 */
export function assertDocumentKind(input: unknown, expected: DocumentKind | readonly DocumentKind[], source?: string): void {
  const kinds: readonly DocumentKind[] = typeof expected === 'string' ? [expected] : expected;
  const found = recogniseDocument(input);
  if (!found || kinds.includes(found.kind)) return;
  const wanted = KIND_NAMES[kinds[0]!];
  throw new BreakGlassError('FOREIGN_INPUT', `${source ? `${source} is` : 'this is'} ${found.what}, not ${wanted}; ${found.where}`, {
    found: found.kind,
    expected: kinds[0],
  });
}
