// Approvals of an open request: k of n with who approved, the expiry countdown, in person, hand-over
// to remote holders, and their approvals taken back.
import { useEffect, useState, type FormEvent, type ReactNode } from 'react';
import type { HandOver, MemberView, RequestView } from '../../../src/core/ipc.js';
import { call } from '../client.js';
import type { Go } from '../routes.js';
import { CodeInput } from '../shared/code-input.js';
import { HandOverPanel } from '../shared/hand-over.js';
import { RequestFacts } from '../shared/request-facts.js';
import { useCall } from '../shared/use-call.js';
import { Busy, Countdown, ErrorLine, Field, usePassed, HiddenField } from '../shared/ui.js';
import { T } from '../text.js';

/** Everything the vault laptop does while a request waits for its approvals. */
export function Approvals({ request, go, onChange }: { request: RequestView; go: Go; onChange(r: RequestView): void }): ReactNode {
  const { busy, error, setError, run } = useCall();
  const [members, setMembers] = useState<readonly MemberView[]>([]);
  // The vault refuses the requester's own approval (SELF_APPROVAL), so nobody is offered it.
  const requester = request.body.requester;
  const waiting = request.body.holders.filter((h) => !request.approvals.includes(h) && h !== requester);
  const custody = waiting.filter((h) => members.find((m) => m.id === h)?.custody);
  const [inPerson, setInPerson] = useState('');
  const [passphrase, setPassphrase] = useState('');
  const [remote, setRemote] = useState('');
  const [handOver, setHandOver] = useState<{ holder: string; document: HandOver } | null>(null);
  const [approvalCode, setApprovalCode] = useState('');
  const met = request.approvals.length >= request.threshold;
  const [done, setDone] = useState<string | null>(null);
  const [cancelBy, setCancelBy] = useState('');
  const [cancelPassphrase, setCancelPassphrase] = useState('');
  const expired = usePassed(request.expiresAt);

  useEffect(() => {
    void run(() => call('members.list', {})).then((m) => m && setMembers(m));
  }, [run]);
  const inPersonHolder = custody.includes(inPerson) ? inPerson : (custody[0] ?? '');
  const remoteHolder = waiting.includes(remote) ? remote : (waiting[0] ?? '');

  const approveInPerson = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    const input = { request: request.id, holder: inPersonHolder, passphrase };
    setPassphrase('');
    const r = await run(() => call('approve.inPerson', input));
    if (r) onChange(r);
  };
  const exportFor = async (): Promise<void> => {
    const holder = remoteHolder;
    const h = await run(() => call('request.export', { request: request.id, holder }));
    setHandOver(h && { holder, document: h });
  };
  const importApproval = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    if (approvalCode.trim() === '') return setError(T.codeInput.empty);
    const r = await run(() => call('approval.import', { code: approvalCode }));
    if (r) {
      setApprovalCode('');
      setHandOver(null);
      onChange(r);
    }
  };
  const cancellers = [requester, ...request.approvals.filter((h) => h !== requester)];
  const canceller = cancellers.includes(cancelBy) ? cancelBy : requester;
  const cancel = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    const input = { request: request.id, by: canceller, passphrase: cancelPassphrase };
    setCancelPassphrase('');
    const r = await run(() => call('request.cancel', input));
    if (r) setDone(T.breakGlass.cancelled(r.exposed));
  };
  const completeDrill = async (): Promise<void> => {
    const d = await run(() => call('drill.complete', { credential: request.credential }));
    if (d) setDone(T.approvals.drillPassed(d.holders, (d.requestToQuorumMs / 1000).toFixed(1), d.verifyMs.toFixed(1)));
  };
  const [newSecret, setNewSecret] = useState('');
  const [sealPassphrase, setSealPassphrase] = useState('');
  const rotate = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    const input = { credential: request.credential, secret: newSecret, passphrase: sealPassphrase };
    setNewSecret('');
    setSealPassphrase('');
    const r = await run(() => call('rotate.complete', input));
    if (r) setDone(T.approvals.rotated(r.version, r.holders));
  };
  const unseal = async (): Promise<void> => {
    const r = await run(() => call('unseal.open', { request: request.id }));
    if (r) go({ view: 'unsealed', credential: request.credential, request: request.id });
  };

  return (
    <section aria-labelledby="approvals-title">
      <h3 id="approvals-title">{T.approvals.title(request.credential)}</h3>
      <p className="progress" role="status">
        <strong>{T.approvals.progress(request.approvals.length, request.threshold)}</strong>. {T.approvals.by(request.approvals)}
      </p>
      <progress
        max={request.threshold}
        value={Math.min(request.approvals.length, request.threshold)}
        aria-label={T.approvals.progress(request.approvals.length, request.threshold)}
      />
      {!met ? <Countdown label={T.approvals.expires} until={request.expiresAt} /> : null}
      {!met && !done && expired ? (
        <p role="status" className="error">
          {T.approvals.expired}
        </p>
      ) : null}
      {request.body.holders.includes(requester) && !met && !done ? <p>{T.approvals.requesterCannot(requester)}</p> : null}
      <Busy busy={busy} />
      <ErrorLine error={error} />
      {done ? (
        <div className="next-step">
          <p role="status">{done}</p>
          <button type="button" onClick={() => go({ view: 'vault' })}>
            {T.nav.vault}
          </button>
        </div>
      ) : met ? (
        <div className="next-step">
          <p>{T.approvals.quorum}</p>
          {request.purpose === 'drill' ? (
            <button type="button" onClick={() => void completeDrill()} disabled={busy}>
              {T.approvals.completeDrill}
            </button>
          ) : request.purpose === 'rotate' ? (
            <form onSubmit={(e) => void rotate(e)} aria-label={T.approvals.rotateTitle}>
              <HiddenField label={T.approvals.rotateSecret} value={newSecret} onChange={setNewSecret} />
              <HiddenField label={T.breakGlass.passphrase(requester)} value={sealPassphrase} onChange={setSealPassphrase} />
              <button type="submit" disabled={busy}>
                {T.approvals.rotate}
              </button>
            </form>
          ) : (
            <button type="button" onClick={() => void unseal()} disabled={busy}>
              {T.approvals.unseal}
            </button>
          )}
        </div>
      ) : (
        <>
          {custody.length > 0 ? (
            <form onSubmit={(e) => void approveInPerson(e)} aria-label={T.approvals.inPersonTitle}>
              <h3>{T.approvals.inPersonTitle}</h3>
              <Field label={T.approvals.holder}>
                {(id) => (
                  <select id={id} value={inPersonHolder} onChange={(e) => setInPerson(e.target.value)}>
                    {custody.map((h) => (
                      <option key={h}>{h}</option>
                    ))}
                  </select>
                )}
              </Field>
              <HiddenField label={T.breakGlass.passphrase(inPersonHolder)} value={passphrase} onChange={setPassphrase} />
              <button type="submit" disabled={busy}>
                {T.approvals.inPerson}
              </button>
            </form>
          ) : null}
          <section aria-label={T.approvals.remoteTitle}>
            <h3>{T.approvals.remoteTitle}</h3>
            <div className="row">
              <Field label={T.approvals.holder}>
                {(id) => (
                  <select id={id} value={remoteHolder} onChange={(e) => setRemote(e.target.value)}>
                    {waiting.map((h) => (
                      <option key={h}>{h}</option>
                    ))}
                  </select>
                )}
              </Field>
              <button type="button" onClick={() => void exportFor()} disabled={busy}>
                {T.approvals.makeCode}
              </button>
            </div>
            {handOver ? <HandOverPanel handOver={handOver.document} title={T.approvals.requestFor(handOver.holder)} /> : null}
          </section>
          <form onSubmit={(e) => void importApproval(e)} aria-label={T.approvals.importTitle}>
            <h3>{T.approvals.importTitle}</h3>
            <CodeInput
              codeLabel={T.approvals.importCode}
              fileLabel={T.approvals.importFile}
              qrLabel={T.approvals.importQr}
              value={approvalCode}
              onChange={(v) => {
                // A sentence about the code that was there is not about this one.
                setError(null);
                setApprovalCode(v);
              }}
            />
            <button type="submit" disabled={busy}>
              {T.approvals.import}
            </button>
          </form>
          <form onSubmit={(e) => void cancel(e)} aria-label={T.breakGlass.cancelTitle}>
            <h3>{T.breakGlass.cancelTitle}</h3>
            <div className="row">
              <Field label={T.breakGlass.cancelBy}>
                {(id) => (
                  <select id={id} value={canceller} onChange={(e) => setCancelBy(e.target.value)}>
                    {cancellers.map((m) => (
                      <option key={m}>{m}</option>
                    ))}
                  </select>
                )}
              </Field>
              <HiddenField label={T.breakGlass.passphrase(canceller)} value={cancelPassphrase} onChange={setCancelPassphrase} />
            </div>
            <button type="submit" className="danger" disabled={busy}>
              {T.breakGlass.cancel}
            </button>
          </form>
        </>
      )}
      <RequestFacts body={request.body} requester={`${request.requesterName} (${request.body.requester})`} />
    </section>
  );
}
