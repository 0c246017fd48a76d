-- Which archive this is: a search index built from another archive (a
-- copied data folder, a new database URL) is rebuilt rather than trusted.
CREATE TABLE store_identity (
    id     INTEGER PRIMARY KEY CHECK (id = 1),
    value  TEXT    NOT NULL
);
INSERT INTO store_identity (id, value) VALUES (1, lower(hex(randomblob(16))));

-- Messages removed from the archive, with the change that removed them, so
-- every process's index drops them when it catches up.
CREATE TABLE removed_messages (
    id          INTEGER PRIMARY KEY,
    change_seq  INTEGER NOT NULL
);
CREATE INDEX removed_by_change ON removed_messages(change_seq);
