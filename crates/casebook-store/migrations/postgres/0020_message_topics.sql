-- The topic statistics group a message under (casebook-policy's
-- `topic_of` its subject and text), worked out as the message is stored,
-- so `stats --aggregate` and the statistics page read small columns, not
-- every message's text (at a million messages, every body). NULL: not
-- worked out yet (mail stored before this version); the first statistics
-- run fills them in, found by the partial index, which is empty after.
ALTER TABLE messages ADD COLUMN topic TEXT;
CREATE INDEX messages_without_topic ON messages (id) WHERE topic IS NULL;
