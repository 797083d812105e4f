/**
 * 002: INSERT OR REPLACE removes a row without firing DELETE triggers (unless recursive_triggers is
 * on), which would let a signed entry be overwritten in place. Refuse any insert at a taken seq.
 */
export const up = `
CREATE TRIGGER journal_no_replace BEFORE INSERT ON journal
WHEN EXISTS (SELECT 1 FROM journal WHERE seq = NEW.seq)
BEGIN SELECT RAISE(ABORT, 'journal entries are append-only'); END;
`;
