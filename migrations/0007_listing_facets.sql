-- The sidebar of every single-filter listing (one tag, one source or one
-- category), counted at import: the biggest listings are the most visited,
-- and counting their facets live costs time in proportion to their size
-- (about a second for a tag of 300,000 cards). Only the entries a sidebar
-- can show are kept: the top co-tags and sources, every category and year.
-- The importer rebuilds the table after every import that changes
-- anything (sqlite.rebuildListingFacets); until then it is empty and the
-- sidebars are counted live.
CREATE TABLE listing_facets (
	listing INTEGER NOT NULL, -- 1 tag, 2 source, 3 category
	id      INTEGER NOT NULL, -- that tag's, source's or category's id
	kind    INTEGER NOT NULL, -- the entry: 1 tag, 2 source, 3 category, 4 year
	ref     INTEGER NOT NULL, -- the entry's id, or the year
	n       INTEGER NOT NULL, -- the listing's articles that have the entry
	PRIMARY KEY (listing, id, kind, ref)
) WITHOUT ROWID;
