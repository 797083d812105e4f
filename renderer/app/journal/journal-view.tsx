// The journal view: verification, entries filtered by kind, export as JSON Lines.
import { useCallback, useEffect, useState, type ReactNode } from 'react';
import type { JournalEntry, VerifyReport } from '../../../src/core/journal.js';
import { ENTRY_KINDS } from '../../../src/core/journal.js';
import { call } from '../client.js';
import { useCall } from '../shared/use-call.js';
import { entryDetails } from './entry-details.js';
import { Busy, ErrorLine, Field, saveFile } from '../shared/ui.js';
import { formatTime, T } from '../text.js';

/** Shows and verifies this laptop's journal. */
export function JournalView(): ReactNode {
  const { busy, error, run } = useCall();
  const [report, setReport] = useState<VerifyReport | null>(null);
  const [entries, setEntries] = useState<readonly JournalEntry[]>([]);
  const [kind, setKind] = useState('');
  const verify = useCallback(() => void run(() => call('journal.verify', {})).then(setReport), [run]);
  useEffect(verify, [verify]);
  useEffect(() => {
    void run(() => call('journal.show', kind ? { kind } : {})).then((e) => e && setEntries(e));
  }, [kind, run]);
  const exportNow = async (): Promise<void> => {
    const r = await run(() => call('journal.export', {}));
    if (r) saveFile('journal.jsonl', r.text, 'application/x-ndjson');
  };
  return (
    <section aria-labelledby="journal-title">
      <h2 id="journal-title">{T.journal.title}</h2>
      {report ? (
        <p role="status" className={report.ok ? 'ok' : 'error'}>
          {report.ok
            ? T.journalOk(report.count)
            : T.journalBad(report.failure ? `${report.failure.code} at seq ${report.failure.seq}: ${report.failure.message}` : 'unknown')}
        </p>
      ) : null}
      <div className="actions">
        <button type="button" onClick={verify} disabled={busy}>
          {T.journal.verify}
        </button>
        <button type="button" onClick={() => void exportNow()} disabled={busy}>
          {T.journal.export}
        </button>
      </div>
      <Busy busy={busy} />
      <ErrorLine error={error} />
      <Field label={T.journal.kind}>
        {(id) => (
          <select id={id} value={kind} onChange={(e) => setKind(e.target.value)}>
            <option value="">{T.journal.all}</option>
            {ENTRY_KINDS.map((k) => (
              <option key={k}>{k}</option>
            ))}
          </select>
        )}
      </Field>
      <table>
        <thead>
          <tr>
            {T.journal.columns.map((c) => (
              <th key={c} scope="col">
                {c}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {entries.map((e) => (
            <tr key={e.seq}>
              <td>{e.seq}</td>
              <td className="nowrap">{formatTime(e.time)}</td>
              <td>{e.epoch}</td>
              <td>{e.kind}</td>
              <td>{e.actor}</td>
              <td>{e.subject}</td>
              <td className="details">{entryDetails(e)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
