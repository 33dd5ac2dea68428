# Cardex's front door: every build, test and CI step goes through here.
#   make run    import seeds/ into data/cardex.db if needed, then serve
#   make test   every test
#   make lint   go vet + staticcheck
#   make fuzz   each fuzz target for FUZZTIME
#   make bench  Go benchmarks

# go1.26.8 has reachable standard-library advisories; the go command fetches
# this toolchain from the module proxy.
export GOTOOLCHAIN := go1.27.3
# The one cgo build-tag set: FTS5 for full-text search. Every go command uses
# it, so go-sqlite3 is compiled once.
TAGS := sqlite_fts5
GO := go
GOFLAGS_TAGS := -tags $(TAGS)

DB := data/cardex.db
SEEDS := $(wildcard seeds/*.txt)
ADDR ?= 127.0.0.1:8080
FUZZTIME ?= 30s
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2

.PHONY: build run test lint fuzz bench import clean

build:
	$(GO) build $(GOFLAGS_TAGS) -o bin/cardex ./cmd/cardex

# The database is rebuilt when it is missing or older than the seeds.
$(DB): $(SEEDS) seeds/lexicon.tags | build
	@mkdir -p data
	rm -f $(DB) $(DB)-wal $(DB)-shm
	bin/cardex import --db $(DB) seeds/

import: build $(DB)

run: build $(DB)
	@if bin/cardex help 2>/dev/null | grep -q '^  serve'; then \
		bin/cardex serve --db $(DB) --addr $(ADDR); \
	else \
		echo "imported seeds into $(DB); 'cardex serve' is not built yet"; \
	fi

test:
	$(GO) test $(GOFLAGS_TAGS) -count=1 ./...

lint:
	$(GO) vet $(GOFLAGS_TAGS) ./...
	$(GO) run $(STATICCHECK) -tags $(TAGS) ./...

fuzz:
	$(GO) test $(GOFLAGS_TAGS) -run '^$$' -fuzz '^FuzzReader$$' -fuzztime $(FUZZTIME) ./internal/listing
	$(GO) test $(GOFLAGS_TAGS) -run '^$$' -fuzz '^FuzzSplit$$' -fuzztime $(FUZZTIME) ./internal/tagsplit

bench:
	$(GO) test $(GOFLAGS_TAGS) -run '^$$' -bench . -benchmem ./...

clean:
	rm -rf bin data
