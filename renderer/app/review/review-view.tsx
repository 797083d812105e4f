// The review view: the form that must be signed before a reseal button exists; then reseal.
import { useEffect, useState, type FormEvent, type ReactNode } from 'react';
import type { CredentialDetail, MemberView } from '../../../src/core/ipc.js';
import { call } from '../client.js';
import type { Go } from '../routes.js';
import { useCall } from '../shared/use-call.js';
import { Busy, ErrorLine, Field, HiddenField } from '../shared/ui.js';
import { T } from '../text.js';

/** Signs the post-incident review of one credential, then reseals it. */
export function ReviewView({ credential, go }: { credential: string; go: Go }): ReactNode {
  const { busy, error, run } = useCall();
  const [detail, setDetail] = useState<CredentialDetail | null>(null);
  const [reviewers, setReviewers] = useState<readonly MemberView[]>([]);
  const [reviewer, setReviewer] = useState('');
  const [warranted, setWarranted] = useState<'yes' | 'no'>('yes');
  const [summary, setSummary] = useState('');
  const [changes, setChanges] = useState('');
  const [incident, setIncident] = useState('');
  const [followUp, setFollowUp] = useState('');
  const [rotated, setRotated] = useState('');
  const [passphrase, setPassphrase] = useState('');
  const [done, setDone] = useState<string | null>(null);

  useEffect(() => {
    void (async () => {
      setDetail(await run(() => call('credential.detail', { credential })));
      const m = await run(() => call('members.list', {}));
      if (m) setReviewers(m.filter((x) => x.roles.includes('reviewer')));
    })();
  }, [credential, run]);
  const who = reviewer || reviewers[0]?.id || '';
  const reviewed = detail?.credential.state === 'REVIEWED';

  const sign = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    const input = {
      credential,
      reviewer: who,
      warranted: warranted === 'yes',
      summary,
      changes,
      ...(incident.trim() ? { incident } : {}),
      ...(followUp.trim() ? { followUp } : {}),
      ...(rotated ? { rotatedSecret: rotated } : {}),
      passphrase,
    };
    setPassphrase('');
    setRotated('');
    const r = await run(() => call('review.sign', input));
    if (r) setDetail(await run(() => call('credential.detail', { credential })));
  };
  const resealNow = async (): Promise<void> => {
    const r = await run(() => call('credential.reseal', { credential }));
    if (r) setDone(T.review.resealed(r.version));
  };

  return (
    <section aria-labelledby="review-title">
      <h2 id="review-title">{T.review.title(credential)}</h2>
      <p>{T.review.intro}</p>
      <Busy busy={busy} />
      <ErrorLine error={error} />
      {done ? (
        <div role="status" className="next-step">
          <p>{done}</p>
          <button type="button" onClick={() => go({ view: 'vault' })}>
            {T.nav.vault}
          </button>
        </div>
      ) : reviewed ? (
        <div className="next-step">
          <p role="status">{T.review.signed}</p>
          <button type="button" onClick={() => void resealNow()} disabled={busy}>
            {T.review.reseal}
          </button>
        </div>
      ) : detail ? (
        <form onSubmit={(e) => void sign(e)} aria-label={T.review.title(credential)}>
          <Field label={T.review.reviewer}>
            {(id) => (
              <select id={id} value={who} onChange={(e) => setReviewer(e.target.value)}>
                {reviewers.map((r) => (
                  <option key={r.id} value={r.id}>
                    {r.name} ({r.id})
                  </option>
                ))}
              </select>
            )}
          </Field>
          <fieldset>
            <legend>{T.review.warranted}</legend>
            {(['yes', 'no'] as const).map((v) => (
              <label key={v} className="radio">
                <input type="radio" name="warranted" value={v} checked={warranted === v} onChange={() => setWarranted(v)} />
                {v === 'yes' ? T.review.yes : T.review.no}
              </label>
            ))}
          </fieldset>
          <Field label={T.review.summary}>
            {(id) => <textarea id={id} rows={3} required value={summary} onChange={(e) => setSummary(e.target.value)} />}
          </Field>
          <Field label={T.review.changes}>
            {(id) => <textarea id={id} rows={3} required value={changes} onChange={(e) => setChanges(e.target.value)} />}
          </Field>
          <Field label={T.review.incident}>
            {(id) => <input id={id} value={incident} onChange={(e) => setIncident(e.target.value)} />}
          </Field>
          <Field label={T.review.followUp}>
            {(id) => <textarea id={id} rows={2} value={followUp} onChange={(e) => setFollowUp(e.target.value)} />}
          </Field>
          <Field label={T.review.rotated(detail.requireRotation)}>
            {(id) => (
              <input
                id={id}
                type="password"
                autoComplete="off"
                required={detail.requireRotation}
                value={rotated}
                onChange={(e) => setRotated(e.target.value)}
              />
            )}
          </Field>
          <HiddenField label={T.review.passphrase(who)} value={passphrase} onChange={setPassphrase} />
          <button type="submit" disabled={busy}>
            {T.review.sign}
          </button>
          <p className="hint">{T.review.noReseal}</p>
        </form>
      ) : null}
    </section>
  );
}
