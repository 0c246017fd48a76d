-- Totals `casebook stats` shows, kept up to date by triggers in the same
-- transaction as every change to `messages` (as migrations/sqlite/0018):
-- reading them costs the same at a million messages as at ten.
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

-- What one row of `messages` adds to the totals (`sign` 1) or takes away
-- (`sign` -1).
CREATE FUNCTION message_totals_count(m messages, sign BIGINT, sizes BOOLEAN) RETURNS void AS $$
DECLARE
    primary_row BOOLEAN := m.primary_id IS NULL;
    left_count BIGINT;
BEGIN
    UPDATE message_totals SET
        messages = messages + CASE WHEN primary_row THEN sign ELSE 0 END,
        copies = copies + CASE WHEN primary_row THEN 0 ELSE sign END,
        inbound = inbound + CASE WHEN primary_row AND m.direction = 'inbound' THEN sign ELSE 0 END,
        outbound = outbound + CASE WHEN primary_row AND m.direction = 'outbound' THEN sign ELSE 0 END,
        automated = automated + CASE WHEN primary_row AND m.direction = 'automated' THEN sign ELSE 0 END,
        answered = answered + CASE WHEN primary_row AND m.direction = 'inbound'
            AND m.reply_id IS NOT NULL THEN sign ELSE 0 END,
        timed = timed + CASE WHEN primary_row AND m.direction = 'inbound'
            AND m.response_secs IS NOT NULL THEN sign ELSE 0 END
    WHERE id = 1;
    IF NOT sizes THEN
        RETURN;
    END IF;
    IF m.thread_id IS NOT NULL THEN
        INSERT INTO thread_sizes AS t (thread_id, messages) VALUES (m.thread_id, sign)
            ON CONFLICT (thread_id) DO UPDATE SET messages = t.messages + sign
            RETURNING t.messages INTO left_count;
        IF left_count <= 0 THEN
            DELETE FROM thread_sizes WHERE thread_id = m.thread_id;
        END IF;
    END IF;
    IF primary_row AND m.direction <> 'automated' AND m.correspondent IS NOT NULL THEN
        INSERT INTO correspondent_sizes AS c (correspondent, messages) VALUES (m.correspondent, sign)
            ON CONFLICT (correspondent) DO UPDATE SET messages = c.messages + sign
            RETURNING c.messages INTO left_count;
        IF left_count <= 0 THEN
            DELETE FROM correspondent_sizes WHERE correspondent = m.correspondent;
        END IF;
    END IF;
END
$$ LANGUAGE plpgsql;

CREATE FUNCTION messages_counted() RETURNS trigger AS $$
DECLARE
    -- An update that moves no message between threads or correspondents
    -- (most of re-threading: reply pairs) leaves the sizes alone.
    sizes BOOLEAN := TG_OP <> 'UPDATE'
        OR OLD.thread_id IS DISTINCT FROM NEW.thread_id
        OR OLD.correspondent IS DISTINCT FROM NEW.correspondent
        OR OLD.primary_id IS DISTINCT FROM NEW.primary_id
        OR OLD.direction IS DISTINCT FROM NEW.direction;
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM message_totals_count(OLD, -1, sizes);
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        PERFORM message_totals_count(NEW, 1, sizes);
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER messages_counted
AFTER INSERT OR DELETE OR UPDATE OF primary_id, direction, reply_id, response_secs, thread_id, correspondent
ON messages FOR EACH ROW EXECUTE FUNCTION messages_counted();

CREATE FUNCTION thread_sizes_changed() RETURNS trigger AS $$
BEGIN
    UPDATE message_totals SET threads = threads + CASE WHEN TG_OP = 'INSERT' THEN 1 ELSE -1 END
    WHERE id = 1;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER thread_sizes_changed AFTER INSERT OR DELETE ON thread_sizes
    FOR EACH ROW EXECUTE FUNCTION thread_sizes_changed();

CREATE FUNCTION correspondent_sizes_changed() RETURNS trigger AS $$
BEGIN
    UPDATE message_totals SET correspondents = correspondents
        + CASE WHEN TG_OP = 'INSERT' THEN 1 ELSE -1 END
    WHERE id = 1;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER correspondent_sizes_changed AFTER INSERT OR DELETE ON correspondent_sizes
    FOR EACH ROW EXECUTE FUNCTION correspondent_sizes_changed();

-- The median response time is read from this index, half-way along.
CREATE INDEX messages_by_response ON messages(response_secs)
    WHERE primary_id IS NULL AND direction = 'inbound' AND response_secs IS NOT NULL;
