// More time in an open unseal window: the requester asks in person (signed with their passphrase),
// then each holder of the split approves in person; the approval that completes the quorum moves the
// window's end by one unseal length. How many times was fixed by the signed request.
import { useEffect, useState, type FormEvent, type ReactNode } from 'react';
import type { ExtensionView, MemberView } from '../../../src/core/ipc.js';
import { call } from '../client.js';
import { useCall } from '../shared/use-call.js';
import { Busy, ErrorLine, Field, HiddenField } from '../shared/ui.js';
import { formatMoment, T } from '../text.js';

export interface WindowState {
  readonly request: string;
  readonly requester: string;
  readonly extensionsLeft: number;
  readonly pending: ExtensionView | null;
}

/** Asks for, and approves, an extension of the window; `onGranted` gets the window's new end. */
export function MoreTime({ state, onGranted }: { state: WindowState; onGranted(windowEndsAt: number): void }): ReactNode {
  const { busy, error, run } = useCall();
  const [pending, setPending] = useState<ExtensionView | null>(state.pending);
  const [left, setLeft] = useState(state.extensionsLeft);
  const [reason, setReason] = useState('');
  const [passphrase, setPassphrase] = useState('');
  const [holder, setHolder] = useState('');
  const [members, setMembers] = useState<readonly MemberView[]>([]);
  const [granted, setGranted] = useState<string | null>(null);
  useEffect(() => {
    void run(() => call('members.list', {})).then((m) => m && setMembers(m));
  }, [run]);
  const waiting = pending ? pending.holders.filter((h) => !pending.approvals.includes(h) && members.find((m) => m.id === h)?.custody) : [];
  const approver = waiting.includes(holder) ? holder : (waiting[0] ?? '');

  const ask = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    const input = { request: state.request, reason, passphrase };
    setPassphrase('');
    const x = await run(() => call('extension.ask', input));
    if (x) {
      setPending(x);
      setReason('');
    }
  };
  const approve = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    if (!pending) return;
    const input = { extension: pending.id, holder: approver, passphrase };
    setPassphrase('');
    const x = await run(() => call('extension.approve', input));
    if (!x) return;
    if (x.granted) {
      setPending(null);
      setLeft((n) => n - 1);
      setGranted(T.moreTime.granted(formatMoment(x.newWindowEndsAt)));
      onGranted(x.newWindowEndsAt);
    } else setPending(x);
  };

  return (
    <section aria-labelledby="more-time-title">
      <h3 id="more-time-title">{T.moreTime.title}</h3>
      <Busy busy={busy} />
      <ErrorLine error={error} />
      {granted ? <p role="status">{granted}</p> : null}
      {pending ? (
        <form onSubmit={(e) => void approve(e)} aria-label={T.moreTime.approveTitle}>
          <p role="status">
            {T.moreTime.waiting(
              pending.number,
              pending.maxExtensions,
              pending.approvals.length,
              pending.threshold,
              formatMoment(pending.newWindowEndsAt),
            )}
          </p>
          {waiting.length > 0 ? (
            <>
              <Field label={T.approvals.holder}>
                {(id) => (
                  <select id={id} value={approver} onChange={(e) => setHolder(e.target.value)}>
                    {waiting.map((h) => (
                      <option key={h}>{h}</option>
                    ))}
                  </select>
                )}
              </Field>
              <HiddenField label={T.breakGlass.passphrase(approver)} value={passphrase} onChange={setPassphrase} />
              <button type="submit" disabled={busy}>
                {T.moreTime.approve}
              </button>
            </>
          ) : (
            <p>{T.moreTime.noneHere}</p>
          )}
        </form>
      ) : left > 0 ? (
        <form onSubmit={(e) => void ask(e)} aria-label={T.moreTime.askTitle}>
          <p>{T.moreTime.intro(left)}</p>
          <Field label={T.moreTime.reason}>{(id) => <textarea id={id} value={reason} onChange={(e) => setReason(e.target.value)} />}</Field>
          <HiddenField label={T.breakGlass.passphrase(state.requester)} value={passphrase} onChange={setPassphrase} />
          <button type="submit" disabled={busy}>
            {T.moreTime.ask}
          </button>
        </form>
      ) : (
        <p>{T.moreTime.noMore}</p>
      )}
    </section>
  );
}
