// Holder mode: import a request, see exactly what is being approved, approve or decline with the
// passphrase, and hand the approval back as QR code, text code and file.
import { useState, type FormEvent, type ReactNode } from 'react';
import type { HandOver, HolderView as HolderFacts } from '../../../src/core/ipc.js';
import { shortFingerprint } from '../../../src/core/ui.js';
import { call } from '../client.js';
import { CodeInput } from '../shared/code-input.js';
import { HandOverPanel } from '../shared/hand-over.js';
import { RequestFacts } from '../shared/request-facts.js';
import { useCall } from '../shared/use-call.js';
import { Busy, ErrorLine, HiddenField } from '../shared/ui.js';
import { errorSentence, T } from '../text.js';

function witnessRows(v: HolderFacts): [string, string][] {
  const who = v.body.requester;
  const seen = v.witness.seen ? `; the highest this laptop saw is seq ${v.witness.seen.seq}` : '';
  return [
    [
      T.request.requester,
      `${v.requesterName} (${who}), key ${shortFingerprint(v.requesterKey)}… (${T.holder.pin[v.witness.requester](who)})`,
    ],
    [T.request.journal, T.holder.genesis[v.witness.genesis]],
    [T.request.position, `seq ${v.anchor.seq} ${T.holder.vaultsWord}${T.holder.anchor[v.witness.anchor]}${seen}`],
    [T.request.asHolder, `${v.holder} (this laptop checks its own key in both splits before it signs)`],
  ];
}

/** Approves a request on the holder's own laptop. */
export function HolderView(): ReactNode {
  const { busy, error, setError, run } = useCall();
  const [code, setCode] = useState('');
  const [facts, setFacts] = useState<HolderFacts | null>(null);
  const [passphrase, setPassphrase] = useState('');
  const [approval, setApproval] = useState<HandOver | null>(null);
  const [declined, setDeclined] = useState(false);

  const read = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    setApproval(null);
    setDeclined(false);
    if (code.trim() === '') {
      setFacts(null);
      return setError(T.codeInput.empty);
    }
    setFacts(
      await run(
        () => call('holder.read', { code }),
        (err) => errorSentence(err, err.code === 'FOREIGN_INPUT' ? T.holder.notForThisLaptop : undefined),
      ),
    );
  };
  const approve = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    const input = { code, passphrase };
    const holder = facts?.holder ?? '';
    setPassphrase('');
    // NOT_FOUND or FOREIGN_INPUT here means this laptop has no keys for the bundle's holder: the
    // request was brought to the wrong laptop, which the general advice for the code would not say.
    const wrongLaptop = (code: string): boolean => code === 'NOT_FOUND' || code === 'FOREIGN_INPUT';
    const r = await run(
      () => call('holder.approve', input),
      (err) => errorSentence(err, wrongLaptop(err.code) ? T.holder.notHere(holder) : undefined),
    );
    if (r) setApproval(r);
  };
  const decline = (): void => {
    setPassphrase('');
    setFacts(null);
    setCode('');
    setDeclined(true);
  };
  const rows = facts ? witnessRows(facts) : [];

  return (
    <section aria-labelledby="holder-title">
      <h2 id="holder-title">{T.holder.title}</h2>
      <p>{T.holder.intro}</p>
      <form onSubmit={(e) => void read(e)} aria-label={T.holder.read}>
        <CodeInput
          codeLabel={T.holder.code}
          fileLabel={T.holder.file}
          qrLabel={T.holder.qr}
          value={code}
          onChange={(v) => {
            // A sentence about the code that was there is not about this one.
            setError(null);
            setCode(v);
          }}
        />
        <button type="submit" disabled={busy}>
          {T.holder.read}
        </button>
      </form>
      <Busy busy={busy} />
      <ErrorLine error={error} />
      {declined ? <p role="status">{T.holder.declined}</p> : null}
      {facts && !approval ? (
        <>
          <RequestFacts body={facts.body} requester={rows[0]![1]} extra={rows.slice(1)} />
          <form onSubmit={(e) => void approve(e)} aria-label={T.holder.approve}>
            <HiddenField label={T.breakGlass.passphrase(facts.holder)} value={passphrase} onChange={setPassphrase} />
            <div className="actions">
              <button type="submit" disabled={busy}>
                {T.holder.approve}
              </button>
              <button type="button" onClick={decline} disabled={busy}>
                {T.holder.decline}
              </button>
            </div>
          </form>
        </>
      ) : null}
      {approval ? (
        <>
          <p role="status">{T.holder.given}</p>
          <HandOverPanel handOver={approval} title={T.holder.approvalTitle} />
        </>
      ) : null}
    </section>
  );
}
