-- One row per distinct raw message (by SHA-256). A row whose primary_id is
-- set is another copy of the message in primary_id: same Message-ID,
-- different bytes (a second delivery, a list's rewritten copy).
CREATE TABLE messages (
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
    reply_id       INTEGER REFERENCES messages(id),
    response_secs  INTEGER,
    change_seq     INTEGER NOT NULL,
    stored_at      INTEGER NOT NULL
);
CREATE INDEX messages_by_message_id ON messages(message_id);
CREATE INDEX messages_by_change ON messages(change_seq);
CREATE INDEX messages_by_thread ON messages(thread_id);
CREATE INDEX messages_unthreaded ON messages(id) WHERE thread_id IS NULL AND primary_id IS NULL;

-- The original bytes, zstd-compressed.
CREATE TABLE raw_messages (
    message     INTEGER PRIMARY KEY REFERENCES messages(id),
    compressed  BLOB NOT NULL
);

-- Every place a message was seen.
CREATE TABLE locations (
    message     INTEGER NOT NULL REFERENCES messages(id),
    folder      TEXT    NOT NULL,
    source      TEXT    NOT NULL,
    first_seen  INTEGER NOT NULL,
    PRIMARY KEY (source, message)
);
CREATE INDEX locations_by_message ON locations(message);

-- The store's change order: every write transaction takes the next number
-- and stamps the rows it touches, so readers (the search index) catch up
-- by number, never by clock.
CREATE TABLE change_counter (
    id     INTEGER PRIMARY KEY CHECK (id = 1),
    value  INTEGER NOT NULL
);
INSERT INTO change_counter (id, value) VALUES (1, 0);
