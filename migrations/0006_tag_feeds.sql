-- Each tag's cards in listing order, straight from an index: card_tags
-- carries its card's date, so that a tag's page N is an index range, not a
-- scan of the cards with a membership test. A card's date never changes
-- (it is part of the card's key).
ALTER TABLE card_tags ADD COLUMN published TEXT;

UPDATE card_tags SET published = (SELECT published FROM cards WHERE cards.id = card_tags.card_id);

CREATE INDEX card_tags_feed ON card_tags (tag_id, published DESC, card_id DESC);
