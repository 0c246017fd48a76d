-- The message's text and its other long values go last in the row, its
-- numbers and short values first. SQLite keeps a row's first few hundred
-- bytes on its page and the rest in a chain of overflow pages, and reading
-- a column walks the row up to it: with `body` in the middle, every read of
-- a column after it (reply_id, response_secs, change_seq, state_write,
-- topic: the search page's summaries, the filters, the queue, threading)
-- walked a long message's whole chain, 256 pages for 1 MiB of text. The
-- search page over 100,000 messages with ten such messages among the hits
-- served 257-266 requests a second before, 308-339 after (32 clients).
--
-- SQLite cannot reorder columns in place: the table is rebuilt (as 0012
-- did; Store::migrate runs migrations with foreign keys off and checks
-- them all afterwards). Ids, and so every reference to a message, stay as
-- they were; the indexes and the triggers that keep the totals are made
-- again as they were.
CREATE TABLE messages_rebuilt (
    id             INTEGER PRIMARY KEY,
    sha256         BLOB    NOT NULL UNIQUE,
    size           INTEGER NOT NULL,
    primary_id     INTEGER REFERENCES messages(id),
    thread_id      INTEGER,
    reply_id       INTEGER,           -- our reply to this message (derived)
    response_secs  INTEGER,
    change_seq     INTEGER NOT NULL,
    state_write    BIGINT  NOT NULL DEFAULT 0,
    stored_at      INTEGER NOT NULL,
    date           INTEGER,           -- seconds since the epoch, UTC
    date_offset    INTEGER,           -- the sender's UTC offset in seconds
    html_only      INTEGER NOT NULL,
    direction      TEXT    NOT NULL,
    automated      TEXT,
    topic          TEXT,
    message_id     TEXT,
    from_address   TEXT,
    from_name      TEXT,
    correspondent  TEXT,
    subject        TEXT    NOT NULL,
    in_reply_to    TEXT    NOT NULL,  -- JSON array of ids
    refs           TEXT    NOT NULL,  -- JSON array of ids
    recipients     TEXT    NOT NULL,  -- JSON: [{"kind":"to","address":…,"name":…}]
    attachments    TEXT    NOT NULL,  -- JSON
    warnings       TEXT    NOT NULL,  -- JSON array of strings
    body           TEXT    NOT NULL
);
INSERT INTO messages_rebuilt (
    id, sha256, size, primary_id, thread_id, reply_id, response_secs,
    change_seq, state_write, stored_at, date, date_offset, html_only,
    direction, automated, topic, message_id, from_address, from_name,
    correspondent, subject, in_reply_to, refs, recipients, attachments,
    warnings, body)
SELECT
    id, sha256, size, primary_id, thread_id, reply_id, response_secs,
    change_seq, state_write, stored_at, date, date_offset, html_only,
    direction, automated, topic, message_id, from_address, from_name,
    correspondent, subject, in_reply_to, refs, recipients, attachments,
    warnings, body
FROM messages;
DROP TABLE messages;
ALTER TABLE messages_rebuilt RENAME TO messages;

-- The indexes, as the migrations before this one left them.
CREATE INDEX messages_by_message_id ON messages(message_id);
CREATE INDEX messages_by_change ON messages(change_seq);
CREATE INDEX messages_by_thread ON messages(thread_id);
CREATE INDEX messages_unthreaded ON messages(id) WHERE thread_id IS NULL AND primary_id IS NULL;
CREATE INDEX messages_copies ON messages(primary_id) WHERE primary_id IS NOT NULL;
CREATE INDEX messages_by_state_write ON messages (state_write);
CREATE INDEX messages_without_topic ON messages (id) WHERE topic IS NULL;
CREATE INDEX messages_waiting ON messages (thread_id, date, id, topic)
    WHERE direction = 'inbound' AND primary_id IS NULL AND reply_id IS NULL
      AND thread_id IS NOT NULL AND date IS NOT NULL;
CREATE INDEX messages_ours_by_thread ON messages (thread_id, date)
    WHERE direction = 'outbound';
CREATE INDEX messages_thread_of ON messages (id, thread_id);

-- The triggers keeping the totals, as 0018 and 0027 left them.
CREATE TRIGGER messages_counted AFTER INSERT ON messages BEGIN
    UPDATE message_totals SET
        messages = messages + (NEW.primary_id IS NULL),
        copies = copies + (NEW.primary_id IS NOT NULL),
        inbound = inbound + (NEW.primary_id IS NULL AND NEW.direction = 'inbound'),
        outbound = outbound + (NEW.primary_id IS NULL AND NEW.direction = 'outbound'),
        automated = automated + (NEW.primary_id IS NULL AND NEW.direction = 'automated'),
        answered = answered + (NEW.primary_id IS NULL AND NEW.direction = 'inbound' AND NEW.reply_id IS NOT NULL),
        timed = timed + (NEW.primary_id IS NULL AND NEW.direction = 'inbound' AND NEW.response_secs IS NOT NULL)
    WHERE id = 1;
    INSERT INTO thread_sizes (thread_id, messages)
        SELECT NEW.thread_id, 1 WHERE NEW.thread_id IS NOT NULL
        ON CONFLICT (thread_id) DO UPDATE SET messages = messages + 1;
    INSERT INTO correspondent_sizes (correspondent, messages)
        SELECT NEW.correspondent, 1
        WHERE NEW.primary_id IS NULL AND NEW.direction <> 'automated' AND NEW.correspondent IS NOT NULL
        ON CONFLICT (correspondent) DO UPDATE SET messages = messages + 1;
END;

CREATE TRIGGER messages_uncounted AFTER DELETE ON messages BEGIN
    UPDATE message_totals SET
        messages = messages - (OLD.primary_id IS NULL),
        copies = copies - (OLD.primary_id IS NOT NULL),
        inbound = inbound - (OLD.primary_id IS NULL AND OLD.direction = 'inbound'),
        outbound = outbound - (OLD.primary_id IS NULL AND OLD.direction = 'outbound'),
        automated = automated - (OLD.primary_id IS NULL AND OLD.direction = 'automated'),
        answered = answered - (OLD.primary_id IS NULL AND OLD.direction = 'inbound' AND OLD.reply_id IS NOT NULL),
        timed = timed - (OLD.primary_id IS NULL AND OLD.direction = 'inbound' AND OLD.response_secs IS NOT NULL)
    WHERE id = 1;
    UPDATE thread_sizes SET messages = messages - 1 WHERE thread_id = OLD.thread_id;
    DELETE FROM thread_sizes WHERE thread_id = OLD.thread_id AND messages <= 0;
    UPDATE correspondent_sizes SET messages = messages - 1
        WHERE correspondent = OLD.correspondent
        AND OLD.primary_id IS NULL AND OLD.direction <> 'automated';
    DELETE FROM correspondent_sizes WHERE correspondent = OLD.correspondent AND messages <= 0;
END;

CREATE TRIGGER messages_recounted
AFTER UPDATE OF primary_id, direction, reply_id, response_secs ON messages
BEGIN
    UPDATE message_totals SET
        messages = messages - (OLD.primary_id IS NULL) + (NEW.primary_id IS NULL),
        copies = copies - (OLD.primary_id IS NOT NULL) + (NEW.primary_id IS NOT NULL),
        inbound = inbound - (OLD.primary_id IS NULL AND OLD.direction = 'inbound')
            + (NEW.primary_id IS NULL AND NEW.direction = 'inbound'),
        outbound = outbound - (OLD.primary_id IS NULL AND OLD.direction = 'outbound')
            + (NEW.primary_id IS NULL AND NEW.direction = 'outbound'),
        automated = automated - (OLD.primary_id IS NULL AND OLD.direction = 'automated')
            + (NEW.primary_id IS NULL AND NEW.direction = 'automated'),
        answered = answered - (OLD.primary_id IS NULL AND OLD.direction = 'inbound' AND OLD.reply_id IS NOT NULL)
            + (NEW.primary_id IS NULL AND NEW.direction = 'inbound' AND NEW.reply_id IS NOT NULL),
        timed = timed - (OLD.primary_id IS NULL AND OLD.direction = 'inbound' AND OLD.response_secs IS NOT NULL)
            + (NEW.primary_id IS NULL AND NEW.direction = 'inbound' AND NEW.response_secs IS NOT NULL)
    WHERE id = 1;
END;

CREATE TRIGGER messages_rethreaded
AFTER UPDATE OF thread_id ON messages WHEN OLD.thread_id IS NOT NEW.thread_id
BEGIN
    UPDATE thread_sizes SET messages = messages - 1 WHERE thread_id = OLD.thread_id;
    DELETE FROM thread_sizes WHERE thread_id = OLD.thread_id AND messages <= 0;
    INSERT INTO thread_sizes (thread_id, messages)
        SELECT NEW.thread_id, 1 WHERE NEW.thread_id IS NOT NULL
        ON CONFLICT (thread_id) DO UPDATE SET messages = messages + 1;
END;

CREATE TRIGGER messages_correspondent_changed
AFTER UPDATE OF primary_id, direction, correspondent ON messages
WHEN (OLD.primary_id IS NULL AND OLD.direction <> 'automated')
        IS NOT (NEW.primary_id IS NULL AND NEW.direction <> 'automated')
    OR OLD.correspondent IS NOT NEW.correspondent
BEGIN
    UPDATE correspondent_sizes SET messages = messages - 1
        WHERE correspondent = OLD.correspondent
        AND OLD.primary_id IS NULL AND OLD.direction <> 'automated';
    DELETE FROM correspondent_sizes WHERE correspondent = OLD.correspondent AND messages <= 0;
    INSERT INTO correspondent_sizes (correspondent, messages)
        SELECT NEW.correspondent, 1
        WHERE NEW.primary_id IS NULL AND NEW.direction <> 'automated' AND NEW.correspondent IS NOT NULL
        ON CONFLICT (correspondent) DO UPDATE SET messages = messages + 1;
END;

CREATE TRIGGER messages_timed AFTER INSERT ON messages
WHEN NEW.primary_id IS NULL AND NEW.direction = 'inbound' AND NEW.response_secs IS NOT NULL
BEGIN
    INSERT INTO response_times (secs, messages) VALUES (NEW.response_secs, 1)
        ON CONFLICT (secs) DO UPDATE SET messages = messages + 1;
    INSERT INTO response_time_spans (span, messages) VALUES (NEW.response_secs / 4096, 1)
        ON CONFLICT (span) DO UPDATE SET messages = messages + 1;
END;

CREATE TRIGGER messages_untimed AFTER DELETE ON messages
WHEN OLD.primary_id IS NULL AND OLD.direction = 'inbound' AND OLD.response_secs IS NOT NULL
BEGIN
    UPDATE response_times SET messages = messages - 1 WHERE secs = OLD.response_secs;
    DELETE FROM response_times WHERE secs = OLD.response_secs AND messages <= 0;
    UPDATE response_time_spans SET messages = messages - 1 WHERE span = OLD.response_secs / 4096;
    DELETE FROM response_time_spans WHERE span = OLD.response_secs / 4096 AND messages <= 0;
END;

CREATE TRIGGER messages_retimed_out
AFTER UPDATE OF primary_id, direction, response_secs ON messages
WHEN OLD.primary_id IS NULL AND OLD.direction = 'inbound' AND OLD.response_secs IS NOT NULL
    AND NOT (NEW.primary_id IS NULL AND NEW.direction = 'inbound'
        AND NEW.response_secs IS OLD.response_secs)
BEGIN
    UPDATE response_times SET messages = messages - 1 WHERE secs = OLD.response_secs;
    DELETE FROM response_times WHERE secs = OLD.response_secs AND messages <= 0;
    UPDATE response_time_spans SET messages = messages - 1 WHERE span = OLD.response_secs / 4096;
    DELETE FROM response_time_spans WHERE span = OLD.response_secs / 4096 AND messages <= 0;
END;

CREATE TRIGGER messages_retimed_in
AFTER UPDATE OF primary_id, direction, response_secs ON messages
WHEN NEW.primary_id IS NULL AND NEW.direction = 'inbound' AND NEW.response_secs IS NOT NULL
    AND NOT (OLD.primary_id IS NULL AND OLD.direction = 'inbound'
        AND OLD.response_secs IS NEW.response_secs)
BEGIN
    INSERT INTO response_times (secs, messages) VALUES (NEW.response_secs, 1)
        ON CONFLICT (secs) DO UPDATE SET messages = messages + 1;
    INSERT INTO response_time_spans (span, messages) VALUES (NEW.response_secs / 4096, 1)
        ON CONFLICT (span) DO UPDATE SET messages = messages + 1;
END;

