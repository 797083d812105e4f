// The whole signed request, as every approval screen shows it (the same facts as `breakglass approve`).
import type { ReactNode } from 'react';
import type { RequestBody } from '../../../src/core/documents.js';
import { splitChangeWarning, splitText } from '../../../src/core/ui.js';
import { formatMoment, formatTime, T } from '../text.js';

/** Purpose first, then every field of the signed request, the splits with fingerprints, and warnings. */
export function RequestFacts({ body, requester, extra }: { body: RequestBody; requester: string; extra?: [string, string][] }): ReactNode {
  const warning = splitChangeWarning(body);
  const rows: [string, string][] = [
    [T.request.vault, `${body.vaultName} (${body.vault}), journal ${body.journal}, genesis key ${body.genesisKey.slice(0, 16)}…`],
    [
      T.request.credential,
      `${body.credential} - ${body.credentialLabel} (version ${body.credentialVersion}; ${body.threshold} approvals needed)`,
    ],
    [T.request.requester, requester],
    [T.request.trigger, body.trigger],
    [T.request.reason, body.reason],
    [T.request.incident, body.incident],
    [T.request.opened, formatTime(body.createdAt)],
    [T.request.expires, formatMoment(body.expiresAt)],
    [
      T.request.window,
      body.purpose === 'rotate' ? 'none: a rotation decrypts nothing' : `${Math.round(body.unsealSeconds / 60)} min once unsealed`,
    ],
    [T.request.holders, splitText(body.holders, body.holderKeys, body.threshold)],
    [T.request.afterwards, `split again among ${splitText(body.nextHolders, body.nextHolderKeys, body.nextThreshold)}`],
    ...(extra ?? []),
  ];
  return (
    <section className="request-facts" aria-label={T.request.signed(body.id)}>
      <p className={body.purpose === 'drill' ? 'purpose drill' : 'purpose'}>
        <strong>
          {body.purpose === 'drill'
            ? T.request.purposeDrill(body.credential)
            : body.purpose === 'rotate'
              ? T.request.purposeRotate(body.credential, body.requester)
              : T.request.purposeAccess(body.credential)}
        </strong>
      </p>
      <h3>{T.request.signed(body.id)}</h3>
      <dl>
        {rows.map(([k, v]) => (
          <div key={k} className="fact">
            <dt>{k}</dt>
            <dd>{v}</dd>
          </div>
        ))}
      </dl>
      {warning ? (
        <p role="alert" className="warning">
          <strong>{T.request.warning}:</strong> {warning}
        </p>
      ) : null}
    </section>
  );
}
