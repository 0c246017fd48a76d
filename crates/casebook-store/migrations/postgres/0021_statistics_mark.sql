-- Statistics over months and topics are kept beside the search index, a
-- small record per message, and brought up to date by the messages whose
-- `state_write` is above the count they were kept at. What no row's
-- `state_write` shows makes them be read again from every message:
-- messages removed (erasure, retention, a repair) and addresses merged
-- into a person or separated. `stats_write` is the count of writes at
-- which that last happened.
ALTER TABLE change_counter ADD COLUMN stats_write BIGINT NOT NULL DEFAULT 0;
