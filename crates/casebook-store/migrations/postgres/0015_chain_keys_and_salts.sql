-- The same as migrations/sqlite/0015_chain_keys_and_salts.sql.
ALTER TABLE integrity_chain ADD COLUMN scheme TEXT NOT NULL DEFAULT 'sha256';

CREATE TABLE integrity_salts (
    seq   BIGINT PRIMARY KEY,
    salt  TEXT   NOT NULL
);

-- Erasure forgets the salts of one message's entries.
CREATE INDEX integrity_chain_by_message ON integrity_chain(message);
