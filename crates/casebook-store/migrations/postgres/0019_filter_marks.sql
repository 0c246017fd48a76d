-- What `is:answered`, `is:unanswered` and `customer:` select is kept as
-- sets of message numbers (by each process, and on disk beside its
-- search index) and brought up to date from what changed, instead of
-- being read again from every message after each write (a second at a
-- million messages). `state_write` is the count of writes
-- (`change_counter.writes`) at which a message was stored or last
-- changed in what those filters look at: its direction, its
-- correspondent, whether it is a copy, whether it is answered.
-- `lists_write` is the count at which a customer list last changed
-- (every customer set is then read again).
ALTER TABLE messages ADD COLUMN state_write BIGINT NOT NULL DEFAULT 0;
CREATE INDEX messages_by_state_write ON messages (state_write);
ALTER TABLE change_counter ADD COLUMN lists_write BIGINT NOT NULL DEFAULT 0;
