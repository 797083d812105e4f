// The members view: who is enrolled here, their roles in the policy and their keys' fingerprints.
import { useEffect, useState, type ReactNode } from 'react';
import type { MemberView } from '../../../src/core/ipc.js';
import { shortFingerprint } from '../../../src/core/ui.js';
import { call } from '../client.js';
import { useCall } from '../shared/use-call.js';
import { Busy, ErrorLine } from '../shared/ui.js';
import { T } from '../text.js';

/** Lists the enrolled members. */
export function MembersView(): ReactNode {
  const { busy, error, run } = useCall();
  const [members, setMembers] = useState<readonly MemberView[]>([]);
  useEffect(() => {
    void run(() => call('members.list', {})).then((m) => m && setMembers(m));
  }, [run]);
  return (
    <section aria-labelledby="members-title">
      <h2 id="members-title">{T.members.title}</h2>
      <Busy busy={busy} />
      <ErrorLine error={error} />
      <table>
        <thead>
          <tr>
            {T.members.columns.map((c) => (
              <th key={c} scope="col">
                {c}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {members.map((m) => (
            <tr key={m.id}>
              <th scope="row">{m.id}</th>
              <td>{m.name}</td>
              <td>{m.roles.join(', ')}</td>
              <td className="mono">{m.fingerprint ? shortFingerprint(m.fingerprint) : '?'}</td>
              <td>{m.custody ? T.members.yes : T.members.no}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
