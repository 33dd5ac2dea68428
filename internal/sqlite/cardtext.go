package sqlite

import (
	"context"
	"database/sql"
	"time"

	"cardex/internal/catalog"
)

// A card's lines as last read are kept for byte-exact export, but only
// where they differ from what the card's fields print (catalog.Card.Text):
// cards.raw is '' for every other card (migration 0011).

// storedRaw is what cards.raw keeps of c.
func storedRaw(c catalog.Card) string {
	if c.Text() == c.Raw {
		return ""
	}
	return c.Raw
}

// cardFields are the columns a card's text is printed from.
const cardFields = `c.title, c.summary, s.name, cat.name, c.published, c.likes, c.read_minutes, c.glued, c.raw`

// cardJoins joins what cardFields reads to cards c.
const cardJoins = `LEFT JOIN sources s ON s.id = c.source_id LEFT JOIN categories cat ON cat.id = c.category_id`

// storedCard is a card as cardFields reads it.
type storedCard struct {
	title, summary, glued, raw  string
	source, category, published sql.NullString
	likes, minutes              int
}

// dest returns the scan destinations of cardFields, in order, after
// first; tc unpacks the summary.
func (sc *storedCard) dest(tc *textCodec, first ...any) []any {
	return append(first, &sc.title, tc.into(&sc.summary), &sc.source, &sc.category, &sc.published, &sc.likes, &sc.minutes, &sc.glued, &sc.raw)
}

// printed returns the card's text as its fields print it.
func (sc *storedCard) printed() string {
	c := catalog.Card{Source: sc.source.String, Category: sc.category.String, Title: sc.title,
		Summary: sc.summary, Glued: sc.glued, Likes: sc.likes, Minutes: sc.minutes}
	if sc.published.Valid {
		c.Date, _ = time.Parse(time.DateOnly, sc.published.String)
	}
	return c.Text()
}

// text returns the card's lines as last read.
func (sc *storedCard) text() string {
	if sc.raw != "" {
		return sc.raw
	}
	return sc.printed()
}

// compactCardText clears the raw text of the stored cards whose fields
// print it (migration 0011), a batch of ids at a time.
func compactCardText(ctx context.Context, tx *sql.Tx, tc *textCodec) error {
	const batch = 5000
	clearRaw, err := tx.PrepareContext(ctx, `UPDATE cards SET raw = '' WHERE id = ?`)
	if err != nil {
		return err
	}
	defer clearRaw.Close()
	var after int64
	for {
		rows, err := tx.QueryContext(ctx, `SELECT c.id, `+cardFields+` FROM cards c `+cardJoins+`
			WHERE c.id > ? AND c.raw <> '' ORDER BY c.id LIMIT ?`, after, batch)
		if err != nil {
			return err
		}
		var same []int64
		n := 0
		for rows.Next() {
			var sc storedCard
			if err := rows.Scan(sc.dest(tc, &after)...); err != nil {
				rows.Close()
				return err
			}
			n++
			if sc.printed() == sc.raw {
				same = append(same, after)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, id := range same {
			if _, err := clearRaw.ExecContext(ctx, id); err != nil {
				return err
			}
		}
		if n < batch {
			return nil
		}
	}
}
