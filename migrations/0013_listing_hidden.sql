-- How many cards each listing of one filter hides when it lists one card
-- per story ("collapse"): a card is hidden when a newer card of its
-- story is in the same listing, so a listing of n cards shows n less
-- this many, one card for each story among them. A tag of a few thousand
-- cards listed so was counted live, walking its cards and probing each
-- one's story (2 ms for 2,000 at 1M cards); with this table its size is
-- a lookup, exact. Only listings that hide some cards have a row; every
-- import that changes the cards rewrites the table with their stories
-- (sqlite.Import.writeStories). A card whose story is not computed yet
-- (no meta 'stories') is alone in it and hides nothing, as here.
CREATE TABLE listing_hidden (
	listing INTEGER NOT NULL, -- 0 every card, 1 tag, 2 source, 3 category (as in listing_facets)
	id      INTEGER NOT NULL, -- that tag's, source's or category's id; 0 for every card
	n       INTEGER NOT NULL, -- the cards of the listing that share a story with a newer one of it
	PRIMARY KEY (listing, id)
) WITHOUT ROWID;

-- Filled in Go, in this migration's transaction, by the statements every
-- import runs (sqlite.writeListingHidden), from the stories stored.
