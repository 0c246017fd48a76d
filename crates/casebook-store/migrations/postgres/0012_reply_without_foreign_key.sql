-- reply_id loses its foreign key, as in migrations/sqlite/0012: it is
-- derived data (threading works it out, removals clear it first, `check`
-- compares it with threads worked out afresh), and the check cost a lookup
-- for every row re-threading updates. primary_id keeps its foreign key.
ALTER TABLE messages DROP CONSTRAINT IF EXISTS messages_reply_id_fkey;
