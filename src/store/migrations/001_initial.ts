/** 001: the vault's state, its members and policy, envelopes, requests, approvals, reviews and the journal. */
export const up = `
CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) STRICT;

CREATE TABLE members (
  id       TEXT PRIMARY KEY,
  name     TEXT NOT NULL,
  card     TEXT NOT NULL,
  custody  TEXT,
  added_at INTEGER NOT NULL
) STRICT;

CREATE TABLE policy (
  id       INTEGER PRIMARY KEY CHECK (id = 1),
  document TEXT NOT NULL,
  hash     TEXT NOT NULL,
  set_at   INTEGER NOT NULL
) STRICT;

CREATE TABLE credentials (
  id             TEXT PRIMARY KEY,
  label          TEXT NOT NULL,
  state          TEXT NOT NULL CHECK (state IN ('SEALED','REQUESTED','UNSEALED','REVIEW_PENDING','REVIEWED')),
  version        INTEGER NOT NULL,
  exposed        INTEGER NOT NULL DEFAULT 0,
  active_request TEXT,
  created_at     INTEGER NOT NULL,
  updated_at     INTEGER NOT NULL
) STRICT;

-- 'active' opens the credential now; 'next' is sealed at unseal time, activated by reseal.
CREATE TABLE envelopes (
  credential_id TEXT NOT NULL REFERENCES credentials(id),
  slot          TEXT NOT NULL CHECK (slot IN ('active','next')),
  version       INTEGER NOT NULL,
  body          TEXT NOT NULL,
  rotated       INTEGER NOT NULL DEFAULT 0,
  created_at    INTEGER NOT NULL,
  PRIMARY KEY (credential_id, slot)
) STRICT;

CREATE TABLE requests (
  id             TEXT PRIMARY KEY,
  credential_id  TEXT NOT NULL REFERENCES credentials(id),
  purpose        TEXT NOT NULL CHECK (purpose IN ('access','drill')),
  body           TEXT NOT NULL,
  hash           TEXT NOT NULL,
  signature      TEXT NOT NULL,
  anchor_seq     INTEGER NOT NULL,
  anchor_hash    TEXT NOT NULL,
  status         TEXT NOT NULL CHECK (status IN ('open','unsealed','closed','cancelled','expired','drilled')),
  expires_at     INTEGER NOT NULL,
  window_ends_at INTEGER,
  created_at     INTEGER NOT NULL,
  ended_at       INTEGER
) STRICT;

CREATE TABLE approvals (
  request_id  TEXT NOT NULL REFERENCES requests(id),
  holder      TEXT NOT NULL,
  token       TEXT NOT NULL,
  token_hash  TEXT NOT NULL UNIQUE,
  accepted_at INTEGER NOT NULL,
  PRIMARY KEY (request_id, holder)
) STRICT;

CREATE TABLE reviews (
  id            TEXT PRIMARY KEY,
  credential_id TEXT NOT NULL REFERENCES credentials(id),
  request_id    TEXT NOT NULL REFERENCES requests(id),
  body          TEXT NOT NULL,
  signature     TEXT NOT NULL,
  created_at    INTEGER NOT NULL
) STRICT;

-- Entries are canonical JSON bytes, stored and signed verbatim (docs/journal-format.md).
CREATE TABLE journal (
  seq   INTEGER PRIMARY KEY,
  bytes BLOB NOT NULL,
  hash  BLOB NOT NULL,
  sig   BLOB NOT NULL
) STRICT;

CREATE TRIGGER journal_no_update BEFORE UPDATE ON journal
BEGIN SELECT RAISE(ABORT, 'journal entries are append-only'); END;

CREATE TRIGGER journal_no_delete BEFORE DELETE ON journal
BEGIN SELECT RAISE(ABORT, 'journal entries are append-only'); END;
`;
