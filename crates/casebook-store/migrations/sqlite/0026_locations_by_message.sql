-- Where each message was seen, kept in message order. Keyed by its file
-- name first (Maildir names come in no order), every message stored put
-- a row at a random place in a 68 MB index at a million messages and so
-- wrote a page of it to the log, besides a second index by message. Keyed
-- by message, a new message's rows go at the end of the table, and the
-- one tree answers both "where was it seen" and "is this place known".
CREATE TABLE locations_by_message_new (
    message     INTEGER NOT NULL REFERENCES messages(id),
    folder      TEXT    NOT NULL,
    source      TEXT    NOT NULL,
    first_seen  INTEGER NOT NULL,
    PRIMARY KEY (message, source)
) WITHOUT ROWID;
INSERT INTO locations_by_message_new (message, folder, source, first_seen)
    SELECT message, folder, source, first_seen FROM locations;
DROP TABLE locations;
ALTER TABLE locations_by_message_new RENAME TO locations;
