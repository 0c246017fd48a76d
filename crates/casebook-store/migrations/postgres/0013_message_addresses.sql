-- The same as migrations/sqlite/0013_message_addresses.sql.
CREATE TABLE message_addresses (
    address  TEXT   NOT NULL,
    message  BIGINT NOT NULL,
    PRIMARY KEY (address, message)
);
CREATE INDEX message_addresses_by_message ON message_addresses(message);

INSERT INTO message_addresses (address, message)
    SELECT from_address, id FROM messages WHERE from_address IS NOT NULL
    UNION SELECT correspondent, id FROM messages WHERE correspondent IS NOT NULL
    UNION SELECT r->>'address', m.id
          FROM messages m, json_array_elements(m.recipients::json) r
          WHERE r->>'address' IS NOT NULL
    ON CONFLICT DO NOTHING;
