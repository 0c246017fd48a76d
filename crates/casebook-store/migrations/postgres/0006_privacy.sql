-- What a person told us about the use of their data, one row per address.
-- Each choice keeps when, by whom and on what evidence (a message id, a
-- note) it was recorded; a choice never stated is NULL.
CREATE TABLE privacy_preferences (
    address           TEXT PRIMARY KEY,
    marketing         TEXT,      -- opt-in, opt-out
    marketing_at      BIGINT,
    marketing_by      TEXT,
    marketing_source  TEXT,
    partners          TEXT,      -- allow, deny
    partners_at       BIGINT,
    partners_by       TEXT,
    partners_source   TEXT
);

-- Inbound messages flagged as asking to unsubscribe or to stop sharing,
-- once an agent confirmed or dismissed the request.
CREATE TABLE privacy_request_decisions (
    message     BIGINT PRIMARY KEY,
    decision    TEXT   NOT NULL,   -- confirmed, dismissed
    decided_by  TEXT   NOT NULL,
    decided_at  BIGINT NOT NULL
);
