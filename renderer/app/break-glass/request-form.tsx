// The break-glass form: credential, a trigger from its policy, reason, incident, requester, passphrase.
import { useState, type FormEvent, type ReactNode } from 'react';
import type { CredentialDetail, RequestView } from '../../../src/core/ipc.js';
import { call } from '../client.js';
import { useCall } from '../shared/use-call.js';
import { Busy, ErrorLine, Field, HiddenField } from '../shared/ui.js';
import { T } from '../text.js';

/** Opens a request signed by the requester; the passphrase is dropped as soon as the call returns. */
export function RequestForm(props: { detail: CredentialDetail; drill: boolean; onOpened(r: RequestView): void }): ReactNode {
  const { detail, drill, onOpened } = props;
  const { busy, error, run } = useCall();
  const [trigger, setTrigger] = useState(detail.triggers[0]?.name ?? '');
  const [reason, setReason] = useState('');
  const [incident, setIncident] = useState('');
  const [requester, setRequester] = useState(detail.requesters[0] ?? '');
  const [passphrase, setPassphrase] = useState('');
  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    const credential = detail.credential.id;
    const input = { credential, trigger, reason, incident, requester, passphrase };
    setPassphrase('');
    const r = await run(() =>
      drill ? call('drill.start', { credential, requester, passphrase: input.passphrase }) : call('request.open', input),
    );
    if (r) onOpened(r);
  };
  const description = detail.triggers.find((t) => t.name === trigger)?.description;
  return (
    <form onSubmit={(e) => void submit(e)} aria-label={T.breakGlass.title(detail.credential.id)}>
      <p>{drill ? T.breakGlass.drillIntro : T.breakGlass.intro}</p>
      {drill ? null : (
        <>
          <Field label={T.breakGlass.trigger} {...(description ? { hint: description } : {})}>
            {(id) => (
              <select id={id} value={trigger} onChange={(e) => setTrigger(e.target.value)}>
                {detail.triggers.map((t) => (
                  <option key={t.name} value={t.name}>
                    {t.name}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Field label={T.breakGlass.reason}>
            {(id) => <textarea id={id} rows={3} required value={reason} onChange={(e) => setReason(e.target.value)} />}
          </Field>
          <Field label={T.breakGlass.incident}>
            {(id) => <input id={id} required value={incident} onChange={(e) => setIncident(e.target.value)} />}
          </Field>
        </>
      )}
      <Field label={T.breakGlass.requester}>
        {(id) => (
          <select id={id} value={requester} onChange={(e) => setRequester(e.target.value)}>
            {detail.requesters.map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>
        )}
      </Field>
      <HiddenField label={T.breakGlass.passphrase(requester)} value={passphrase} onChange={setPassphrase} />
      <button type="submit" disabled={busy}>
        {drill ? T.breakGlass.drillSubmit : T.breakGlass.submit}
      </button>
      <Busy busy={busy} />
      <ErrorLine error={error} />
    </form>
  );
}
