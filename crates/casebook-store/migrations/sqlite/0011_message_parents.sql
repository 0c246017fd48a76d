-- The parents each message names (In-Reply-To and References), one row
-- per parent, so new mail finds the threads it joins (messages naming it,
-- or naming a parent it names) without reading every message. A copy's
-- rows are under its own id. Pure data from the headers: never changes
-- after insert, removed with its message.
CREATE TABLE message_parents (
    parent   TEXT    NOT NULL,
    message  INTEGER NOT NULL,
    PRIMARY KEY (parent, message)
) WITHOUT ROWID;

INSERT OR IGNORE INTO message_parents (parent, message)
    SELECT j.value, m.id FROM messages m, json_each(m.refs) j WHERE j.type = 'text';
INSERT OR IGNORE INTO message_parents (parent, message)
    SELECT j.value, m.id FROM messages m, json_each(m.in_reply_to) j WHERE j.type = 'text';

-- Subject threading compares one correspondent's messages.
CREATE INDEX messages_by_correspondent ON messages(correspondent);

-- Threading reads the copies of the messages it threads.
CREATE INDEX messages_copies ON messages(primary_id) WHERE primary_id IS NOT NULL;
