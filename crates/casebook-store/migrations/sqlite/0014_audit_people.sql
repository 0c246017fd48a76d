-- The persons (by address) each audit entry concerns. A person's access
-- export and their erasure select audit entries by this table, never by
-- searching the entries' text for an address (which took joann@x for
-- ann@x, and `_` in LIKE for any character). Filled from older entries:
-- `person ADDRESS` subjects, and the address merged in `merge` entries.
CREATE TABLE audit_people (
    address  TEXT    NOT NULL,
    entry    INTEGER NOT NULL REFERENCES audit_log(id),
    PRIMARY KEY (address, entry)
) WITHOUT ROWID;
CREATE INDEX audit_people_by_entry ON audit_people(entry);

INSERT OR IGNORE INTO audit_people (address, entry)
    SELECT substr(subject, 8), id FROM audit_log WHERE substr(subject, 1, 7) = 'person '
    UNION SELECT json_extract(detail, '$.address'), id FROM audit_log
          WHERE json_valid(detail) AND json_type(detail, '$.address') = 'text';
