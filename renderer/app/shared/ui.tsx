// Small building blocks every view uses: labelled fields, an error line, a busy line, a countdown.
import { useEffect, useId, useState, type ReactNode } from 'react';
import { T } from '../text.js';

/** A labelled field: the label is tied to its control, so every field has an accessible name. */
export function Field(props: { label: string; children: (id: string) => ReactNode; hint?: string }): ReactNode {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{props.label}</label>
      {props.children(id)}
      {props.hint ? <p className="hint">{props.hint}</p> : null}
    </div>
  );
}

/** A labelled field whose text is not shown (a passphrase, a new secret), never autofilled. */
export function HiddenField(props: { label: string; value: string; onChange(value: string): void }): ReactNode {
  return (
    <Field label={props.label}>
      {(id) => <input id={id} type="password" autoComplete="off" value={props.value} onChange={(e) => props.onChange(e.target.value)} />}
    </Field>
  );
}

/** The error of the last call, read out by screen readers as it appears. */
export function ErrorLine({ error }: { error: string | null }): ReactNode {
  return error ? (
    <p role="alert" className="error">
      {error}
    </p>
  ) : null;
}

/** A busy line for long steps (scrypt, verification), so nothing looks frozen. */
export function Busy({ busy }: { busy: boolean }): ReactNode {
  return busy ? (
    <p role="status" className="busy">
      {T.busy}
    </p>
  ) : null;
}

/** Seconds left until `until`, ticking each second. */
export function useSecondsLeft(until: number): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  return Math.max(0, Math.floor((until - now) / 1000));
}

/** Whether the moment `at` has passed, checked each second: true only once it has (as the vault judges it), never a second early. */
export function usePassed(at: number): boolean {
  useSecondsLeft(at);
  return Date.now() > at;
}

/** A countdown such as "14:59", with its label. */
export function Countdown({ label, until }: { label: string; until: number }): ReactNode {
  const left = useSecondsLeft(until);
  const text = left === 0 ? T.countdownEnded : `${Math.floor(left / 60)}:${String(left % 60).padStart(2, '0')}`;
  return (
    <p className="countdown">
      {label}: <strong>{text}</strong>
    </p>
  );
}

/** Offers `text` as a file download, made in the page (nothing goes back to the vault). */
export function saveFile(name: string, text: string, type = 'application/json'): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
