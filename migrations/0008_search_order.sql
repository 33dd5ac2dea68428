-- The search index in listing order. A card's seq is its place in the
-- default order, newest first (published DESC NULLS LAST, id DESC), and it
-- is the search index's rowid: FTS5 walks a term's matches in rowid
-- order, so the newest matches of a search are the first ones it reads,
-- without listing every match and sorting them by date (which costs about
-- a second for a common word at 1M cards). The importer renumbers seq
-- after every import that changes anything, before it rebuilds the index.
-- An article's URL keeps its id, which never changes.

ALTER TABLE cards ADD COLUMN seq INTEGER;

UPDATE cards SET seq = o.r
FROM (SELECT id, row_number() OVER (ORDER BY published DESC NULLS LAST, id DESC) AS r FROM cards) o
WHERE o.id = cards.id;

CREATE INDEX cards_seq ON cards (seq);

DROP TABLE cards_fts;
DROP VIEW card_search;

CREATE VIEW card_search (seq, title, summary, tags, source) AS
SELECT c.seq, c.title, c.summary,
       (SELECT group_concat(t.name, ' ') FROM card_tags ct JOIN tags t ON t.id = ct.tag_id WHERE ct.card_id = c.id),
       (SELECT s.name FROM sources s WHERE s.id = c.source_id)
FROM cards c;

CREATE VIRTUAL TABLE cards_fts USING fts5 (
	title, summary, tags, source,
	content = 'card_search',
	content_rowid = 'seq',
	tokenize = 'unicode61 remove_diacritics 2',
	prefix = '2 3'
);

INSERT INTO cards_fts (cards_fts) VALUES ('rebuild');
