// A call of the contract as a view uses it: busy while it runs, its error as a sentence.
import { useCallback, useState } from 'react';
import type { IpcResult } from '../../../src/core/ipc.js';
import { errorSentence } from '../text.js';

/** Runs calls one at a time for a view; returns the value, or null after showing the error. */
export function useCall(): {
  busy: boolean;
  error: string | null;
  setError(message: string | null): void;
  run<T>(call: () => Promise<IpcResult<T>>): Promise<T | null>;
} {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const run = useCallback(async <T>(call: () => Promise<IpcResult<T>>): Promise<T | null> => {
    setBusy(true);
    setError(null);
    try {
      const result = await call();
      if (!result.ok) {
        setError(errorSentence(result.error));
        return null;
      }
      return result.value;
    } finally {
      setBusy(false);
    }
  }, []);
  return { busy, error, setError, run };
}
