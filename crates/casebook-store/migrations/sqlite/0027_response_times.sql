-- How many answered inbound messages took each response time, kept by
-- triggers like the totals of migration 0018, so the median `casebook
-- stats` shows is found by counting along these rows instead of walking
-- half of the index of response times (half a million entries at a
-- million messages; on PostgreSQL a visit to the table for each entry on
-- a page not yet vacuumed: 0.7 s).
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

-- A change of timing in two triggers, each firing only for what it
-- does: threading times a message that had no time, and then only the
-- second fires (two statements, not six, for each of the hundreds of
-- thousands of answers a first import times).
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

-- The median no longer walks it.
DROP INDEX messages_by_response;
