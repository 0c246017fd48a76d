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

-- What counts of a message: the columns the totals read, and whether
-- the row is being added (1) or taken away (-1).
CREATE TYPE message_counted AS (
    primary_id BIGINT,
    direction TEXT,
    reply_id BIGINT,
    response_secs BIGINT,
    thread_id BIGINT,
    correspondent TEXT,
    sign BIGINT
);

-- Applies a change to `messages` to the totals. Updated row by row, the
-- one row of `message_totals` was updated tens of thousands of times in a
-- round of threading, each update walking the versions the ones before it
-- left (threading a million messages slowed to 30 s per 25,000): updates
-- are applied once per statement.
CREATE FUNCTION message_totals_apply(changed message_counted[]) RETURNS void AS $$
BEGIN
    UPDATE message_totals t SET
        messages = t.messages + d.messages,
        copies = t.copies + d.copies,
        inbound = t.inbound + d.inbound,
        outbound = t.outbound + d.outbound,
        automated = t.automated + d.automated,
        answered = t.answered + d.answered,
        timed = t.timed + d.timed
    FROM (
        SELECT
            COALESCE(SUM(sign) FILTER (WHERE primary_id IS NULL), 0) AS messages,
            COALESCE(SUM(sign) FILTER (WHERE primary_id IS NOT NULL), 0) AS copies,
            COALESCE(SUM(sign) FILTER (WHERE primary_id IS NULL AND direction = 'inbound'), 0) AS inbound,
            COALESCE(SUM(sign) FILTER (WHERE primary_id IS NULL AND direction = 'outbound'), 0) AS outbound,
            COALESCE(SUM(sign) FILTER (WHERE primary_id IS NULL AND direction = 'automated'), 0) AS automated,
            COALESCE(SUM(sign) FILTER (WHERE primary_id IS NULL AND direction = 'inbound'
                AND reply_id IS NOT NULL), 0) AS answered,
            COALESCE(SUM(sign) FILTER (WHERE primary_id IS NULL AND direction = 'inbound'
                AND response_secs IS NOT NULL), 0) AS timed
        FROM unnest(changed)
    ) d
    WHERE t.id = 1;

    INSERT INTO thread_sizes AS s (thread_id, messages)
        SELECT thread_id, SUM(sign) FROM unnest(changed)
        WHERE thread_id IS NOT NULL
        GROUP BY thread_id HAVING SUM(sign) <> 0
        ON CONFLICT (thread_id) DO UPDATE SET messages = s.messages + EXCLUDED.messages;
    DELETE FROM thread_sizes s
        USING (SELECT DISTINCT thread_id FROM unnest(changed) WHERE thread_id IS NOT NULL) c
        WHERE s.thread_id = c.thread_id AND s.messages <= 0;

    INSERT INTO correspondent_sizes AS s (correspondent, messages)
        SELECT correspondent, SUM(sign) FROM unnest(changed)
        WHERE primary_id IS NULL AND direction <> 'automated' AND correspondent IS NOT NULL
        GROUP BY correspondent HAVING SUM(sign) <> 0
        ON CONFLICT (correspondent) DO UPDATE SET messages = s.messages + EXCLUDED.messages;
    DELETE FROM correspondent_sizes s
        USING (SELECT DISTINCT correspondent FROM unnest(changed) WHERE correspondent IS NOT NULL) c
        WHERE s.correspondent = c.correspondent AND s.messages <= 0;
END
$$ LANGUAGE plpgsql;

-- A row inserted (`sign` 1) or deleted (-1): its own sums at once, in a
-- few plain statements (an insert's or a removal's transaction holds a
-- batch of at most a few thousand rows; a statement-level trigger would
-- copy every whole row, text and all, into its transition table, and
-- halved the import's speed).
CREATE FUNCTION message_totals_count(m messages, sign BIGINT) RETURNS void AS $$
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

CREATE FUNCTION messages_added() RETURNS trigger AS $$
BEGIN
    PERFORM message_totals_count(NEW, 1);
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE FUNCTION messages_removed() RETURNS trigger AS $$
BEGIN
    PERFORM message_totals_count(OLD, -1);
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE FUNCTION messages_changed() RETURNS trigger AS $$
BEGIN
    -- Only rows whose counted columns changed (an update of other columns,
    -- a change number or a text, adds and takes away nothing).
    PERFORM message_totals_apply(ARRAY(
        SELECT ROW(b.primary_id, b.direction, b.reply_id, b.response_secs, b.thread_id, b.correspondent, -1)::message_counted
        FROM before_rows b JOIN after_rows a ON a.id = b.id
        WHERE (b.primary_id, b.direction, b.reply_id, b.response_secs, b.thread_id, b.correspondent)
            IS DISTINCT FROM (a.primary_id, a.direction, a.reply_id, a.response_secs, a.thread_id, a.correspondent)
        UNION ALL
        SELECT ROW(a.primary_id, a.direction, a.reply_id, a.response_secs, a.thread_id, a.correspondent, 1)::message_counted
        FROM before_rows b JOIN after_rows a ON a.id = b.id
        WHERE (b.primary_id, b.direction, b.reply_id, b.response_secs, b.thread_id, b.correspondent)
            IS DISTINCT FROM (a.primary_id, a.direction, a.reply_id, a.response_secs, a.thread_id, a.correspondent)));
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER messages_added AFTER INSERT ON messages
    FOR EACH ROW EXECUTE FUNCTION messages_added();
CREATE TRIGGER messages_removed AFTER DELETE ON messages
    FOR EACH ROW EXECUTE FUNCTION messages_removed();
-- Updates come by the tens of thousands in one transaction (a round of
-- threading): applied once per statement from its transition tables.
CREATE TRIGGER messages_changed AFTER UPDATE ON messages
    REFERENCING OLD TABLE AS before_rows NEW TABLE AS after_rows
    FOR EACH STATEMENT EXECUTE FUNCTION messages_changed();

-- The distinct threads and correspondents: one row each in the tables
-- above, counted as rows come and go (once per statement).
CREATE FUNCTION thread_sizes_added() RETURNS trigger AS $$
BEGIN
    UPDATE message_totals SET threads = threads + (SELECT COUNT(*) FROM added_threads) WHERE id = 1;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;
CREATE FUNCTION thread_sizes_removed() RETURNS trigger AS $$
BEGIN
    UPDATE message_totals SET threads = threads - (SELECT COUNT(*) FROM removed_threads) WHERE id = 1;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER thread_sizes_added AFTER INSERT ON thread_sizes
    REFERENCING NEW TABLE AS added_threads
    FOR EACH STATEMENT EXECUTE FUNCTION thread_sizes_added();
CREATE TRIGGER thread_sizes_removed AFTER DELETE ON thread_sizes
    REFERENCING OLD TABLE AS removed_threads
    FOR EACH STATEMENT EXECUTE FUNCTION thread_sizes_removed();

CREATE FUNCTION correspondent_sizes_added() RETURNS trigger AS $$
BEGIN
    UPDATE message_totals SET correspondents = correspondents
        + (SELECT COUNT(*) FROM added_correspondents) WHERE id = 1;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;
CREATE FUNCTION correspondent_sizes_removed() RETURNS trigger AS $$
BEGIN
    UPDATE message_totals SET correspondents = correspondents
        - (SELECT COUNT(*) FROM removed_correspondents) WHERE id = 1;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER correspondent_sizes_added AFTER INSERT ON correspondent_sizes
    REFERENCING NEW TABLE AS added_correspondents
    FOR EACH STATEMENT EXECUTE FUNCTION correspondent_sizes_added();
CREATE TRIGGER correspondent_sizes_removed AFTER DELETE ON correspondent_sizes
    REFERENCING OLD TABLE AS removed_correspondents
    FOR EACH STATEMENT EXECUTE FUNCTION correspondent_sizes_removed();

-- The median response time is read from this index, half-way along.
CREATE INDEX messages_by_response ON messages(response_secs)
    WHERE primary_id IS NULL AND direction = 'inbound' AND response_secs IS NOT NULL;
