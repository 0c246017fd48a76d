-- The same as migrations/sqlite/0011_message_parents.sql.
CREATE TABLE message_parents (
    parent   TEXT    NOT NULL,
    message  BIGINT  NOT NULL,
    PRIMARY KEY (parent, message)
);

INSERT INTO message_parents (parent, message)
    SELECT j.value, m.id FROM messages m, jsonb_array_elements_text(m.refs::jsonb) AS j(value)
    UNION
    SELECT j.value, m.id FROM messages m, jsonb_array_elements_text(m.in_reply_to::jsonb) AS j(value);

CREATE INDEX messages_by_correspondent ON messages(correspondent);

-- Threading reads the copies of the messages it threads.
CREATE INDEX messages_copies ON messages(primary_id) WHERE primary_id IS NOT NULL;
