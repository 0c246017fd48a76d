-- Persons erased on request: a keyed hash (HMAC-SHA256) of each of their
-- addresses, so a later sync or import does not bring their mail back.
CREATE TABLE erased_addresses (
    digest     TEXT    PRIMARY KEY,
    erased_at  INTEGER NOT NULL
);

-- What statistics need of each erased message, and nothing that
-- identifies anyone: its month, direction, topic and response time, and a
-- random number shared by one erasure's messages (so counts of distinct
-- correspondents stay right without saying who).
CREATE TABLE erased_messages (
    id             INTEGER PRIMARY KEY,
    month          TEXT    NOT NULL,   -- YYYY-MM, UTC
    direction      TEXT    NOT NULL,
    topic          TEXT    NOT NULL,
    answered       INTEGER NOT NULL,
    response_secs  INTEGER,
    erasure        TEXT    NOT NULL,
    erased_at      INTEGER NOT NULL
);

-- Legal holds: messages of a held thread, or carrying a held tag, are
-- kept through erasure and retention.
CREATE TABLE legal_holds (
    id       INTEGER PRIMARY KEY,
    kind     TEXT    NOT NULL,   -- thread, tag
    target   TEXT    NOT NULL,
    reason   TEXT    NOT NULL,
    held_by  TEXT    NOT NULL,
    held_at  INTEGER NOT NULL,
    UNIQUE (kind, target)
);

-- Keys the store keeps for itself (the erasure hash key).
CREATE TABLE store_secrets (
    name   TEXT PRIMARY KEY,
    value  TEXT NOT NULL
);
