-- SQLite's 0028 rebuilds `messages` with the text last, because SQLite
-- walks a long text's overflow pages to reach any column stored after it.
-- PostgreSQL keeps long values out of the row (TOAST) wherever they stand,
-- so nothing moves here; this migration keeps the two schemas' version
-- numbers alike (`casebook migrate` reports them).
COMMENT ON COLUMN messages.body IS
    'the text; long values are kept out of the row (TOAST), so the column order does not matter here';
