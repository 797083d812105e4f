// The unsealed view: reveal on press (hidden again after a few seconds), copy with clipboard
// clearing, the window's countdown, close now. The secret lives only in this view's state.
import { useEffect, useRef, useState, type ReactNode } from 'react';
import { call } from '../client.js';
import type { Go } from '../routes.js';
import { useCall } from '../shared/use-call.js';
import { Busy, Countdown, ErrorLine, useSecondsLeft } from '../shared/ui.js';
import { T } from '../text.js';
import { MoreTime, type WindowState } from './more-time.js';

/** How long a revealed secret stays on screen, and a copied one on the clipboard. */
export const REVEAL_SECONDS = 15;
export const CLIPBOARD_SECONDS = 30;

/** Uses an unsealed credential. */
export function UnsealedView({ credential, request, go }: { credential: string; request: string; go: Go }): ReactNode {
  const { busy, error, setError, run } = useCall();
  const [windowEndsAt, setWindowEndsAt] = useState<number | null>(null);
  const [windowState, setWindowState] = useState<WindowState | null>(null);
  const [secret, setSecret] = useState<string | null>(null);
  const [hideAt, setHideAt] = useState(0);
  const [copyNote, setCopyNote] = useState<string | null>(null);
  const timers = useRef<number[]>([]);
  const windowLeft = useSecondsLeft(windowEndsAt ?? Date.now() + 1000);
  const hideLeft = useSecondsLeft(hideAt);

  useEffect(() => {
    void run(() => call('unseal.open', { request })).then((r) => {
      if (!r) return;
      setWindowEndsAt(r.windowEndsAt);
      setWindowState({ request, requester: r.requester, extensionsLeft: r.extensionsLeft, pending: r.pending });
    });
    return () => {
      for (const t of timers.current) clearTimeout(t);
      setSecret(null);
    };
  }, [request, run]);
  // The secret leaves the page when the window ends.
  useEffect(() => {
    if (windowEndsAt !== null && windowLeft === 0) setSecret(null);
  }, [windowEndsAt, windowLeft]);

  const later = (seconds: number, fn: () => void): void => {
    timers.current.push(window.setTimeout(fn, seconds * 1000));
  };
  const reveal = async (): Promise<void> => {
    const r = await run(() => call('unseal.reveal', { request, mode: 'reveal' }));
    if (!r) return;
    setSecret(r.secret);
    setHideAt(Date.now() + REVEAL_SECONDS * 1000);
    later(REVEAL_SECONDS, () => setSecret(null));
  };
  const copy = async (): Promise<void> => {
    if (!navigator.clipboard) return setError(T.unsealed.noClipboard);
    const r = await run(() => call('unseal.reveal', { request, mode: 'copy' }));
    if (!r) return;
    try {
      await navigator.clipboard.writeText(r.secret);
      setCopyNote(T.unsealed.copied(CLIPBOARD_SECONDS));
      later(CLIPBOARD_SECONDS, () => {
        void navigator.clipboard.writeText('').then(() => setCopyNote(T.unsealed.cleared));
      });
    } catch {
      setError(T.unsealed.noClipboard);
    }
  };
  const close = async (): Promise<void> => {
    setSecret(null);
    const r = await run(() => call('window.close', { credential }));
    if (r) go({ view: 'review', credential });
  };

  return (
    <section aria-labelledby="unsealed-title">
      <h2 id="unsealed-title">{T.unsealed.title(credential)}</h2>
      <p>{T.unsealed.intro}</p>
      {windowEndsAt !== null ? <Countdown label={T.unsealed.left} until={windowEndsAt} /> : null}
      <Busy busy={busy} />
      <ErrorLine error={error} />
      <div className="actions">
        {secret === null ? (
          <button type="button" onClick={() => void reveal()} disabled={busy}>
            {T.unsealed.reveal}
          </button>
        ) : (
          <button type="button" onClick={() => setSecret(null)}>
            {T.unsealed.hide}
          </button>
        )}
        <button type="button" onClick={() => void copy()} disabled={busy}>
          {T.unsealed.copy}
        </button>
        <button type="button" className="danger" onClick={() => void close()} disabled={busy}>
          {T.unsealed.close}
        </button>
      </div>
      {secret !== null ? (
        <div className="secret-box">
          <p className="label" id="secret-label">
            {T.unsealed.secret}
          </p>
          <output aria-labelledby="secret-label" className="secret">
            {secret}
          </output>
          <p className="hint">{T.unsealed.hiddenIn(hideLeft)}</p>
        </div>
      ) : null}
      {copyNote ? <p role="status">{copyNote}</p> : null}
      {windowState ? <MoreTime state={windowState} onGranted={setWindowEndsAt} /> : null}
    </section>
  );
}
