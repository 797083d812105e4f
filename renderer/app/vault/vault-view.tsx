// The vault view: every credential with its state, holders, threshold and exposure, and its next step.
import { useEffect, useState, type ReactNode } from 'react';
import type { CredentialView } from '../../../src/core/ipc.js';
import { call } from '../client.js';
import type { Go } from '../routes.js';
import { useCall } from '../shared/use-call.js';
import { Busy, ErrorLine } from '../shared/ui.js';
import { formatTime, T } from '../text.js';

function action(c: CredentialView, go: Go): ReactNode {
  const button = (label: string, onClick: () => void): ReactNode => (
    <button type="button" onClick={onClick}>
      {label}
    </button>
  );
  switch (c.state) {
    case 'SEALED':
      return (
        <div className="actions">
          {button(T.vault.breakGlass(c.id), () => go({ view: 'break-glass', credential: c.id }))}
          {button(T.vault.drill(c.id), () => go({ view: 'break-glass', credential: c.id, drill: true }))}
        </div>
      );
    case 'REQUESTED':
      return button(T.vault.approvals(c.id), () => go({ view: 'break-glass', credential: c.id }));
    case 'UNSEALED':
      return c.request ? button(T.vault.unsealed(c.id), () => go({ view: 'unsealed', credential: c.id, request: c.request! })) : null;
    case 'REVIEW_PENDING':
    case 'REVIEWED':
      return button(T.vault.review(c.id), () => go({ view: 'review', credential: c.id }));
  }
}

/** Lists the vault's credentials. */
export function VaultView({ go }: { go: Go }): ReactNode {
  const { busy, error, run } = useCall();
  const [credentials, setCredentials] = useState<readonly CredentialView[] | null>(null);
  useEffect(() => {
    void run(() => call('credentials.list', {})).then((value) => value && setCredentials(value));
  }, [run]);
  return (
    <section aria-labelledby="vault-title">
      <h2 id="vault-title">{T.vault.title}</h2>
      <Busy busy={busy} />
      <ErrorLine error={error} />
      {credentials && credentials.length === 0 ? <p>{T.vault.none}</p> : null}
      {credentials && credentials.length > 0 ? (
        <table>
          <thead>
            <tr>
              {T.vault.columns.map((c) => (
                <th key={c} scope="col">
                  {c}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {credentials.map((c) => (
              <tr key={c.id}>
                <th scope="row">
                  {c.id}
                  <br />
                  <span className="muted">{c.label}</span>
                </th>
                <td>
                  <span className={`state state-${c.state.toLowerCase()}`}>{T.state[c.state]}</span>
                  {c.exposed ? <span className="exposed"> ({T.vault.exposed})</span> : null}
                </td>
                <td>
                  {c.threshold} of {c.holders.length}: {c.holders.join(', ')}
                </td>
                <td>v{c.version}</td>
                <td>{c.lastActivation === null ? T.vault.never : formatTime(c.lastActivation)}</td>
                <td>{c.lastDrill === null ? T.vault.never : formatTime(c.lastDrill)}</td>
                <td>{action(c, go)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </section>
  );
}
