// The window: the vault's name and journal status always in view, a nav, and one view at a time.
import { useCallback, useEffect, useState, type ReactNode } from 'react';
import type { VaultOverview } from '../../src/core/ipc.js';
import { BreakGlassView } from './break-glass/break-glass-view.js';
import { call } from './client.js';
import { HolderView } from './holder/holder-view.js';
import { JournalView } from './journal/journal-view.js';
import { MembersView } from './members/members-view.js';
import { PolicyView } from './policy/policy-view.js';
import { ReviewView } from './review/review-view.js';
import type { Route } from './routes.js';
import { SettingsView } from './settings/settings-view.js';
import { errorSentence, T } from './text.js';
import { UnsealedView } from './unsealed/unsealed-view.js';
import { VaultView } from './vault/vault-view.js';

type Theme = 'system' | 'light' | 'dark';

function view(route: Route, go: (r: Route) => void, changed: () => void): ReactNode {
  switch (route.view) {
    case 'vault':
      return <VaultView go={go} />;
    case 'break-glass':
      return <BreakGlassView key={route.credential} credential={route.credential} drill={route.drill === true} go={go} />;
    case 'unsealed':
      return <UnsealedView key={route.request} credential={route.credential} request={route.request} go={go} />;
    case 'review':
      return <ReviewView key={route.credential} credential={route.credential} go={go} />;
    case 'holder':
      return <HolderView />;
    case 'journal':
      return <JournalView />;
    case 'members':
      return <MembersView />;
    case 'policy':
      return <PolicyView />;
    case 'settings':
      return <SettingsView changed={changed} />;
  }
}

const NAV = ['vault', 'holder', 'journal', 'members', 'policy', 'settings'] as const;

/** The whole app. */
export function App(): ReactNode {
  const [route, setRoute] = useState<Route>({ view: 'vault' });
  const [overview, setOverview] = useState<VaultOverview | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [theme, setTheme] = useState<Theme>('system');
  // A view that journals something says so, and the header's journal count follows.
  const [changes, setChanges] = useState(0);
  const changed = useCallback(() => setChanges((n) => n + 1), []);
  useEffect(() => {
    void call('vault.overview', {}).then((r) => (r.ok ? setOverview(r.value) : setProblem(errorSentence(r.error))));
  }, [route, changes]);
  useEffect(() => {
    if (theme === 'system') delete document.documentElement.dataset['theme'];
    else document.documentElement.dataset['theme'] = theme;
  }, [theme]);
  return (
    <div className="app">
      <header>
        <h1>
          {T.app}
          {overview ? <span className="vault-name">: {overview.name}</span> : null}
        </h1>
        {overview ? (
          <p role="status" className={overview.journal.ok ? 'journal-ok' : 'journal-bad'}>
            {overview.journal.ok ? T.journalOk(overview.journal.count) : T.journalBad(overview.journal.failure ?? '')}{' '}
            {overview.policy ? T.localPolicy : null}
          </p>
        ) : null}
        {problem ? (
          <p role="alert" className="error">
            {problem}
          </p>
        ) : null}
        <nav aria-label={T.nav.label}>
          {NAV.map((v) => (
            <button key={v} type="button" aria-current={route.view === v ? 'page' : undefined} onClick={() => setRoute({ view: v })}>
              {T.nav[v]}
            </button>
          ))}
          <label className="theme">
            {T.theme.label}{' '}
            <select value={theme} onChange={(e) => setTheme(e.target.value as Theme)}>
              <option value="system">{T.theme.system}</option>
              <option value="light">{T.theme.light}</option>
              <option value="dark">{T.theme.dark}</option>
            </select>
          </label>
        </nav>
      </header>
      <main>{view(route, setRoute, changed)}</main>
    </div>
  );
}
