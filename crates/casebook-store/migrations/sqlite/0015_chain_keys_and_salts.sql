-- Chain entries authenticated with a key kept outside the database, and
-- content hashes that say nothing once erased. `scheme` says how an
-- entry's hash is made: 'sha256' (entries of older versions: the plain
-- content hash, a public formula), 'salted' (the content hash salted,
-- the salt in integrity_salts), 'hmac:FINGERPRINT' (salted, and the
-- entry's hash an HMAC-SHA256 under the integrity key with that
-- fingerprint). Erasure deletes the salts of the erased messages'
-- entries, so no one holding the mail can show it was archived.
ALTER TABLE integrity_chain ADD COLUMN scheme TEXT NOT NULL DEFAULT 'sha256';

CREATE TABLE integrity_salts (
    seq   INTEGER PRIMARY KEY,
    salt  TEXT    NOT NULL
);

-- Erasure forgets the salts of one message's entries.
CREATE INDEX integrity_chain_by_message ON integrity_chain(message);
