-- The queue (`casebook queue`, `/api/v1/queue`) reads the customer
-- messages nobody answered, by thread, and for each the latest of our
-- messages in its thread. Without these it read every message (1.9 s at
-- a million on SQLite, each row's text pages included). Both are partial:
-- they hold only what the queue looks at.
CREATE INDEX messages_waiting ON messages (thread_id, date, id, topic)
    WHERE direction = 'inbound' AND primary_id IS NULL AND reply_id IS NULL
      AND thread_id IS NOT NULL AND date IS NOT NULL;
CREATE INDEX messages_ours_by_thread ON messages (thread_id, date)
    WHERE direction = 'outbound';
