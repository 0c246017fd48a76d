-- reply_id loses its REFERENCES clause. It is derived data: threading
-- works it out, removals clear it before a message goes, and `check`
-- compares it with working every thread out afresh. As a foreign key into
-- its own table it cost a great deal: SQLite rewrites every index of a row
-- (sha256, message_id, change_seq, thread, the partial ones) whenever such
-- a column is set, so recording the threads of a first sync took twice as
-- long as the update itself. primary_id keeps its foreign key.
--
-- SQLite cannot drop a constraint in place: the table is rebuilt (SQLite's
-- documented procedure; Store::migrate runs migrations with foreign keys
-- off and checks them all afterwards). Ids, and so every reference to a
-- message, stay as they were.
CREATE TABLE messages_rebuilt (
    id             INTEGER PRIMARY KEY,
    sha256         BLOB    NOT NULL UNIQUE,
    size           INTEGER NOT NULL,
    message_id     TEXT,
    primary_id     INTEGER REFERENCES messages(id),
    thread_id      INTEGER,
    direction      TEXT    NOT NULL,
    automated      TEXT,
    from_address   TEXT,
    from_name      TEXT,
    correspondent  TEXT,
    recipients     TEXT    NOT NULL,  -- JSON: [{"kind":"to","address":…,"name":…}]
    subject        TEXT    NOT NULL,
    date           INTEGER,           -- seconds since the epoch, UTC
    date_offset    INTEGER,           -- the sender's UTC offset in seconds
    in_reply_to    TEXT    NOT NULL,  -- JSON array of ids
    refs           TEXT    NOT NULL,  -- JSON array of ids
    body           TEXT    NOT NULL,
    html_only      INTEGER NOT NULL,
    attachments    TEXT    NOT NULL,  -- JSON
    warnings       TEXT    NOT NULL,  -- JSON array of strings
    reply_id       INTEGER,           -- our reply to this message (derived)
    response_secs  INTEGER,
    change_seq     INTEGER NOT NULL,
    stored_at      INTEGER NOT NULL
);
INSERT INTO messages_rebuilt (
    id, sha256, size, message_id, primary_id, thread_id, direction, automated,
    from_address, from_name, correspondent, recipients, subject, date,
    date_offset, in_reply_to, refs, body, html_only, attachments, warnings,
    reply_id, response_secs, change_seq, stored_at)
SELECT
    id, sha256, size, message_id, primary_id, thread_id, direction, automated,
    from_address, from_name, correspondent, recipients, subject, date,
    date_offset, in_reply_to, refs, body, html_only, attachments, warnings,
    reply_id, response_secs, change_seq, stored_at
FROM messages;
DROP TABLE messages;
ALTER TABLE messages_rebuilt RENAME TO messages;
CREATE INDEX messages_by_message_id ON messages(message_id);
CREATE INDEX messages_by_change ON messages(change_seq);
CREATE INDEX messages_by_thread ON messages(thread_id);
CREATE INDEX messages_unthreaded ON messages(id) WHERE thread_id IS NULL AND primary_id IS NULL;
CREATE INDEX messages_copies ON messages(primary_id) WHERE primary_id IS NOT NULL;
