package server_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"cardex/internal/server"
	"cardex/internal/sqlite/sqlitetest"
	"cardex/seeds"
	"cardex/web"
)

// fuzzPaths are the pages whose query string is fuzzed: every listing
// route in every format, and the indexes.
var fuzzPaths = func() []string {
	var out []string
	for _, r := range listingRoutes {
		for _, ext := range listingFormats {
			out = append(out, formatPath(r.path, ext))
		}
	}
	return append(out, "/tags", "/tags.json", "/sources.csv", "/categories.atom", "/archive",
		"/articles/1/design-and-architecture-of-youzan-unified-log-platform", "/sitemap.xml")
}()

// For any raw query string on any listing route and format, the handler
// answers without a panic and without a 5xx, with the security headers;
// a JSON answer is JSON.
//
//	make fuzz FUZZTIME=60s   (or: go test -tags sqlite_fts5 -run '^$' -fuzz '^FuzzQueryString$' ./internal/server)
func FuzzQueryString(f *testing.F) {
	h, err := server.New(sqlitetest.SeedStore(f), server.Config{Web: web.FS, TagDocs: seeds.FS})
	if err != nil {
		f.Fatal(err)
	}
	for i, v := range hostileValues {
		f.Add(uint8(i), listingParams[i%len(listingParams)]+"="+v.raw)
	}
	for i, q := range hostileQueries {
		f.Add(uint8(i*3), q.raw)
	}
	for _, q := range []string{"", "tag=kafka&any=flume&not=docker&source=21cto&from=2016-05&to=2016&q=log&sort=oldest&per=10&page=1&collapse=1",
		"q=%22kafka+streams%22+-flume", "page=999999", "tag=Distributed+Systems", "any=realtime-processing", "q=\x00", "a=%e2%80%ae"} {
		f.Add(uint8(len(q)), q)
	}
	f.Fuzz(func(t *testing.T, which uint8, rawQuery string) {
		p := fuzzPaths[int(which)%len(fuzzPaths)]
		req := httptest.NewRequest(http.MethodGet, p, nil)
		// Set the raw query as a client may send it, bytes the request
		// line parser would refuse included: the handler must cope.
		req.URL.RawQuery = rawQuery
		req.RequestURI = p + "?" + rawQuery
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%s?%q: %d\n%.500s", p, rawQuery, rec.Code, rec.Body.String())
		}
		switch rec.Code {
		case 200, 301, 304, 400, 404:
		default:
			t.Fatalf("%s?%q: unexpected status %d", p, rawQuery, rec.Code)
		}
		if csp := rec.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
			t.Fatalf("%s?%q: CSP %q", p, rawQuery, csp)
		}
		if strings.HasSuffix(p, ".json") && rec.Code != 301 && !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("%s?%q: a %d that is not JSON", p, rawQuery, rec.Code)
		}
		if loc := rec.Header().Get("Location"); strings.HasPrefix(loc, "//") || strings.HasPrefix(loc, `/\`) {
			t.Fatalf("%s?%q: redirect off the site: %q", p, rawQuery, loc)
		}
	})
}
