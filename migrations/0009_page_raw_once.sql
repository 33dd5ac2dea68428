-- Each card's text once. page_cards.raw repeated cards.raw for nearly every
-- card (65 MB of a 340 MB database at 100k cards, 650 MB at 1M). Now it is
-- '' when the page's text of the card is the card's own (cards.raw), and
-- holds the text only when it differs: a page imported before the card
-- was updated from another page. Before cards.raw changes, the importer
-- writes it into the '' rows of that card, so every page still exports
-- byte for byte. A card's text is never empty, so '' is not ambiguous.
UPDATE page_cards SET raw = ''
WHERE raw = (SELECT raw FROM cards WHERE cards.id = page_cards.card_id);
