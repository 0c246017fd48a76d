-- Where each IMAP folder's sync stands. last_uid moves only in the
-- transaction that stored the messages up to it.
CREATE TABLE imap_folders (
    account          TEXT    NOT NULL,
    folder           TEXT    NOT NULL,
    uid_validity     INTEGER NOT NULL,
    last_uid         INTEGER NOT NULL,
    server_messages  INTEGER,
    last_sync        INTEGER,
    last_error       TEXT,
    PRIMARY KEY (account, folder)
);

-- Messages a sync passed over (over the size limit), so they are listed
-- rather than silently missing.
CREATE TABLE imap_skipped (
    account       TEXT    NOT NULL,
    folder        TEXT    NOT NULL,
    uid_validity  INTEGER NOT NULL,
    uid           INTEGER NOT NULL,
    size          INTEGER NOT NULL,
    reason        TEXT    NOT NULL,
    seen_at       INTEGER NOT NULL,
    PRIMARY KEY (account, folder, uid_validity, uid)
);
