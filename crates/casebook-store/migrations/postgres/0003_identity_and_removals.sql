CREATE TABLE store_identity (
    id     BIGINT PRIMARY KEY CHECK (id = 1),
    value  TEXT   NOT NULL
);
INSERT INTO store_identity (id, value) VALUES (1, replace(gen_random_uuid()::text, '-', ''));

CREATE TABLE removed_messages (
    id          BIGINT PRIMARY KEY,
    change_seq  BIGINT NOT NULL
);
CREATE INDEX removed_by_change ON removed_messages(change_seq);
