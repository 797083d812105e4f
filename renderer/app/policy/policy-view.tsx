// The policy view: the policy in force, read-only, said to be local; and a check of any policy text.
import { useEffect, useState, type FormEvent, type ReactNode } from 'react';
import type { PolicyProblem } from '../../../src/core/policy.js';
import { call } from '../client.js';
import { useCall } from '../shared/use-call.js';
import { Busy, ErrorLine, Field } from '../shared/ui.js';
import { formatTime, T } from '../text.js';

/** Shows the policy and checks policy text. */
export function PolicyView(): ReactNode {
  const { busy, error, run } = useCall();
  const [policy, setPolicy] = useState<{ text: string; hash: string; setAt: number } | null>(null);
  const [text, setText] = useState('');
  const [check, setCheck] = useState<{ ok: boolean; problems: readonly PolicyProblem[] } | null>(null);
  useEffect(() => {
    void run(() => call('policy.show', {})).then(setPolicy);
  }, [run]);
  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    setCheck(await run(() => call('policy.check', { text })));
  };
  return (
    <section aria-labelledby="policy-title">
      <h2 id="policy-title">{T.policy.title}</h2>
      <p className="warning">{T.localPolicy}</p>
      <Busy busy={busy} />
      <ErrorLine error={error} />
      {policy ? (
        <>
          <dl>
            <div className="fact">
              <dt>{T.policy.hash}</dt>
              <dd className="mono">{policy.hash}</dd>
            </div>
            <div className="fact">
              <dt>{T.policy.setAt}</dt>
              <dd>{formatTime(policy.setAt)}</dd>
            </div>
          </dl>
          <pre tabIndex={0} aria-label={T.policy.title}>
            {policy.text}
          </pre>
        </>
      ) : null}
      <form onSubmit={(e) => void submit(e)} aria-label={T.policy.check}>
        <Field label={T.policy.check}>
          {(id) => <textarea id={id} rows={6} className="code" value={text} onChange={(e) => setText(e.target.value)} />}
        </Field>
        <button type="submit" disabled={busy}>
          {T.policy.checkButton}
        </button>
      </form>
      {check ? (
        check.ok ? (
          <p role="status" className="ok">
            {T.policy.ok}
          </p>
        ) : (
          <div role="alert" className="error">
            <ul>
              {check.problems.map((p) => (
                <li key={`${p.line ?? ''}:${p.column ?? ''}:${p.path}:${p.message}`}>
                  {p.line !== undefined ? `${T.policy.at(p.line, p.column ?? 1)}: ` : ''}
                  {p.path}: {p.message}
                </li>
              ))}
            </ul>
          </div>
        )
      ) : null}
    </section>
  );
}
