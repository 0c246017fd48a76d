-- Search results as conversations read the thread of each of up to 5,000
-- hits. On SQLite a row's small columns sit after its text, so reading
-- `thread_id` by row walked each message's text pages: 46 ms for 5,000
-- hits at 100,000 messages. This index holds both numbers, so the lookup
-- reads it alone (PostgreSQL: an index-only scan).
CREATE INDEX messages_thread_of ON messages (id, thread_id);
