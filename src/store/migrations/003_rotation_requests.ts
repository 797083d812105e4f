/**
 * 003: requests may be for a routine rotation (purpose 'rotate'), which ends 'rotated'. SQLite cannot
 * change a CHECK constraint in place, so the table is rebuilt the way its documentation gives
 * (create, copy, drop, rename), with foreign keys off for the migration and checked before it commits.
 */
export const up = `
CREATE TABLE requests_new (
  id             TEXT PRIMARY KEY,
  credential_id  TEXT NOT NULL REFERENCES credentials(id),
  purpose        TEXT NOT NULL CHECK (purpose IN ('access','drill','rotate')),
  body           TEXT NOT NULL,
  hash           TEXT NOT NULL,
  signature      TEXT NOT NULL,
  anchor_seq     INTEGER NOT NULL,
  anchor_hash    TEXT NOT NULL,
  status         TEXT NOT NULL CHECK (status IN ('open','unsealed','closed','cancelled','expired','drilled','rotated')),
  expires_at     INTEGER NOT NULL,
  window_ends_at INTEGER,
  created_at     INTEGER NOT NULL,
  ended_at       INTEGER
) STRICT;
INSERT INTO requests_new (id, credential_id, purpose, body, hash, signature, anchor_seq, anchor_hash, status, expires_at, window_ends_at, created_at, ended_at)
  SELECT id, credential_id, purpose, body, hash, signature, anchor_seq, anchor_hash, status, expires_at, window_ends_at, created_at, ended_at FROM requests;
DROP TABLE requests;
ALTER TABLE requests_new RENAME TO requests;
`;

/** The table is rebuilt while other tables refer to it. */
export const foreignKeysOff = true;
