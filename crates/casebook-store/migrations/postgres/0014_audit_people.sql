-- The same as migrations/sqlite/0014_audit_people.sql.
CREATE TABLE audit_people (
    address  TEXT   NOT NULL,
    entry    BIGINT NOT NULL REFERENCES audit_log(id),
    PRIMARY KEY (address, entry)
);
CREATE INDEX audit_people_by_entry ON audit_people(entry);

INSERT INTO audit_people (address, entry)
    SELECT substr(subject, 8), id FROM audit_log WHERE substr(subject, 1, 7) = 'person '
    UNION SELECT j->>'address', id
          FROM (SELECT id, CASE WHEN detail LIKE '{%' THEN detail::json END AS j FROM audit_log) a
          WHERE json_typeof(j->'address') = 'string'
    ON CONFLICT DO NOTHING;
