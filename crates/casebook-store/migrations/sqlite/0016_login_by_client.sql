-- Failed logins are counted per client address as well as per name, so
-- an outsider cannot lock a real user out: each failure records the
-- client it came from ('' for failures recorded before this version),
-- and the addresses each name has logged in from are remembered. A name
-- locked by failures from elsewhere still opens from an address it is
-- known at.
ALTER TABLE login_failures ADD COLUMN client TEXT NOT NULL DEFAULT '';
CREATE INDEX login_failures_by_client ON login_failures(client, at);
-- Failures older than a day are pruned at every attempt: by time.
CREATE INDEX login_failures_by_time ON login_failures(at);

CREATE TABLE login_addresses (
    name     TEXT    NOT NULL,
    client   TEXT    NOT NULL,
    last_at  INTEGER NOT NULL,
    PRIMARY KEY (name, client)
);
