-- Every place of every word in the search index, for ranking a search in
-- Go (sqlite.Store.rankingByLengths): a word's places say how often it is
-- in each column of each card, which with each card's size in tokens
-- (read once when a store opens for serving) is all that bm25 needs.
-- FTS5's own bm25 looks each match's size up in cards_fts_docsize, a
-- random read of a 12 MB table per match: 2.5 ms for a word of 1,997
-- matches at 1M cards, against 0.5 ms to read its places here. A table of
-- this kind stores nothing: it reads cards_fts's index. A migration that
-- drops cards_fts must drop it first.
CREATE VIRTUAL TABLE cards_fts_instance USING fts5vocab(cards_fts, instance);
