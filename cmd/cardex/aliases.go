package main

import (
	"fmt"
	"strings"

	"cardex/internal/catalog"
	"cardex/internal/sqlite"
)

// aliasesShown is how many merged aliases the import summary names.
const aliasesShown = 5

// printAliasSummary ends the import summary: the aliases merged, named,
// and how many pairs are proposed for a person to check.
func (e environment) printAliasSummary(store *sqlite.Store, stats catalog.ImportStats, dbPath string) {
	var merged []string
	if stats.Aliases > 0 {
		as, err := store.Aliases(e.ctx)
		if err == nil {
			for i, a := range as {
				if i == aliasesShown {
					merged = append(merged, fmt.Sprintf("… and %d more", len(as)-i))
					break
				}
				merged = append(merged, a.Alias.Name+" → "+a.Canonical.Name)
			}
		}
	}
	line := fmt.Sprintf("aliases: %d merged", stats.Aliases)
	if len(merged) > 0 {
		line += " (" + strings.Join(merged, ", ") + ")"
	}
	line += fmt.Sprintf("; %d proposed", stats.AliasProposals)
	if stats.AliasProposals > 0 {
		line += ", check with: cardex aliases --db " + dbPath
	}
	fmt.Fprintln(e.stdout, line)
}

// aliases lists the tag aliases the importer merged and the pairs it
// proposes without merging.
func (e environment) aliases(args []string) error {
	fs := e.flags("aliases", "usage: cardex aliases [--db PATH]\n\nLists the tag spellings merged into one tag, then the look-alike tags left apart for you to check.")
	dbPath := fs.String("db", e.defaultDB(), "the SQLite database")
	if err := fs.Parse(args); err != nil {
		return exitError{code: 2}
	}
	store, err := openExisting(e, *dbPath)
	if err != nil {
		return err
	}
	defer store.Close()
	as, err := store.Aliases(e.ctx)
	if err != nil {
		return err
	}
	ps, err := store.AliasProposals(e.ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "merged (%d):\n", len(as))
	for _, a := range as {
		fmt.Fprintf(e.stdout, "  %s (%s) -> %s\n", a.Alias.Name, a.Alias.Slug, tagRef(a.Canonical))
	}
	fmt.Fprintf(e.stdout, "proposed, not merged (%d):\n", len(ps))
	for _, p := range ps {
		fmt.Fprintf(e.stdout, "  %s ~ %s: %s\n", tagRef(p.A), tagRef(p.B), p.Reason)
	}
	return nil
}

// tagRef names a tag for the terminal: "Kafka (kafka, 5 cards)".
func tagRef(r catalog.Ref) string {
	n := "cards"
	if r.Count == 1 {
		n = "card"
	}
	return fmt.Sprintf("%s (%s, %d %s)", r.Name, r.Slug, r.Count, n)
}
