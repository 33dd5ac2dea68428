-- Tag aliases: spellings of one tag that differ only in punctuation and
-- spacing ("Realtime Processing", "Real-time Processing"). The importer
-- merges an alias's cards into its canonical tag and records it here, so
-- that the alias slug can redirect; the alias's own tags row stays, with
-- no cards.
CREATE TABLE tag_aliases (
	slug   TEXT PRIMARY KEY,                     -- the alias tag's slug
	tag_id INTEGER NOT NULL REFERENCES tags (id) -- the canonical tag
) WITHOUT ROWID;

CREATE INDEX tag_aliases_tag ON tag_aliases (tag_id);

-- Pairs of tags that look alike but are not merged (one letter apart, or
-- singular and plural), for a person to check. Rebuilt at each import.
CREATE TABLE alias_proposals (
	slug_a TEXT NOT NULL, -- the tag with more cards
	slug_b TEXT NOT NULL,
	reason TEXT NOT NULL, -- "plural" or "one letter apart"
	PRIMARY KEY (slug_a, slug_b)
) WITHOUT ROWID;
