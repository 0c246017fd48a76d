-- Totals `casebook stats` shows, kept up to date by triggers in the same
-- transaction as every change to `messages`, so reading them costs the
-- same at a million messages as at ten (they were counted by scanning
-- every message: 3.6 s at a million). `thread_sizes` and
-- `correspondent_sizes` hold how many messages each thread and each
-- correspondent has, so the number of distinct ones is kept too. A test
-- compares them with a full recount after imports, erasures, retention,
-- copies and merges.
CREATE TABLE message_totals (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    messages BIGINT NOT NULL,
    copies BIGINT NOT NULL,
    inbound BIGINT NOT NULL,
    outbound BIGINT NOT NULL,
    automated BIGINT NOT NULL,
    answered BIGINT NOT NULL,
    timed BIGINT NOT NULL,
    threads BIGINT NOT NULL,
    correspondents BIGINT NOT NULL
);
CREATE TABLE thread_sizes (
    thread_id BIGINT PRIMARY KEY,
    messages BIGINT NOT NULL
);
CREATE TABLE correspondent_sizes (
    correspondent TEXT PRIMARY KEY,
    messages BIGINT NOT NULL
);

INSERT INTO thread_sizes (thread_id, messages)
    SELECT thread_id, COUNT(*) FROM messages WHERE thread_id IS NOT NULL GROUP BY thread_id;
INSERT INTO correspondent_sizes (correspondent, messages)
    SELECT correspondent, COUNT(*) FROM messages
    WHERE primary_id IS NULL AND direction <> 'automated' AND correspondent IS NOT NULL
    GROUP BY correspondent;
INSERT INTO message_totals
    SELECT 1,
        COUNT(*) FILTER (WHERE primary_id IS NULL),
        COUNT(*) FILTER (WHERE primary_id IS NOT NULL),
        COUNT(*) FILTER (WHERE primary_id IS NULL AND direction = 'inbound'),
        COUNT(*) FILTER (WHERE primary_id IS NULL AND direction = 'outbound'),
        COUNT(*) FILTER (WHERE primary_id IS NULL AND direction = 'automated'),
        COUNT(*) FILTER (WHERE primary_id IS NULL AND direction = 'inbound' AND reply_id IS NOT NULL),
        COUNT(*) FILTER (WHERE primary_id IS NULL AND direction = 'inbound' AND response_secs IS NOT NULL),
        (SELECT COUNT(*) FROM thread_sizes),
        (SELECT COUNT(*) FROM correspondent_sizes)
    FROM messages;

CREATE TRIGGER thread_sizes_added AFTER INSERT ON thread_sizes BEGIN
    UPDATE message_totals SET threads = threads + 1 WHERE id = 1;
END;
CREATE TRIGGER thread_sizes_removed AFTER DELETE ON thread_sizes BEGIN
    UPDATE message_totals SET threads = threads - 1 WHERE id = 1;
END;
CREATE TRIGGER correspondent_sizes_added AFTER INSERT ON correspondent_sizes BEGIN
    UPDATE message_totals SET correspondents = correspondents + 1 WHERE id = 1;
END;
CREATE TRIGGER correspondent_sizes_removed AFTER DELETE ON correspondent_sizes BEGIN
    UPDATE message_totals SET correspondents = correspondents - 1 WHERE id = 1;
END;

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

-- The median response time is read from this index, half-way along.
CREATE INDEX messages_by_response ON messages(response_secs)
    WHERE primary_id IS NULL AND direction = 'inbound' AND response_secs IS NOT NULL;
