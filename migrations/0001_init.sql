-- The imported listing pages and the cards they carry.

CREATE TABLE meta (
	key   TEXT PRIMARY KEY,
	value TEXT NOT NULL
) WITHOUT ROWID;

INSERT INTO meta (key, value) VALUES ('version', '0');

CREATE TABLE sources (
	id    INTEGER PRIMARY KEY,
	name  TEXT NOT NULL UNIQUE,
	slug  TEXT NOT NULL UNIQUE,
	cards INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE categories (
	id    INTEGER PRIMARY KEY,
	name  TEXT NOT NULL UNIQUE,
	slug  TEXT NOT NULL UNIQUE,
	cards INTEGER NOT NULL DEFAULT 0
);

-- A tag is keyed by its slug, so that case-only variants ("caching",
-- "Caching") are one tag; name is the spelling most cards use.
CREATE TABLE tags (
	id    INTEGER PRIMARY KEY,
	name  TEXT NOT NULL,
	slug  TEXT NOT NULL UNIQUE,
	cards INTEGER NOT NULL DEFAULT 0
);

-- One row per page of a tag listing; importing the same (tag, number)
-- again replaces the page's card list.
CREATE TABLE pages (
	id          INTEGER PRIMARY KEY,
	tag         TEXT NOT NULL,    -- the page's own tag, carried by most of its cards
	number      INTEGER NOT NULL, -- "Page 21 of 22": 21
	of_pages    INTEGER NOT NULL, -- 22
	total       INTEGER NOT NULL, -- "2122 articles"
	header      TEXT NOT NULL,    -- the header lines exactly as read
	file        TEXT NOT NULL,    -- the file it was last imported from
	sha256      TEXT NOT NULL,    -- of that file's bytes
	imported_at TEXT NOT NULL,
	UNIQUE (tag, number)
);

-- A card is one article from one source: the same title, source and date
-- on two pages is one card; from two sources it is two.
CREATE TABLE cards (
	id           INTEGER PRIMARY KEY,
	key          TEXT NOT NULL UNIQUE, -- source, date and title, see sqlite.cardKey
	title        TEXT NOT NULL,
	summary      TEXT NOT NULL,
	source_id    INTEGER REFERENCES sources (id),
	category_id  INTEGER REFERENCES categories (id),
	published    TEXT,                 -- YYYY-MM-DD, NULL when the card has no date
	likes        INTEGER NOT NULL,
	read_minutes INTEGER NOT NULL,
	glued        TEXT NOT NULL,        -- the tags line exactly as printed
	raw          TEXT NOT NULL,        -- the card's lines exactly as last read
	file         TEXT NOT NULL,        -- where it was last read from
	line         INTEGER NOT NULL
);

CREATE INDEX cards_source ON cards (source_id, published);
CREATE INDEX cards_category ON cards (category_id, published);
CREATE INDEX cards_published ON cards (published);

CREATE TABLE card_tags (
	card_id  INTEGER NOT NULL REFERENCES cards (id),
	tag_id   INTEGER NOT NULL REFERENCES tags (id),
	position INTEGER NOT NULL,
	PRIMARY KEY (card_id, tag_id)
) WITHOUT ROWID;

CREATE INDEX card_tags_tag ON card_tags (tag_id, card_id);

-- Each occurrence of a card on a page, in page order, with its raw text:
-- enough to write the page back byte for byte.
CREATE TABLE page_cards (
	page_id  INTEGER NOT NULL REFERENCES pages (id),
	position INTEGER NOT NULL,
	card_id  INTEGER NOT NULL REFERENCES cards (id),
	line     INTEGER NOT NULL,
	raw      TEXT NOT NULL,
	PRIMARY KEY (page_id, position)
) WITHOUT ROWID;

CREATE INDEX page_cards_card ON page_cards (card_id);

-- Glued tag strings whose split was not certain, for a person to settle
-- with a lexicon entry.
CREATE TABLE uncertain_splits (
	glued       TEXT PRIMARY KEY,
	tags        TEXT NOT NULL, -- JSON array: the split chosen
	alternative TEXT NOT NULL, -- JSON array: the runner-up
	margin      REAL NOT NULL, -- how much less probable the runner-up was, in nats
	example     TEXT NOT NULL  -- FILE:LINE of a card that has it
) WITHOUT ROWID;
