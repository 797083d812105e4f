/** The store layer: the vault's SQLite file, its numbered migrations and typed repositories. */
export { acquireLock, mapSqliteError, migrate, openDatabase, type Db } from './database.js';
export { MIGRATIONS } from './migrations/index.js';
export {
  VaultRepository,
  type ApprovalRow,
  type CredentialRow,
  type EnvelopeRow,
  type MemberRow,
  type RequestRow,
  type RequestStatus,
  type ReviewRow,
} from './repository.js';
