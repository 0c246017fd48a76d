-- Statistics count conversations customers wrote in. An erased message's
-- anonymous record keeps the number of the conversation it was in (an
-- internal number, not a person or a word), so erasing someone leaves the
-- conversation counts as they were, as it leaves every other figure.
-- Records kept before have none and count in messages only.
ALTER TABLE erased_messages ADD COLUMN thread BIGINT;
