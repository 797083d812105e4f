// The break-glass view: the request form for a sealed credential, then its approvals.
import { useEffect, useState, type ReactNode } from 'react';
import type { CredentialDetail, RequestView } from '../../../src/core/ipc.js';
import { call } from '../client.js';
import type { Go } from '../routes.js';
import { useCall } from '../shared/use-call.js';
import { Busy, ErrorLine } from '../shared/ui.js';
import { T } from '../text.js';
import { Approvals } from './approvals.js';
import { RequestForm } from './request-form.js';

/** Break glass on one credential. */
export function BreakGlassView({ credential, drill, go }: { credential: string; drill: boolean; go: Go }): ReactNode {
  const { busy, error, run } = useCall();
  const [detail, setDetail] = useState<CredentialDetail | null>(null);
  const [request, setRequest] = useState<RequestView | null>(null);
  useEffect(() => {
    void (async () => {
      const d = await run(() => call('credential.detail', { credential }));
      setDetail(d);
      if (d?.credential.request && d.credential.state === 'REQUESTED') {
        const id = d.credential.request;
        setRequest(await run(() => call('request.show', { request: id })));
      }
    })();
  }, [credential, run]);
  return (
    <section aria-labelledby="break-glass-title">
      <h2 id="break-glass-title">
        {drill || request?.purpose === 'drill'
          ? T.breakGlass.drillTitle(credential)
          : request?.purpose === 'rotate'
            ? T.breakGlass.rotateTitle(credential)
            : T.breakGlass.title(credential)}
      </h2>
      <Busy busy={busy} />
      <ErrorLine error={error} />
      {request ? (
        <Approvals request={request} go={go} onChange={setRequest} />
      ) : detail && detail.credential.state === 'SEALED' ? (
        <RequestForm detail={detail} drill={drill} onOpened={setRequest} />
      ) : null}
    </section>
  );
}
