// The settings view: this vault, the journal server it is enrolled with, enrolment, and "Sync now"
// with its progress (the desktop app's loop events in Electron; the call's own answer in a browser).
import { useCallback, useEffect, useRef, useState, type FormEvent, type ReactNode, type RefObject } from 'react';
import type { ErrorCode } from '../../../src/core/errors.js';
import type { SyncEventView, SyncNowView, SyncStatusView } from '../../../src/core/ipc.js';
import { call, onSyncEvent } from '../client.js';
import { useCall } from '../shared/use-call.js';
import { Busy, ErrorLine, Field } from '../shared/ui.js';
import { formatTime, syncErrorSentence, T } from '../text.js';

function Fact({ label, children, mono, hint }: { label: string; children: ReactNode; mono?: boolean; hint?: string }): ReactNode {
  return (
    <div className="fact">
      <dt>{label}</dt>
      <dd>
        <span className={mono ? 'mono' : undefined}>{children}</span>
        {hint ? <span className="hint block">{hint}</span> : null}
      </dd>
    </div>
  );
}

/** What the desktop app's sync loop last said, as a sentence (null before it said anything). */
function loopSentence(event: SyncEventView): string | null {
  switch (event.type) {
    case 'online':
      return T.settings.loop.online;
    case 'offline':
      return T.settings.loop.offline(event.message);
    case 'progress':
      return T.settings.progress(event.progress.uploaded, event.progress.serverSize, event.progress.localSize);
    case 'synced':
      return T.settings.loop.synced(event.result.serverSize, event.result.localSize);
    case 'error':
      return T.settings.loop.error(syncErrorSentence({ code: event.code as ErrorCode, message: event.message }));
  }
}

/** A token's password field: its value lives in the field only (never in React state), taken and cleared at submit. */
function useTokenField(): { ref: RefObject<HTMLInputElement | null>; take(): string } {
  const ref = useRef<HTMLInputElement>(null);
  const take = (): string => {
    const field = ref.current!;
    const value = field.value;
    field.value = '';
    return value;
  };
  return { ref, take };
}

/** The enrolment form; the token is cleared from its field when the call starts. */
function EnrolForm({ busy, enrol }: { busy: boolean; enrol(server: string, token: string, serverKey: string): Promise<void> }): ReactNode {
  const [server, setServer] = useState('');
  const [serverKey, setServerKey] = useState('');
  const token = useTokenField();
  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    await enrol(server, token.take(), serverKey);
  };
  return (
    <form onSubmit={(e) => void submit(e)} aria-label={T.settings.enrol}>
      <p>{T.settings.notEnrolled}</p>
      <Field label={T.settings.server} hint={T.settings.serverHint}>
        {(id) => (
          <input
            id={id}
            type="text"
            inputMode="url"
            autoComplete="url"
            spellCheck={false}
            value={server}
            onChange={(e) => setServer(e.target.value)}
          />
        )}
      </Field>
      <Field label={T.settings.token} hint={T.settings.tokenHint}>
        {(id) => <input id={id} ref={token.ref} type="password" autoComplete="off" spellCheck={false} />}
      </Field>
      <Field label={T.settings.expectedKey} hint={T.settings.expectedKeyHint}>
        {(id) => (
          <input
            id={id}
            type="text"
            autoComplete="off"
            spellCheck={false}
            className="mono"
            value={serverKey}
            onChange={(e) => setServerKey(e.target.value)}
          />
        )}
      </Field>
      <button type="submit" disabled={busy}>
        {T.settings.enrol}
      </button>
    </form>
  );
}

/** Enrolling again after security revoked this device: only a new token; server and key stay those pinned. */
function EnrolAgainForm({ busy, again }: { busy: boolean; again(token: string): Promise<void> }): ReactNode {
  const token = useTokenField();
  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    await again(token.take());
  };
  return (
    <details>
      <summary>{T.settings.again}</summary>
      <form onSubmit={(e) => void submit(e)} aria-label={T.settings.again}>
        <p>{T.settings.againIntro}</p>
        <Field label={T.settings.againToken} hint={T.settings.tokenHint}>
          {(id) => <input id={id} ref={token.ref} type="password" autoComplete="off" spellCheck={false} />}
        </Field>
        <button type="submit" disabled={busy}>
          {T.settings.again}
        </button>
      </form>
    </details>
  );
}

/** Shows this vault's sync and lets the person enrol it and sync it now; `changed` after each step that journals. */
export function SettingsView({ changed }: { changed(): void }): ReactNode {
  const { busy, error, setError, run } = useCall();
  const [status, setStatus] = useState<SyncStatusView | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [synced, setSynced] = useState<SyncNowView | null>(null);
  const [syncing, setSyncing] = useState(false);
  const [progress, setProgress] = useState<string | null>(null);
  const [loop, setLoop] = useState<string | null>(null);
  useEffect(() => {
    void run(() => call('sync.status', {})).then((s) => s && setStatus(s));
  }, [run]);
  // After a step, quietly: the step's own error stays on screen.
  const refresh = useCallback(() => {
    changed();
    void call('sync.status', {}).then((r) => r.ok && setStatus(r.value));
  }, [changed]);
  useEffect(() => {
    const stop = onSyncEvent((event) => {
      if (event.type === 'progress') setProgress(loopSentence(event));
      else setLoop(loopSentence(event));
      if (event.type === 'synced') refresh();
    });
    return stop ?? undefined;
  }, [refresh]);

  const enrol = async (server: string, token: string, serverKey: string): Promise<void> => {
    setNotice(null);
    const r = await run(() => call('sync.enroll', { server, token, ...(serverKey.trim() ? { serverKey } : {}) }));
    if (r) setNotice(T.settings.enrolled(r.device));
    refresh();
  };
  const enrolAgain = async (token: string): Promise<void> => {
    setNotice(null);
    setSynced(null);
    const r = await run(() => call('sync.enrollAgain', { token }));
    if (r) setNotice(T.settings.enrolledAgain(r.device, r.serverSize));
    refresh();
  };
  const syncNow = async (): Promise<void> => {
    setNotice(null);
    setSynced(null);
    setProgress(null);
    setSyncing(true);
    setError(null);
    try {
      // Not through `run`: a sync round's failure has its own advice (UNAUTHENTICATED is about this device).
      const r = await call('sync.now', {});
      if (r.ok) setSynced(r.value);
      else setError(syncErrorSentence(r.error));
    } finally {
      setSyncing(false);
      setProgress(null);
    }
    refresh();
  };

  const e = status?.enrolment;
  const last = status?.lastReceipt;
  return (
    <section aria-labelledby="settings-title">
      <h2 id="settings-title">{T.settings.title}</h2>
      <ErrorLine error={error} />
      {status ? (
        <>
          <h3>{T.settings.vaultTitle}</h3>
          <dl>
            <Fact label={T.settings.name}>{status.vaultName}</Fact>
            <Fact label={T.settings.folder} mono>
              {status.vaultDir}
            </Fact>
            <Fact label={T.settings.journal} mono>
              {status.journal}
            </Fact>
            <Fact label={T.settings.entries}>{status.localSize}</Fact>
          </dl>
          <h3>{T.settings.serverTitle}</h3>
          {notice ? (
            <p role="status" className="ok">
              {notice}
            </p>
          ) : null}
          {e ? (
            <>
              <dl>
                <Fact label={T.settings.server} mono>
                  {e.server}
                </Fact>
                <Fact label={T.settings.serverKey} mono hint={T.settings.serverKeyHint}>
                  {e.serverKey}
                </Fact>
                <Fact label={T.settings.device} mono>
                  {e.device}
                </Fact>
                <Fact label={T.settings.enrolledAt}>{formatTime(e.enrolledAt)}</Fact>
                <Fact label={T.settings.lastReceipt}>
                  {last ? T.settings.receipt(last.size, formatTime(last.time), last.seq) : T.settings.noReceipt}
                </Fact>
                {status.unsynced !== null ? (
                  <Fact label={T.settings.unsynced} hint={T.settings.unsyncedHint}>
                    {T.settings.entriesCount(status.unsynced)}
                  </Fact>
                ) : null}
              </dl>
              {loop ? <p role="status">{loop}</p> : null}
              <div className="actions">
                <button type="button" onClick={() => void syncNow()} disabled={busy || syncing}>
                  {T.settings.syncNow}
                </button>
              </div>
              {syncing ? (
                <div role="status" className="busy">
                  <p>{progress ?? T.settings.syncing}</p>
                  <progress aria-label={T.settings.syncing} />
                </div>
              ) : null}
              {synced ? (
                <p role="status" className="ok">
                  {T.settings.synced(
                    synced.uploaded,
                    synced.serverSize,
                    synced.localSize,
                    formatTime(synced.receipt.time),
                    synced.receiptSeq,
                  )}
                </p>
              ) : null}
              <EnrolAgainForm busy={busy || syncing} again={enrolAgain} />
            </>
          ) : (
            <EnrolForm busy={busy} enrol={enrol} />
          )}
        </>
      ) : (
        <Busy busy={busy} />
      )}
    </section>
  );
}
