// Routine rotation of a credential: asked by a requester, approved by a quorum of its holders the way
// a drill is (nothing is decrypted), then the new secret is sealed in place of the old one.
import { BreakGlassError } from '../core/errors.js';
import { completeRotation, readyRotation, startRotation } from '../vault/index.js';
import { id, req, S, type Command } from './command.js';
import { withVault, withVaultAskingFirst } from './context.js';
import { readSecretInput } from './io.js';
import { nextStep, printRequest } from './request-output.js';

export const ROTATE_COMMANDS: readonly Command[] = [
  {
    words: ['rotate'],
    usage: 'rotate --credential ID [--requester ID --reason TEXT [--incident REF]] [--secret-file FILE|-]',
    summary:
      'routine rotation: with --requester, ask for it (signed in person; the holders approve as for a drill, nothing is decrypted); once approved, with --secret-file, the requester seals the new secret in place of the old one, signing it in person (no review is owed: nothing was exposed)',
    options: { credential: S, requester: S, reason: S, incident: S, 'secret-file': S },
    positionals: [],
    explain: {
      credential: 'the sealed credential to rotate',
      requester:
        'ask for a rotation, signed in person by this requester (one who may request the credential); default: complete the approved rotation (give --secret-file)',
      reason: 'why the rotation is asked for; goes with --requester',
      incident: 'with --requester: a ticket or change id; default: "rotation"',
      'secret-file':
        "complete the approved rotation: the new secret, from a file or - (as for seal), sealed and signed in person by the rotation's requester; default: ask for one (give --requester)",
    },
    examples: [
      'rotate --credential prod-db-root --requester dave --reason "quarterly rotation" --incident CHG-2210',
      'rotate --credential prod-db-root --secret-file new-root.txt',
    ],
    async run(ctx, v) {
      const credential = id(v, 'credential');
      const asking = v['requester'] !== undefined;
      const sealing = v['secret-file'] !== undefined;
      if (asking === sealing)
        throw new BreakGlassError(
          'BAD_ARGUMENTS',
          asking
            ? '--requester asks for a rotation and --secret-file completes one: give one of them'
            : `give --requester ID --reason TEXT to ask for a rotation of ${credential}, or --secret-file FILE|- to complete the one that was approved`,
        );
      if (asking) {
        const input = {
          credential,
          requester: id(v, 'requester'),
          reason: req(v, 'reason'),
          ...(typeof v['incident'] === 'string' ? { incident: v['incident'] } : {}),
        };
        const r = await withVaultAskingFirst(ctx, (session, passphrase) => startRotation(session, input, passphrase));
        printRequest(ctx, r);
        nextStep(ctx, r);
        return { started: true, request: r.id, threshold: r.threshold };
      }
      if (v['reason'] !== undefined || v['incident'] !== undefined)
        throw new BreakGlassError('BAD_ARGUMENTS', '--reason and --incident go with --requester, when the rotation is asked for');
      // Nobody types a new secret for a rotation that would be refused.
      await withVault(ctx, false, (session) => readyRotation(session, credential));
      const secret = await readSecretInput(v['secret-file'] as string, 'the new secret');
      try {
        // The requester signs the new envelope in person: asked with no lock held, as every passphrase is.
        const r = await withVaultAskingFirst(ctx, (session, passphrase) => completeRotation(session, credential, secret, passphrase));
        ctx.say(
          `${credential} rotated: version ${r.version} sealed with the new secret on the proofs of ${r.holders.join(' + ')}; the old secret's envelope is erased, and no review is owed`,
        );
        return { started: false, ...r };
      } finally {
        secret.fill(0);
      }
    },
  },
];
