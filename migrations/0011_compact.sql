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
--     published, card_id) answers every lookup by tag.
--
-- SQLite cannot drop a column that has a UNIQUE constraint, so cards is
-- rebuilt (the documented 12 steps: the migration runs with foreign keys
-- off and checks them before it commits). The view and the search index
-- that read cards are dropped first and made again after.

DROP TABLE cards_fts_vocab;
DROP TABLE cards_fts;
DROP VIEW card_search;
DROP INDEX card_tags_tag;

CREATE TABLE cards_new (
	id           INTEGER PRIMARY KEY,
	title        TEXT NOT NULL,
	summary      TEXT NOT NULL,
	source_id    INTEGER REFERENCES sources (id),
	category_id  INTEGER REFERENCES categories (id),
	published    TEXT,                 -- YYYY-MM-DD, NULL when the card has no date
	likes        INTEGER NOT NULL,
	read_minutes INTEGER NOT NULL,
	glued        TEXT NOT NULL,        -- the tags line exactly as printed
	raw          TEXT NOT NULL,        -- the card's lines as last read; '' when they are what the fields print
	file         TEXT NOT NULL,        -- where it was last read from
	line         INTEGER NOT NULL,
	story        INTEGER,              -- see migration 0003
	seq          INTEGER               -- see migration 0008
);

INSERT INTO cards_new (id, title, summary, source_id, category_id, published, likes, read_minutes, glued, raw, file, line, story, seq)
SELECT id, title, summary, source_id, category_id, published, likes, read_minutes, glued, raw, file, line, story, seq
FROM cards ORDER BY id;

DROP TABLE cards;
ALTER TABLE cards_new RENAME TO cards;

CREATE INDEX cards_source ON cards (source_id, published);
CREATE INDEX cards_category ON cards (category_id, published);
CREATE INDEX cards_published ON cards (published);
CREATE INDEX cards_story ON cards (story, published);
CREATE INDEX cards_seq ON cards (seq);
-- The cards without a source (and so without a date), by title: the
-- importer's lookup of such a card, which cards_source cannot narrow.
CREATE INDEX cards_sourceless ON cards (title) WHERE source_id IS NULL;

CREATE VIEW card_search (seq, title, summary, tags, source) AS
SELECT c.seq, c.title, c.summary,
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
