/**
 * Where private keys live at rest. Accounts are namespaced by the caller (one namespace per vault
 * folder), so several vaults can share one OS keychain.
 */
export interface SecretStore {
  /** A human-readable name for errors and `doctor` output, e.g. `os-keychain` or `file:/path`. */
  readonly description: string;
  /** Returns the stored value, or null when the account has none. */
  get(account: string): Promise<string | null>;
  /** Stores `value` under `account`, replacing any previous value. */
  set(account: string, value: string): Promise<void>;
  /** Removes the account; true when something was removed. */
  delete(account: string): Promise<boolean>;
  /** Lists the accounts of this namespace (used to erase stale epoch keys after a crash). */
  list(): Promise<string[]>;
}
