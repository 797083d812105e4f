// A call of the contract as a view uses it: busy while it runs, its error as a sentence.
import { useCallback, useState } from 'react';
import type { ErrorCode } from '../../../src/core/errors.js';
import type { IpcResult } from '../../../src/core/ipc.js';
import { errorSentence } from '../text.js';

/** How a view words a failure where the general sentence of its code would mislead. */
export type Sentence = (error: { code: ErrorCode; message: string }) => string;

/** Runs calls one at a time for a view; returns the value, or null after showing the error (in `sentence`'s words, if given). */
export function useCall(): {
  busy: boolean;
  error: string | null;
  setError(message: string | null): void;
  run<T>(call: () => Promise<IpcResult<T>>, sentence?: Sentence): Promise<T | null>;
} {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const run = useCallback(async <T>(call: () => Promise<IpcResult<T>>, sentence: Sentence = errorSentence): Promise<T | null> => {
    setBusy(true);
    setError(null);
    try {
      const result = await call();
      if (!result.ok) {
        setError(sentence(result.error));
        return null;
      }
      return result.value;
    } finally {
      setBusy(false);
    }
  }, []);
  return { busy, error, setError, run };
}
