-- The words of the search index and how many cards hold each, kept as a
-- table. cards_fts_vocab computes a word's count by reading all of its
-- postings as it lists the word: expanding the prefix "balancing" (81
-- words, one of them in 319,000 cards at 1M) took 7 ms on a search's
-- first request, before any of its pages was read. Listing all 290,595
-- words and their counts at once takes about a second, and the table
-- about 6 MB at 1M cards. Each import that changes the cards refreshes it
-- after the search index (sqlite.Import).
CREATE TABLE search_words (
	term TEXT PRIMARY KEY,
	doc  INTEGER NOT NULL
) WITHOUT ROWID;

INSERT INTO search_words (term, doc) SELECT term, doc FROM cards_fts_vocab;
