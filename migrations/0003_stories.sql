-- Stories: the same article republished by several sources.
--
-- story is the smallest card id of the card's cluster (a card alone has
-- its own id). The importer computes it in Go (see sqlite.clusterStories)
-- after every import that changes anything, because the title and summary
-- normalization it needs is not expressible in SQL. Until the first such
-- import it is NULL, which the queries read as a story of one card.

ALTER TABLE cards ADD COLUMN story INTEGER;

CREATE INDEX cards_story ON cards (story, published);
