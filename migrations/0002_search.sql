-- Full-text search over title, summary, tags and source.
--
-- The index keeps no copy of the text: its content is this view, and
-- highlight() reads the view back. unicode61 with remove_diacritics 2
-- folds case and diacritics; every dash (U+2011 included) and quote
-- separates words, so "multi-layer" and "multi‑layer" index alike.
-- Prefix indexes make "kafk*" cheap.

CREATE VIEW card_search (id, title, summary, tags, source) AS
SELECT c.id, c.title, c.summary,
       (SELECT group_concat(t.name, ' ') FROM card_tags ct JOIN tags t ON t.id = ct.tag_id WHERE ct.card_id = c.id),
       (SELECT s.name FROM sources s WHERE s.id = c.source_id)
FROM cards c;

CREATE VIRTUAL TABLE cards_fts USING fts5 (
	title, summary, tags, source,
	content = 'card_search',
	content_rowid = 'id',
	tokenize = 'unicode61 remove_diacritics 2',
	prefix = '2 3'
);

INSERT INTO cards_fts (cards_fts) VALUES ('rebuild');
