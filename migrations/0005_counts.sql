-- Counts kept at import, so that no request counts a large set live.

-- Articles per month (YYYY-MM), for the archive and the unfiltered
-- year facet.
CREATE TABLE archive_months (
	month TEXT PRIMARY KEY,
	cards INTEGER NOT NULL
) WITHOUT ROWID;

INSERT INTO archive_months (month, cards)
SELECT substr(published, 1, 7), count(*) FROM cards WHERE published IS NOT NULL GROUP BY 1;

-- The whole collection's size.
INSERT OR REPLACE INTO meta (key, value) VALUES ('cards', (SELECT count(*) FROM cards));

CREATE INDEX tags_by_cards ON tags (cards DESC);
CREATE INDEX sources_by_cards ON sources (cards DESC);
