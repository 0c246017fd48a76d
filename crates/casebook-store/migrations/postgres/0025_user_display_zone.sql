-- The time zone a person chose for the pages' dates (an IANA name the web
-- app checked against the system's time zone database); none: the
-- config's display_timezone. Kept with the user, so it follows them to
-- every browser.
ALTER TABLE users ADD COLUMN display_timezone TEXT;
