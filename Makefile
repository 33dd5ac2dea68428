# Cardex's front door: every build, test and CI step goes through here.
#   make run    import seeds/ into data/cardex.db if needed, then serve
#   make test   every test
#   make lint   gofmt + go vet + staticcheck + gosec
#   make vuln   govulncheck against an offline vulnerability database
#   make fuzz   each fuzz target for FUZZTIME
#   make bench        1M-card end-to-end benchmark (wrk + nginx), results in web/docs/performance.md
#   make bench-quick  the same at 100k cards, about a minute once imported
#   make bench-go     Go micro-benchmarks
#   make bench-shapes the 400 random listings of BenchmarkStoreShapes on the database make bench imported
#   make scaling-demo two replicas behind a caching nginx, a snapshot rolled out under load (web/docs/scaling.md)

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
GOSEC := github.com/securego/gosec/v2/cmd/gosec@v2.30.0
# gosec: a single site is suppressed in the code, "// #nosec G304 -- why"
# (the flags below make gosec refuse a #nosec without rule or reason).
# What is excluded here is excluded for a reason that holds for every site:
#   G104 (error not checked), everywhere: the unchecked calls are writes to
#        an http.ResponseWriter (the client has gone; nobody is left to
#        tell), and Close, Rollback, Remove or unlock on a path that already
#        returns the error that matters.
#   G202 (SQL built by concatenation), internal/sqlite: only constant SQL
#        fragments and placeholders(n) are concatenated, every value is a
#        ? argument; Dump's table names come from sqlite_master, quoted.
#   G203 (template.HTML), render.go, cardhtml.go, listinghtml.go and
#        markdown.go: the places that turn text into HTML, by escaping it
#        (render.go, and cardhtml.go and listinghtml.go, which write cards
#        and listings with html/template's own escaping rules;
#        TestCardHTMLIsTheTemplate and TestListingHTMLIsTheTemplate check
#        them byte for byte against the templates) or with goldmark's safe
#        renderer (markdown.go);
#        TestStoredXSS checks the result.
#   G304 (file path from a variable), cmd/cardex, internal/gen and
#        internal/sqlite/{publish,snapshot}.go: a CLI that reads and writes
#        the files its user names (listings, lexicon, corpus, the database
#        beside which it writes its temp files and snapshots).
#   G301, G302, G306 (permissions), cmd/cardex and
#        internal/sqlite/{publish,snapshot}.go: data/ is 0755 and the
#        database 0644 on purpose: public data, served by a user that may
#        not be the one importing.
#   G115 (integer conversion), internal/gen, internal/sqlite/stories.go,
#        internal/sqlite/sidebars.go and internal/tagsplit: the
#        generator's PRNG arithmetic wraps on purpose; the union-find's
#        int32 indexes count the cards of one story computation, and the
#        sidebars' int32 indexes the cards, tags and years of one count;
#        the splitter's compact corpus stores 16-bit cut
#        offsets of strings it only takes up to 65,535 bytes long, 32-bit
#        indexes of at most MaxCorpusStrings strings (times Beam close
#        calls), at most 255 close calls a string, and 32-bit offsets into
#        a word list of under 1 MB.
#   G204, G304, G703, G301, G306, G404, cmd/cardex-bench: the benchmark
#        harness, a developer's tool that is never served: it starts the
#        programs it measures (cardex, nginx, wrk) with arguments it builds,
#        reads and writes its own files (data/bench, the performance doc),
#        and draws its workloads from a seeded math/rand to be repeatable.
#   G204, G304, G703, G301, G306, G404, internal/scaling: the scaling demo,
#        also a developer's tool, run by make scaling-demo: it starts cardex,
#        nginx, cp and mv with arguments it builds, writes under
#        data/scaling and the demo section of web/docs/scaling.md, and picks
#        URLs with math/rand.
#   G204, G304, G703, G301, G306, G404, internal/soak: the soak checks, a
#        developer's tool run by make soak, never served: it starts cardex,
#        wrk, slowhttptest and itself with arguments it builds, reads and
#        writes its own files under data/soak, and draws kill moments and
#        URLs from a seeded math/rand to be repeatable.
GOSEC_FLAGS := -quiet -fmt text -color=false -tags $(TAGS) \
	-nosec-require-rules -nosec-require-justification \
	-exclude G104 \
	-exclude-rules 'internal/sqlite/.*:G202;internal/server/(render|cardhtml|listinghtml)\.go:G203;internal/markdown/markdown\.go:G203;cmd/cardex/.*:G304,G301;internal/gen/.*:G304,G115;internal/sqlite/(publish|snapshot)\.go:G304,G302,G306;internal/sqlite/(stories|sidebars)\.go:G115;internal/tagsplit/.*:G115;cmd/cardex-bench/.*:G204,G304,G703,G301,G306,G404;internal/scaling/.*:G204,G304,G703,G301,G306,G404;internal/soak/.*:G204,G304,G703,G301,G306,G404'
# govulncheck runs against a vulnerability database built here, offline,
# from the pinned golang.org/x/vulndb module (its OSV files and its
# cmd/indexdb): the online database cannot be reached. Bump VULNDB_VERSION
# to check against newer advisories.
GOVULNCHECK := golang.org/x/vuln/cmd/govulncheck@v1.9.0
VULNDB_VERSION := v0.0.0-20261105234957-e22db6528018
VULNDB := data/vulndb

.PHONY: build run test lint vuln fuzz bench bench-quick bench-go bench-shapes bench-tools bench-build scaling-demo soak import clean

build:
	$(GO) build $(GOFLAGS_TAGS) -o bin/cardex ./cmd/cardex

# The database is rebuilt when it is missing or older than the seeds, and
# migrated in place (an import applies the pending migrations, keeping
# what else was imported) when only a migration is newer: the server
# refuses a database that needs one.
MIGRATIONS := $(wildcard migrations/*.sql)
$(DB): $(SEEDS) seeds/lexicon.tags $(MIGRATIONS) | build
	@mkdir -p data
	@if [ -f $(DB) ] && [ -z "$(filter $(SEEDS) seeds/lexicon.tags,$?)" ]; then \
		echo "migrating $(DB): a migration is newer than it"; \
	else \
		rm -f $(DB) $(DB)-wal $(DB)-shm; \
	fi
	bin/cardex import --db $(DB) seeds/
	@touch $(DB)

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
	@unformatted=$$(gofmt -l cmd internal migrations seeds web); if [ -n "$$unformatted" ]; then echo "not gofmt'd: $$unformatted"; exit 1; fi
	$(GO) vet $(GOFLAGS_TAGS) ./...
	$(GO) run $(STATICCHECK) -tags $(TAGS) ./...
	$(GO) run $(GOSEC) $(GOSEC_FLAGS) ./...

# The database is rebuilt when VULNDB_VERSION changes (its stamp file).
$(VULNDB)/built-from-$(VULNDB_VERSION):
	rm -rf $(VULNDB) $(VULNDB).tmp
	@mkdir -p data
	$(GO) run golang.org/x/vulndb/cmd/indexdb@$(VULNDB_VERSION) \
		-vulns "$$($(GO) mod download -json golang.org/x/vulndb@$(VULNDB_VERSION) | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$$/\1/p')/data/osv" \
		-out $(VULNDB).tmp
	touch $(VULNDB).tmp/built-from-$(VULNDB_VERSION)
	mv $(VULNDB).tmp $(VULNDB)

vuln: $(VULNDB)/built-from-$(VULNDB_VERSION)
	$(GO) run $(GOVULNCHECK) -db file://$(CURDIR)/$(VULNDB) $(GOFLAGS_TAGS) ./...

fuzz:
	$(GO) test $(GOFLAGS_TAGS) -run '^$$' -fuzz '^FuzzReader$$' -fuzztime $(FUZZTIME) ./internal/listing
	$(GO) test $(GOFLAGS_TAGS) -run '^$$' -fuzz '^FuzzSplit$$' -fuzztime $(FUZZTIME) ./internal/tagsplit
	$(GO) test $(GOFLAGS_TAGS) -run '^$$' -fuzz '^FuzzParseQuery$$' -fuzztime $(FUZZTIME) ./internal/catalog
	$(GO) test $(GOFLAGS_TAGS) -run '^$$' -fuzz '^FuzzQueryString$$' -fuzztime $(FUZZTIME) ./internal/server
	$(GO) test $(GOFLAGS_TAGS) -run '^$$' -fuzz '^FuzzMarkMatches$$' -fuzztime $(FUZZTIME) ./internal/sqlite
	$(GO) test $(GOFLAGS_TAGS) -run '^$$' -fuzz '^FuzzDictDeflate$$' -fuzztime $(FUZZTIME) ./internal/sqlite
	$(GO) test $(GOFLAGS_TAGS) -run '^$$' -fuzz '^FuzzInflateFixed$$' -fuzztime $(FUZZTIME) ./internal/sqlite

# End-to-end benchmarks (cmd/cardex-bench; web/docs/performance.md says
# what they measure). They need Debian's wrk and nginx, and say how to
# install them when they are missing. The corpus is cached in data/bench/
# by size and seed; BENCH_FLAGS passes more flags (cardex-bench -h).
BENCH_SEED ?= 1
BENCH_FLAGS ?=

bench-tools:
	@missing=""; \
	command -v wrk >/dev/null 2>&1 || missing="$$missing wrk"; \
	command -v nginx >/dev/null 2>&1 || test -x /usr/sbin/nginx || missing="$$missing nginx"; \
	if [ -n "$$missing" ]; then \
		echo "make bench needs$$missing, not installed here. Install with:"; \
		echo "  apt-get install -y wrk nginx-light"; \
		exit 1; \
	fi

bench-build: build
	$(GO) build $(GOFLAGS_TAGS) -o bin/cardex-bench ./cmd/cardex-bench

bench: bench-tools bench-build
	bin/cardex-bench -name full -cards 1000000 -seed $(BENCH_SEED) -duration 10s -benchtime 100x \
		-import-timeout 60m -command 'make bench' $(BENCH_FLAGS)

bench-quick: bench-tools bench-build
	bin/cardex-bench -name quick -cards 100000 -seed $(BENCH_SEED) -duration 2s -deep-duration 2s -benchtime 5x \
		-import-timeout 20m -command 'make bench-quick' $(BENCH_FLAGS)

bench-go:
	$(GO) test $(GOFLAGS_TAGS) -run '^$$' -bench . -benchmem ./...

# The slowest shapes of listing (internal/sqlite BenchmarkStoreShapes) on
# the 1M-card database of make bench, or BENCH_DB; SHAPES_SEED picks
# another 400 listings.
BENCH_DB ?= data/bench/cardex-1000000-s1.db
SHAPES_SEED ?= 1
bench-shapes:
	@test -f $(BENCH_DB) || { echo "no $(BENCH_DB): run make bench first, or set BENCH_DB"; exit 1; }
	CARDEX_BENCH_DB=$(CURDIR)/$(BENCH_DB) CARDEX_BENCH_SHAPES_SEED=$(SHAPES_SEED) \
		$(GO) test $(GOFLAGS_TAGS) -run '^$$' -bench '^BenchmarkStoreShapes$$' -benchtime 1x -timeout 30m -v ./internal/sqlite/

# Scale-out on loopback (internal/scaling; web/docs/scaling.md): builds
# bin/cardex, starts two replicas on 127.0.0.1:18081-18082 and Debian's
# nginx as a caching proxy on 127.0.0.1:18080, all under data/scaling/,
# stops them on the way out, and on success rewrites the demo section of
# web/docs/scaling.md. Needs nginx (apt-get install -y nginx-light).
scaling-demo:
	$(GO) run $(GOFLAGS_TAGS) ./internal/scaling

# The slow reliability checks (internal/soak; points 2, 3, 7, 8 and 9 of
# web/docs/reliability.md): imports killed with SIGKILL, a full disk and a
# read-only folder (tmpfs mounts: run as root), a 110 MB import's peak
# memory and 100 MiB of random bytes, 60 s of wrk on a mixed URL set,
# slowloris and slow read against cardex and a control server, re-imports
# under load. About 10 minutes, on loopback, under data/soak/ (corpora
# cached there); everything it starts is stopped on the way out. Needs wrk,
# slowhttptest and prlimit (apt-get install -y wrk slowhttptest). It prints
# a summary table and fails if a check misses its bar. SOAK_FLAGS passes
# more flags (go run ./internal/soak -h): SOAK_FLAGS='-only crash
# -crash-cards 190000 -timeout 70m' kills imports of the 113 MB corpus
# (about 30 minutes).
SOAK_FLAGS ?=

soak: build
	$(GO) run $(GOFLAGS_TAGS) ./internal/soak $(SOAK_FLAGS)

clean:
	rm -rf bin data
