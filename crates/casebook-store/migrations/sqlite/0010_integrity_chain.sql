-- Tamper evidence: an append-only chain over what the archive stored and
-- removed. Each entry's hash covers the one before it, so a message
-- altered or removed behind the archive's back, or an entry edited, no
-- longer verifies; lawful removals and erasures are entries of their own.
CREATE TABLE integrity_chain (
    seq      INTEGER PRIMARY KEY,
    kind     TEXT    NOT NULL,   -- stored, removed, erased
    message  INTEGER NOT NULL,
    sha256   TEXT    NOT NULL,   -- hex
    hash     TEXT    NOT NULL    -- hex SHA-256 over the previous hash and this entry
);
