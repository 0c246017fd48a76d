-- Testimonials: a customer's words an approver decided on. Suggestions are
-- worked out afresh each time; a row exists once someone decided.
CREATE TABLE testimonials (
    id               INTEGER PRIMARY KEY,
    message          INTEGER NOT NULL REFERENCES messages(id),
    excerpt          TEXT    NOT NULL,
    attribution      TEXT    NOT NULL,
    edited           INTEGER NOT NULL,
    consent_message  INTEGER REFERENCES messages(id),
    consent_note     TEXT,
    topic            TEXT    NOT NULL,
    state            TEXT    NOT NULL,   -- approved, rejected, revoked
    reason           TEXT,
    decided_by       TEXT    NOT NULL,
    decided_at       INTEGER NOT NULL,
    expires_at       INTEGER
);
CREATE INDEX testimonials_by_message ON testimonials(message);

-- Who did what, when: testimonial decisions, exports, and later privacy
-- actions. Never rewritten.
CREATE TABLE audit_log (
    id       INTEGER PRIMARY KEY,
    at       INTEGER NOT NULL,
    actor    TEXT    NOT NULL,
    action   TEXT    NOT NULL,
    subject  TEXT    NOT NULL,
    detail   TEXT    NOT NULL     -- JSON
);
