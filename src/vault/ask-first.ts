// Ask first, then lock: a use case that waits for a person (a passphrase typed at a prompt) runs
// twice. First as a rehearsal on a read-only session, with no lock held: every check it makes before
// its commit runs and every question is asked (a mistyped passphrase gets its tries there); nothing
// is written. Then for real under the vault's lock, on the vault as it is by then: every check runs
// again, and the answers already typed are given again, in the order typed, without asking anyone
// (a wrong try is journaled then, as it would have been), and without paying the KDF again for a
// wrapped copy that did not change meanwhile. One person at a prompt never keeps another
// command (or the desktop app) from the vault.
import { BreakGlassError } from '../core/errors.js';
import type { MemberKeys } from '../crypto/index.js';
import type { PassphraseSource } from './members.js';
import { reachedCommit, type VaultSession } from './session.js';

/** Opens the vault read-only (`write` false) or for writing, holding its lock. */
export type OpenVault = (write: boolean) => Promise<VaultSession>;

/**
 * Runs `run` as a rehearsal and then under the lock (see above). A rehearsal that failed before
 * anyone typed, and met no refusal to journal, is the answer: nothing is written. When the run under
 * the lock asks a question the rehearsal did not (the vault changed meanwhile), it is refused with
 * STATE_CONFLICT rather than asked with the lock held.
 */
export async function askFirst<T>(
  open: OpenVault,
  passphrase: PassphraseSource,
  run: (session: VaultSession, passphrase: PassphraseSource) => Promise<T>,
): Promise<T> {
  const typed = new Map<string, string[]>();
  const unwrapped = new Map<string, MemberKeys | BreakGlassError>();
  const asking: PassphraseSource = Object.assign(
    async (prompt: string, question = prompt): Promise<string> => {
      const answer = await passphrase(prompt, question);
      typed.set(question, [...(typed.get(question) ?? []), answer]);
      return answer;
    },
    { tries: passphrase.tries ?? 1, unwrapped },
  );
  const given = new Map<string, number>();
  const answering: PassphraseSource = Object.assign(
    async (_prompt: string, question = _prompt): Promise<string> => {
      const n = given.get(question) ?? 0;
      const answer = typed.get(question)?.[n];
      if (answer === undefined) {
        throw new BreakGlassError(
          'STATE_CONFLICT',
          `the vault changed while the command was asking: it now needs another answer (${question}); run the command again`,
        );
      }
      given.set(question, n + 1);
      return answer;
    },
    { tries: passphrase.tries ?? 1, unwrapped },
  );
  try {
    const rehearsal = await open(false);
    try {
      rehearsal.rehearse();
      await run(rehearsal, asking);
    } catch (err) {
      // Anything else is decided again under the lock: a refusal is journaled there, and what a
      // person typed meets the vault as it is once they have typed it.
      if (!reachedCommit(err) && typed.size === 0 && rehearsal.rehearsedRefusals === 0) throw err;
    } finally {
      await rehearsal.close();
    }
    const session = await open(true);
    try {
      return await run(session, answering);
    } finally {
      await session.close();
    }
  } finally {
    typed.clear();
    unwrapped.clear();
  }
}
