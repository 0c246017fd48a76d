-- Every address a message's header names (From, Sender, Reply-To, To, Cc,
-- Bcc), as a mail client reads them. What acts on a person (erasure, the
-- access export) finds their mail by this as well as by correspondent, so
-- mail where they are only in Cc or Reply-To is found too. Filled from the
-- columns older versions kept; `check --repair` re-reads the headers of
-- mail stored without a sender.
CREATE TABLE message_addresses (
    address  TEXT    NOT NULL,
    message  INTEGER NOT NULL,
    PRIMARY KEY (address, message)
) WITHOUT ROWID;
CREATE INDEX message_addresses_by_message ON message_addresses(message);

INSERT OR IGNORE INTO message_addresses (address, message)
    SELECT from_address, id FROM messages WHERE from_address IS NOT NULL
    UNION SELECT correspondent, id FROM messages WHERE correspondent IS NOT NULL
    UNION SELECT json_extract(r.value, '$.address'), m.id
          FROM messages m, json_each(m.recipients) r
          WHERE json_extract(r.value, '$.address') IS NOT NULL;
