-- People who use the web app and the API, with one role each.
CREATE TABLE users (
    id             INTEGER PRIMARY KEY,
    name           TEXT    NOT NULL UNIQUE,
    role           TEXT    NOT NULL,          -- agent, marketing, admin
    password_hash  TEXT    NOT NULL,          -- argon2id, PHC string
    disabled       INTEGER NOT NULL DEFAULT 0,
    created_at     INTEGER NOT NULL
);

-- API tokens, by the SHA-256 of the token (the token is shown once).
CREATE TABLE api_tokens (
    id            INTEGER PRIMARY KEY,
    user_id       INTEGER NOT NULL REFERENCES users(id),
    token_sha256  TEXT    NOT NULL UNIQUE,
    label         TEXT    NOT NULL,
    created_at    INTEGER NOT NULL,
    last_used     INTEGER
);

-- Web sessions, by the SHA-256 of the cookie's value, so every web server
-- sharing the database knows them.
CREATE TABLE sessions (
    token_sha256  TEXT    PRIMARY KEY,
    user_id       INTEGER NOT NULL REFERENCES users(id),
    csrf          TEXT    NOT NULL,
    created_at    INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL
);

-- Failed logins, to slow down guessing (kept for a day).
CREATE TABLE login_failures (
    name  TEXT    NOT NULL,
    at    INTEGER NOT NULL
);
CREATE INDEX login_failures_by_name ON login_failures(name, at);

-- Tags agents give messages; searchable as tag:NAME.
CREATE TABLE message_tags (
    message   INTEGER NOT NULL REFERENCES messages(id),
    tag       TEXT    NOT NULL,
    added_by  INTEGER REFERENCES users(id),
    added_at  INTEGER NOT NULL,
    PRIMARY KEY (message, tag)
);
CREATE INDEX message_tags_by_tag ON message_tags(tag);
