/**
 * The server's numbered schema migrations. Each number is one change, written once per dialect so
 * both databases hold the same tables, columns and append-only rules; `schema_migrations` records
 * which numbers a database has.
 */
export interface ServerMigration {
  readonly version: number;
  readonly name: string;
  readonly sqlite: string;
  readonly postgres: string;
}

// Tables shared by both dialects, with the column types that differ filled in.
function tables(t: { bytes: string; big: string; serial: string }): string {
  return `
CREATE TABLE tokens (
  id TEXT PRIMARY KEY,
  hash TEXT NOT NULL UNIQUE,
  role TEXT NOT NULL CHECK (role IN ('admin', 'security', 'enroll')),
  label TEXT NOT NULL DEFAULT '',
  created_at ${t.big} NOT NULL,
  expires_at ${t.big},
  revoked_at ${t.big},
  used_at ${t.big}
);
CREATE TABLE server_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE devices (
  id TEXT PRIMARY KEY,
  journal TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  credential_hash TEXT NOT NULL UNIQUE,
  token_id TEXT NOT NULL REFERENCES tokens(id),
  enrolled_at ${t.big} NOT NULL
);
CREATE TABLE journals (
  id TEXT PRIMARY KEY,
  device TEXT NOT NULL REFERENCES devices(id),
  genesis_key TEXT NOT NULL,
  size ${t.big} NOT NULL,
  head TEXT,
  frozen_at ${t.big},
  frozen_reason TEXT,
  last_sync_at ${t.big}
);
CREATE TABLE entries (
  journal TEXT NOT NULL REFERENCES journals(id),
  seq ${t.big} NOT NULL,
  hash TEXT NOT NULL,
  sig TEXT NOT NULL,
  bytes ${t.bytes} NOT NULL,
  epoch ${t.big} NOT NULL,
  epoch_key TEXT NOT NULL,
  kind TEXT NOT NULL,
  received_at ${t.big} NOT NULL,
  PRIMARY KEY (journal, seq)
);
CREATE TABLE forks (
  id ${t.serial},
  journal TEXT NOT NULL REFERENCES journals(id),
  seq ${t.big} NOT NULL,
  stored_hash TEXT NOT NULL,
  offered_hash TEXT NOT NULL,
  offered_line TEXT NOT NULL,
  detected_at ${t.big} NOT NULL
);
CREATE TABLE rejected_batches (
  id ${t.serial},
  journal TEXT NOT NULL REFERENCES journals(id),
  base ${t.big} NOT NULL,
  line_count ${t.big} NOT NULL,
  seq ${t.big} NOT NULL,
  code TEXT NOT NULL,
  message TEXT NOT NULL,
  evidence TEXT NOT NULL,
  truncated INTEGER NOT NULL,
  received_at ${t.big} NOT NULL
);
CREATE TABLE flags (
  journal TEXT NOT NULL REFERENCES journals(id),
  seq ${t.big} NOT NULL,
  code TEXT NOT NULL,
  message TEXT NOT NULL,
  PRIMARY KEY (journal, seq, code)
);
CREATE TABLE anchors (
  journal TEXT NOT NULL REFERENCES journals(id),
  seq ${t.big} NOT NULL,
  kind TEXT NOT NULL,
  target_journal TEXT NOT NULL,
  target_seq ${t.big} NOT NULL,
  target_hash TEXT NOT NULL,
  PRIMARY KEY (journal, seq, kind)
);
`;
}

const sqliteAppendOnly = (table: string, key: string): string => `
CREATE TRIGGER ${table}_no_update BEFORE UPDATE ON ${table} BEGIN SELECT RAISE(ABORT, '${table} are append-only'); END;
CREATE TRIGGER ${table}_no_delete BEFORE DELETE ON ${table} BEGIN SELECT RAISE(ABORT, '${table} are append-only'); END;
CREATE TRIGGER ${table}_no_replace BEFORE INSERT ON ${table}
WHEN EXISTS (SELECT 1 FROM ${table} WHERE ${key}) BEGIN SELECT RAISE(ABORT, '${table} are append-only'); END;
`;

const postgresAppendOnly = (table: string): string => `
CREATE TRIGGER ${table}_append_only BEFORE UPDATE OR DELETE ON ${table} FOR EACH ROW EXECUTE FUNCTION bg_append_only();
CREATE TRIGGER ${table}_no_truncate BEFORE TRUNCATE ON ${table} FOR EACH STATEMENT EXECUTE FUNCTION bg_append_only();
`;

/** Every migration, in order. */
export const SERVER_MIGRATIONS: readonly ServerMigration[] = [
  {
    version: 1,
    name: 'initial: tokens, devices, journals, append-only entries and evidence',
    // INSERT OR REPLACE deletes without firing DELETE triggers, so a taken key is refused on insert too.
    sqlite:
      tables({ bytes: 'BLOB', big: 'INTEGER', serial: 'INTEGER PRIMARY KEY AUTOINCREMENT' }) +
      sqliteAppendOnly('entries', 'journal = NEW.journal AND seq = NEW.seq') +
      sqliteAppendOnly('forks', 'id = NEW.id'),
    postgres: `
${tables({ bytes: 'BYTEA', big: 'BIGINT', serial: 'BIGSERIAL PRIMARY KEY' })}
CREATE FUNCTION bg_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION '% are append-only', TG_TABLE_NAME; END $$;
${postgresAppendOnly('entries')}
${postgresAppendOnly('forks')}
`,
  },
  {
    version: 2,
    name: 'anchor mismatches: a cross-reference that names another hash than the named journal holds',
    sqlite: `
CREATE TABLE anchor_mismatches (
  journal TEXT NOT NULL REFERENCES journals(id),
  seq INTEGER NOT NULL,
  kind TEXT NOT NULL,
  target_journal TEXT NOT NULL,
  target_seq INTEGER NOT NULL,
  named_hash TEXT NOT NULL,
  held_hash TEXT NOT NULL,
  detected_at INTEGER NOT NULL,
  PRIMARY KEY (journal, seq, kind)
);
CREATE INDEX anchors_by_target ON anchors (target_journal, target_seq);
${sqliteAppendOnly('anchor_mismatches', 'journal = NEW.journal AND seq = NEW.seq AND kind = NEW.kind')}`,
    postgres: `
CREATE TABLE anchor_mismatches (
  journal TEXT NOT NULL REFERENCES journals(id),
  seq BIGINT NOT NULL,
  kind TEXT NOT NULL,
  target_journal TEXT NOT NULL,
  target_seq BIGINT NOT NULL,
  named_hash TEXT NOT NULL,
  held_hash TEXT NOT NULL,
  detected_at BIGINT NOT NULL,
  PRIMARY KEY (journal, seq, kind)
);
CREATE INDEX anchors_by_target ON anchors (target_journal, target_seq);
${postgresAppendOnly('anchor_mismatches')}`,
  },
  {
    version: 3,
    name: 'device revocation: a revoked credential is refused, each revocation is kept, and an enrolment token can be bound to one journal',
    sqlite: `
ALTER TABLE devices ADD COLUMN revoked_at INTEGER;
ALTER TABLE tokens ADD COLUMN journal TEXT;
CREATE TABLE device_revocations (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  device TEXT NOT NULL REFERENCES devices(id),
  journal TEXT NOT NULL,
  credential_hash TEXT NOT NULL,
  token_id TEXT NOT NULL,
  enrolled_at INTEGER NOT NULL,
  revoked_at INTEGER NOT NULL
);
${sqliteAppendOnly('device_revocations', 'id = NEW.id')}`,
    postgres: `
ALTER TABLE devices ADD COLUMN revoked_at BIGINT;
ALTER TABLE tokens ADD COLUMN journal TEXT;
CREATE TABLE device_revocations (
  id BIGSERIAL PRIMARY KEY,
  device TEXT NOT NULL REFERENCES devices(id),
  journal TEXT NOT NULL,
  credential_hash TEXT NOT NULL,
  token_id TEXT NOT NULL,
  enrolled_at BIGINT NOT NULL,
  revoked_at BIGINT NOT NULL
);
${postgresAppendOnly('device_revocations')}`,
  },
];

/** The schema version a fully migrated database has. */
export const LATEST_SERVER_SCHEMA = SERVER_MIGRATIONS[SERVER_MIGRATIONS.length - 1]!.version;
