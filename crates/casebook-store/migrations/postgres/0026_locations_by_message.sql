-- Where each message was seen, kept in message order. Keyed by its file
-- name first (Maildir names come in no order), every message stored put
-- an entry at a random place in the key's index, besides a second index
-- by message. Keyed by message, a new message's entries go at the end of
-- the one index, which answers both "where was it seen" and "is this
-- place known".
ALTER TABLE locations DROP CONSTRAINT locations_pkey;
DROP INDEX locations_by_message;
ALTER TABLE locations ADD PRIMARY KEY (message, source);
