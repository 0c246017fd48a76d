-- Every write transaction, whether or not it takes a change number, adds
-- one to `writes` on the counter's row it already locks. What the index
-- cannot hold (which inbound mail is answered, the customers' messages,
-- threads) is read once and kept while this number stays the same:
-- re-threading and customer lists change those without a change number.
ALTER TABLE change_counter ADD COLUMN writes BIGINT NOT NULL DEFAULT 0;
