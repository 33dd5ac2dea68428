package main

import (
	"os"
	"path/filepath"
	"testing"
)

func TestEtagVersion(t *testing.T) {
	for _, tc := range []struct {
		etag string
		want int64
	}{
		{`"v12.lx3k9-0a1b2c3d4e5f6a7b"`, 12},
		{`"v3-0a1b2c3d"`, 3},
		{`W/"v7.abc-ff"`, 7},
		{`"abc"`, -1},
		{``, -1},
	} {
		if got := etagVersion(tc.etag); got != tc.want {
			t.Errorf("etagVersion(%q) = %d, want %d", tc.etag, got, tc.want)
		}
	}
}

func TestListingURLs(t *testing.T) {
	for _, tc := range []struct{ in, twin, page2 string }{
		{"/", "/index.json", "/?page=2"},
		{"/?q=kafka", "/index.json?q=kafka", "/?q=kafka&page=2"},
		{"/tags/kafka", "/tags/kafka.json", "/tags/kafka?page=2"},
		{"/tags/kafka?tag=go", "/tags/kafka.json?tag=go", "/tags/kafka?tag=go&page=2"},
	} {
		if got := jsonTwin(tc.in); got != tc.twin {
			t.Errorf("jsonTwin(%q) = %q, want %q", tc.in, got, tc.twin)
		}
		if got := withPage(tc.in, 2); got != tc.page2 {
			t.Errorf("withPage(%q, 2) = %q, want %q", tc.in, got, tc.page2)
		}
	}
}

func TestLogCounter(t *testing.T) {
	l, err := newLogCounter(filepath.Join(t.TempDir(), "serve.log"))
	if err != nil {
		t.Fatal(err)
	}
	lines := `{"level":"INFO","msg":"serving","addr":"http://127.0.0.1:1"}
{"level":"INFO","msg":"request","id":"a","method":"GET","path":"/","status":200,"bytes":10}
{"level":"INFO","msg":"request","id":"b","method":"GET","path":"/x","status":404,"bytes":10}
{"level":"WARN","msg":"request","id":"c","method":"GET","path":"/y","status":503,"bytes":10}
{"level":"ERROR","msg":"internal error","id":"d"}
{"level":"INFO","msg":"reopened the published database","version":3}
{"level":"INFO","msg":"request","id":"e","method":"GET","path":"/","sta`
	// Written in two pieces, split inside a line.
	l.Write([]byte(lines[:100]))
	l.Write([]byte(lines[100:] + `tus":304,"bytes":0}` + "\n"))
	c := l.counts()
	if c.requests != 4 || c.byClass[2] != 1 || c.byClass[3] != 1 || c.byClass[4] != 1 || c.byClass[5] != 1 {
		t.Errorf("counts = %+v, want 4 requests: one each of 2xx, 3xx, 4xx, 5xx", c)
	}
	if c.errors != 1 || c.warns != 1 || c.reopened != 1 {
		t.Errorf("errors %d, warns %d, reopened %d; want 1, 1, 1", c.errors, c.warns, c.reopened)
	}
	if got := len(l.keptLines()); got != 2 {
		t.Errorf("kept %d lines, want the WARN and the ERROR one", got)
	}
}

func TestSlowSummary(t *testing.T) {
	p := filepath.Join(t.TempDir(), "x.csv")
	csv := "Seconds,Closed,Pending,Connected,Service Available\n0,0,50,0,1\n1,0,10,90,1\n2,0,0,120,0\n3,5,0,115,0\n"
	if err := os.WriteFile(p, []byte(csv), 0o600); err != nil {
		t.Fatal(err)
	}
	want := "slowhttptest held up to 120 connections open; its own probe found the service unavailable 2 of 4 s"
	if got := slowSummary(p); got != want {
		t.Errorf("slowSummary = %q, want %q", got, want)
	}
}
