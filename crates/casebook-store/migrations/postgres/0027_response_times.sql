-- How many answered inbound messages took each response time, kept by
-- triggers like the totals of migration 0018, so the median `casebook
-- stats` shows is found by counting along these rows instead of walking
-- half of the index of response times (half a million entries at a
-- million messages, and a visit to the table for each entry on a page
-- not yet vacuumed: 0.7 s).
--
-- `response_time_spans` sums the rows of `response_times` by spans of
-- 4096 seconds (`secs / 4096`), so the median reads the spans (one row
-- per 68 minutes of response times that occur) and then the at most
-- 4096 rows of one span. Response times are never negative (threading
-- counts an answer written before its question as 0).
CREATE TABLE response_times (
    secs BIGINT PRIMARY KEY,
    messages BIGINT NOT NULL
);
CREATE TABLE response_time_spans (
    span BIGINT PRIMARY KEY,
    messages BIGINT NOT NULL
);
INSERT INTO response_times (secs, messages)
    SELECT response_secs, COUNT(*) FROM messages
    WHERE primary_id IS NULL AND direction = 'inbound' AND response_secs IS NOT NULL
    GROUP BY response_secs;
INSERT INTO response_time_spans (span, messages)
    SELECT secs / 4096, SUM(messages) FROM response_times GROUP BY secs / 4096;

-- A response time counted in (`sign` 1) or out (-1).
CREATE TYPE response_counted AS (
    secs BIGINT,
    sign BIGINT
);

-- Applies changed response times to both tables, once per distinct time
-- and span (a round of threading times tens of thousands of messages in
-- one statement; updating a row once per message walked its versions).
CREATE FUNCTION response_times_apply(changed response_counted[]) RETURNS void AS $$
BEGIN
    INSERT INTO response_times AS r (secs, messages)
        SELECT secs, SUM(sign) FROM unnest(changed)
        GROUP BY secs HAVING SUM(sign) <> 0
        ON CONFLICT (secs) DO UPDATE SET messages = r.messages + EXCLUDED.messages;
    DELETE FROM response_times r
        USING (SELECT DISTINCT secs FROM unnest(changed)) c
        WHERE r.secs = c.secs AND r.messages <= 0;
    INSERT INTO response_time_spans AS s (span, messages)
        SELECT secs / 4096, SUM(sign) FROM unnest(changed)
        GROUP BY secs / 4096 HAVING SUM(sign) <> 0
        ON CONFLICT (span) DO UPDATE SET messages = s.messages + EXCLUDED.messages;
    DELETE FROM response_time_spans s
        USING (SELECT DISTINCT secs / 4096 AS span FROM unnest(changed)) c
        WHERE s.span = c.span AND s.messages <= 0;
END
$$ LANGUAGE plpgsql;

CREATE FUNCTION message_timed() RETURNS trigger AS $$
BEGIN
    PERFORM response_times_apply(ARRAY[ROW(NEW.response_secs, 1)::response_counted]);
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE FUNCTION message_untimed() RETURNS trigger AS $$
BEGIN
    PERFORM response_times_apply(ARRAY[ROW(OLD.response_secs, -1)::response_counted]);
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE FUNCTION messages_retimed() RETURNS trigger AS $$
BEGIN
    -- Only rows whose timing changed: the time before taken away, the
    -- time after added.
    PERFORM response_times_apply(ARRAY(
        SELECT ROW(b.response_secs, -1)::response_counted
        FROM before_rows b JOIN after_rows a ON a.id = b.id
        WHERE b.primary_id IS NULL AND b.direction = 'inbound' AND b.response_secs IS NOT NULL
            AND (b.primary_id, b.direction, b.response_secs)
                IS DISTINCT FROM (a.primary_id, a.direction, a.response_secs)
        UNION ALL
        SELECT ROW(a.response_secs, 1)::response_counted
        FROM before_rows b JOIN after_rows a ON a.id = b.id
        WHERE a.primary_id IS NULL AND a.direction = 'inbound' AND a.response_secs IS NOT NULL
            AND (b.primary_id, b.direction, b.response_secs)
                IS DISTINCT FROM (a.primary_id, a.direction, a.response_secs)));
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

-- Row triggers only for rows that carry a response time (the condition
-- is tested without calling the function: most messages are stored
-- before threading times them).
CREATE TRIGGER messages_timed AFTER INSERT ON messages FOR EACH ROW
    WHEN (NEW.primary_id IS NULL AND NEW.direction = 'inbound' AND NEW.response_secs IS NOT NULL)
    EXECUTE FUNCTION message_timed();
CREATE TRIGGER messages_untimed AFTER DELETE ON messages FOR EACH ROW
    WHEN (OLD.primary_id IS NULL AND OLD.direction = 'inbound' AND OLD.response_secs IS NOT NULL)
    EXECUTE FUNCTION message_untimed();
CREATE TRIGGER messages_retimed AFTER UPDATE ON messages
    REFERENCING OLD TABLE AS before_rows NEW TABLE AS after_rows
    FOR EACH STATEMENT EXECUTE FUNCTION messages_retimed();

-- The median no longer walks it.
DROP INDEX messages_by_response;
