CREATE TABLE imap_folders (
    account          TEXT   NOT NULL,
    folder           TEXT   NOT NULL,
    uid_validity     BIGINT NOT NULL,
    last_uid         BIGINT NOT NULL,
    server_messages  BIGINT,
    last_sync        BIGINT,
    last_error       TEXT,
    PRIMARY KEY (account, folder)
);

CREATE TABLE imap_skipped (
    account       TEXT   NOT NULL,
    folder        TEXT   NOT NULL,
    uid_validity  BIGINT NOT NULL,
    uid           BIGINT NOT NULL,
    size          BIGINT NOT NULL,
    reason        TEXT   NOT NULL,
    seen_at       BIGINT NOT NULL,
    PRIMARY KEY (account, folder, uid_validity, uid)
);
