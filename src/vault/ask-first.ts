// Ask first, then lock: a use case that waits for a person (a passphrase typed at a prompt) runs
// twice. First as a rehearsal on a read-only session, with no lock held: every check it makes before
// its commit runs and every question is asked; nothing is written, except that a wrong passphrase is
// journaled the moment it is typed (a short commit of its own, as before any retry). Then for real
// under the vault's lock, on the vault as it is by then: every check runs again, and the answer each
// question last got is given again without asking anyone, and without paying the KDF again for a
// wrapped copy that did not change meanwhile. One person at a prompt never keeps another command
// (or the desktop app) from the vault.
import { BreakGlassError } from '../core/errors.js';
import type { MemberKeys } from '../crypto/index.js';
import { journalOnly, type PassphraseSource } from './members.js';
import { reachedCommit, type VaultSession } from './session.js';

/** Opens the vault read-only (`write` false) or for writing, holding its lock. */
export type OpenVault = (write: boolean) => Promise<VaultSession>;

/**
 * Runs `run` as a rehearsal and then under the lock (see above). A rehearsal that stopped (a wrong
 * passphrase three times, Ctrl-C, "no", a timeout, a check that failed) is the answer: the command
 * ends there and nothing more is written. Only a rehearsal that reached its commit, or met a refusal
 * that matters to security, goes on under the lock, where that refusal is decided again on the vault
 * as it is (a request cancelled while the person typed is not an attack) and journaled if it holds. When the run
 * under the lock asks a question the rehearsal did not, it is refused with STATE_CONFLICT rather
 * than asked with the lock held.
 */
export async function askFirst<T>(
  open: OpenVault,
  passphrase: PassphraseSource,
  run: (session: VaultSession, passphrase: PassphraseSource) => Promise<T>,
): Promise<T> {
  const typed = new Map<string, string>();
  const unwrapped = new Map<string, MemberKeys | BreakGlassError>();
  const asking: PassphraseSource = Object.assign(
    async (prompt: string, question = prompt): Promise<string> => {
      const answer = await passphrase(prompt, question);
      typed.set(question, answer);
      return answer;
    },
    { tries: passphrase.tries ?? 1, unwrapped },
  );
  // Under the lock each question gets the answer that stood (the wrong tries before it are journaled already).
  const answering: PassphraseSource = Object.assign(
    async (_prompt: string, question = _prompt): Promise<string> => {
      const answer = typed.get(question);
      if (answer === undefined) {
        throw new BreakGlassError(
          'STATE_CONFLICT',
          `the vault changed while the command was asking: it now needs another answer (${question}); run the command again`,
        );
      }
      return answer;
    },
    { tries: 1, unwrapped },
  );
  // A wrong passphrase is journaled as it is typed, under the lock for that commit only.
  const journalNow = async (err: BreakGlassError, actor: string, subject: string, data: Record<string, unknown>): Promise<void> => {
    const session = await open(true);
    try {
      await journalOnly(session, err, actor, subject, data);
    } finally {
      await session.close();
    }
  };
  try {
    const rehearsal = await open(false);
    try {
      rehearsal.rehearse(journalNow);
      await run(rehearsal, asking);
    } catch (err) {
      // A refusal (other than a wrong passphrase, journaled already) is decided again, and journaled, under the lock.
      if (!reachedCommit(err) && rehearsal.rehearsedRefusals === 0) throw err;
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
