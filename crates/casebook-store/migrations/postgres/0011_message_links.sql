-- The same as migrations/sqlite/0011_message_links.sql.
CREATE TABLE message_links (
    key      BIGINT NOT NULL,
    message  BIGINT NOT NULL,
    PRIMARY KEY (key, message)
);

CREATE TABLE message_links_state (
    id        BIGINT PRIMARY KEY CHECK (id = 1),
    complete  BIGINT NOT NULL
);
INSERT INTO message_links_state (id, complete)
    SELECT 1, CASE WHEN EXISTS (SELECT 1 FROM messages) THEN 0 ELSE 1 END;

CREATE INDEX messages_copies ON messages(primary_id) WHERE primary_id IS NOT NULL;
