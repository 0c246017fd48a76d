-- Link keys, so new mail finds the threads it joins without reading every
-- message: for each message, a 64-bit hash of every parent it names and of
-- what subject threading compares (correspondent and normalised subject).
-- casebook-archive works them out; the store records them with the message
-- and removes them with it. While `complete` is 0 (an archive from before
-- this table, a copied archive) threading reads every message, and records
-- every message's keys as it does.
CREATE TABLE message_links (
    key      INTEGER NOT NULL,
    message  INTEGER NOT NULL,
    PRIMARY KEY (key, message)
) WITHOUT ROWID;

CREATE TABLE message_links_state (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    complete  INTEGER NOT NULL
);
INSERT INTO message_links_state (id, complete)
    SELECT 1, CASE WHEN EXISTS (SELECT 1 FROM messages) THEN 0 ELSE 1 END;

-- Threading reads the copies of the messages it threads.
CREATE INDEX messages_copies ON messages(primary_id) WHERE primary_id IS NOT NULL;
