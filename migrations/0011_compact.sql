-- A smaller database: at 1M cards it was 2.69 GB, of which
--   * cards.raw, each card's lines as read, 595 MB: nearly every card's
--     lines are what its fields print (catalog.Card.Text), so raw is now ''
--     for those cards and holds the text only where it differs. The
--     importer writes it so, and after this migration the store clears
--     the raw text of the cards already stored that print the same
--     (sqlite.compactCardText, in the migration's transaction);
--   * cards.key (source, date and title) and its unique index, 216 MB:
--     the importer finds a card by its source, date and title through
--     cards_source (source_id, published) instead, and a card without a
--     source through cards_sourceless, a partial index of their titles;
--   * the search index's prefix indexes ('2 3'), 410 MB: a typed prefix of
--     four letters or more never used them; a shorter one now costs what a
--     longer one always did (FTS5 merges its words' postings), and a
--     served listing in date order reads it as an OR of the index's words
--     that start with it (cards_fts_vocab, sqlite.expandPrefixes);
--   * card_tags_tag (tag_id, card_id), 45 MB: card_tags_feed (tag_id,
--     published, card_id) answers every lookup by tag;
--   * summaries, 314 MB of text: each is stored compressed on its own
--     (DEFLATE against a preset dictionary, sqlite/textpack.go), 0.52 of
--     its size on the generated corpus; SQL reads card_unpack(summary);
--   * cards.file and cards.line, where the card was last read, 55 MB:
--     nothing read them, and page_cards (page, line) with pages.file says
--     where each page shows the card.
--
-- SQLite cannot drop a column that has a UNIQUE constraint, so cards is
-- rebuilt (the documented 12 steps: the migration runs with foreign keys
-- off and checks them before it commits). The view and the search index
-- that read cards are dropped first and made again after.

DROP TABLE cards_fts_vocab;
DROP TABLE cards_fts;
DROP VIEW card_search;
DROP INDEX card_tags_tag;

-- A card alone in its story now has no story (NULL) instead of its own
-- id, so that cards_story indexes only the cards that share a story (21
-- MB at 1M cards, nearly all of it single cards). Every query already
-- read NULL as a story of one card. Whether stories were computed at all
-- (a database migrated past 0003 but not imported since has none) is now
-- meta 'stories'.
INSERT INTO meta (key, value) SELECT 'stories', 'computed' WHERE NOT EXISTS (SELECT 1 FROM cards WHERE story IS NULL);
UPDATE cards SET story = NULL
WHERE story = id AND NOT EXISTS (SELECT 1 FROM cards d WHERE d.story = cards.id AND d.id <> cards.id);

CREATE TABLE cards_new (
	id           INTEGER PRIMARY KEY,
	title        TEXT NOT NULL,
	summary      NOT NULL,             -- compressed: read it as card_unpack(summary), see sqlite/textpack.go
	source_id    INTEGER REFERENCES sources (id),
	category_id  INTEGER REFERENCES categories (id),
	published    TEXT,                 -- YYYY-MM-DD, NULL when the card has no date
	likes        INTEGER NOT NULL,
	read_minutes INTEGER NOT NULL,
	glued        TEXT NOT NULL,        -- the tags line exactly as printed
	raw          TEXT NOT NULL,        -- the card's lines as last read; '' when they are what the fields print
	story        INTEGER,              -- see migration 0003; NULL for a card alone in its story
	seq          INTEGER               -- see migration 0008
);

INSERT INTO cards_new (id, title, summary, source_id, category_id, published, likes, read_minutes, glued, raw, story, seq)
SELECT id, title, card_pack(summary), source_id, category_id, published, likes, read_minutes, glued, raw, story, seq
FROM cards ORDER BY id;

DROP TABLE cards;
ALTER TABLE cards_new RENAME TO cards;

CREATE INDEX cards_source ON cards (source_id, published);
CREATE INDEX cards_category ON cards (category_id, published);
CREATE INDEX cards_published ON cards (published);
CREATE INDEX cards_story ON cards (story, published) WHERE story IS NOT NULL;
CREATE INDEX cards_seq ON cards (seq);
-- The cards without a source (and so without a date), by title: the
-- importer's lookup of such a card, which cards_source cannot narrow.
CREATE INDEX cards_sourceless ON cards (title) WHERE source_id IS NULL;

CREATE VIEW card_search (seq, title, summary, tags, source) AS
SELECT c.seq, c.title, card_unpack(c.summary),
       (SELECT group_concat(t.name, ' ') FROM card_tags ct JOIN tags t ON t.id = ct.tag_id WHERE ct.card_id = c.id),
       (SELECT s.name FROM sources s WHERE s.id = c.source_id)
FROM cards c;

CREATE VIRTUAL TABLE cards_fts USING fts5 (
	title, summary, tags, source,
	content = 'card_search',
	content_rowid = 'seq',
	tokenize = 'unicode61 remove_diacritics 2'
);

INSERT INTO cards_fts (cards_fts) VALUES ('rebuild');

CREATE VIRTUAL TABLE cards_fts_vocab USING fts5vocab(cards_fts, row);
