-- Customer and subscription lists, ours and business partners', as
-- imported: a list keeps its source file and import time.
CREATE TABLE customer_lists (
    id           INTEGER PRIMARY KEY,
    name         TEXT    NOT NULL UNIQUE,
    partner      TEXT,              -- NULL: our own list
    source_file  TEXT    NOT NULL,
    imported_at  INTEGER NOT NULL,
    imported_by  TEXT    NOT NULL
);

-- One row of a list: the normalised address and its domain, the fields
-- casebook reads, and every column as it was (JSON object).
CREATE TABLE customer_records (
    id       INTEGER PRIMARY KEY,
    list     INTEGER NOT NULL REFERENCES customer_lists(id),
    line     INTEGER NOT NULL,
    address  TEXT    NOT NULL,
    domain   TEXT    NOT NULL,
    name     TEXT,
    company  TEXT,
    account  TEXT,
    fields   TEXT    NOT NULL
);
CREATE INDEX customer_records_by_list ON customer_records(list);
CREATE INDEX customer_records_by_address ON customer_records(address);
CREATE INDEX customer_records_by_domain ON customer_records(domain, list);

-- Addresses merged into one person: each address names the person's
-- primary address. An address without a row is a person of its own.
CREATE TABLE person_links (
    address    TEXT    PRIMARY KEY,
    person     TEXT    NOT NULL,
    linked_by  TEXT    NOT NULL,
    linked_at  INTEGER NOT NULL
);
CREATE INDEX person_links_by_person ON person_links(person);
