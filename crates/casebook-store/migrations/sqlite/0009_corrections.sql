-- Corrections a person asked for: the name they go by (field 'name'), and
-- customer lists whose match was wrong for them (field 'not-on-list',
-- value the list's name). Audited when made.
CREATE TABLE person_corrections (
    address       TEXT    NOT NULL,
    field         TEXT    NOT NULL,
    value         TEXT    NOT NULL,
    corrected_by  TEXT    NOT NULL,
    corrected_at  INTEGER NOT NULL,
    PRIMARY KEY (address, field, value)
);
